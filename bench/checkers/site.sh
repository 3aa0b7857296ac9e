#!/usr/bin/env bash
# Usage: site.sh BINARY DIR PORT : builds a small site in DIR, serves it on PORT, signs in as admin, writes DIR/cookie and DIR/paths
set -euo pipefail
BIN=$1; DIR=$2; PORT=$3
rm -rf "$DIR"; mkdir -p "$DIR"
PW=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
"$BIN" --database "$DIR/site.db" --bind 127.0.0.1:$PORT serve >"$DIR/serve0.log" 2>&1 & P=$!
for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:$PORT/healthz && break; sleep 0.2; done
kill $P; wait $P || true
echo "$PW" | "$BIN" --database "$DIR/site.db" create-admin --username admin --email admin@example.test >/dev/null
"$BIN" --database "$DIR/site.db" import "$(dirname "$0")/../../tests/it/fixtures/wordpress.xml" >"$DIR/import.log" 2>&1 || true
"$BIN" --database "$DIR/site.db" generate --posts 30 --users 20 --comments-per-post 4 --busy-post-comments 10 >"$DIR/gen.log" 2>&1
"$BIN" --database "$DIR/site.db" --bind 127.0.0.1:$PORT --base-url http://127.0.0.1:$PORT serve >"$DIR/serve.log" 2>&1 &
echo $! > "$DIR/pid"
for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:$PORT/healthz && break; sleep 0.2; done
J="$DIR/jar"
TOK=$(curl -s -c "$J" -b "$J" http://127.0.0.1:$PORT/login | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
curl -s -c "$J" -b "$J" -o /dev/null -w '%{http_code}\n' -H "Origin: http://127.0.0.1:$PORT" \
  --data-urlencode username=admin --data-urlencode "password=$PW" --data-urlencode csrf_token="$TOK" http://127.0.0.1:$PORT/login
grep broadsheet_session "$J" | awk '{print $7}' > "$DIR/cookie"
SLUG=$(curl -s http://127.0.0.1:$PORT/ | grep -o 'href="/posts/[^"#]*"' | head -1 | sed 's/href="//; s/"//')
TAG=$(curl -s http://127.0.0.1:$PORT/tags | grep -o 'href="/tags/[^"]*"' | head -1 | sed 's/href="//; s/"//')
PAGE=$(sqlite3 "$DIR/site.db" "select slug from posts where kind='page' and status='published' limit 1" 2>/dev/null || true)
echo "/ /?page=2 $SLUG /archive /archive/2026 /tags $TAG /search?q=council /login /register /feed.xml" > "$DIR/paths"
echo "${PAGE:+/$PAGE}" >> "$DIR/paths"
echo "/admin /admin/posts /admin/posts/new /admin/posts/1/edit /admin/comments /admin/users /admin/settings /admin/media /admin/import /admin/redirects" > "$DIR/adminpaths"
cat "$DIR/paths" "$DIR/adminpaths"
