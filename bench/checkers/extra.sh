#!/usr/bin/env bash
# Usage: extra.sh DIR PORT : adds a post with the audit's problem content and an image without alt text
set -euo pipefail
DIR=$1; PORT=$2; B=http://127.0.0.1:$PORT; J="$DIR/jar"
TOK=$(curl -s -b "$J" $B/admin/posts/new | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
python3 - > "$DIR/body.png" <<'PY'
import zlib, struct, sys
w, h = 480, 320
raw = b"".join(b"\x00" + bytes([ (x*255//w) for x in range(w) for _ in (0,1,2) ]) for y in range(h))
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
sys.stdout.buffer.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY
curl -s -b "$J" -o /dev/null -w 'upload %{http_code}\n' -H "Origin: $B" -F csrf_token="$TOK" -F "file=@$DIR/body.png;type=image/png" -F alt= $B/admin/media
MID=$(sqlite3 "$DIR/site.db" "select max(id) from media")
BODY=$(cat <<'MD'
# A heading written with one hash

A footnote reference[^1] in the text.

<a href="javascript:alert(1)" rel="nofollow">an emptied link</a> and <img src="/x.png" srcset="javascript:alert(2) 1x" alt="x">

```
a_very_long_line_of_code_that_does_not_fit_on_a_phone_screen_at_all_and_must_scroll_sideways_to_be_read_0123456789
```

[^1]: The footnote's text.
MD
)
curl -s -b "$J" -o /dev/null -w 'post %{http_code}\n' -H "Origin: $B" --data-urlencode csrf_token="$TOK" \
  --data-urlencode "title=Supercalifragilisticexpialidociousandevenlongerwordsthatneverbreakanywhereatalltoday" \
  --data-urlencode slug=audit-post --data-urlencode "body=$BODY" --data-urlencode tags=audit \
  --data-urlencode status=published --data-urlencode comments_enabled=on --data-urlencode kind=post \
  --data-urlencode cover_media_id=$MID $B/admin/posts
