-- wrk script: the article with a query string nobody asked for before, as
-- cache-busting traffic sends: a new value of reply_to, the parameter the
-- article reads (others are answered 301). It changes only a signed-in
-- reader's page, so signed-out requests all share the article's entry.
-- Environment: BENCH_PATH.
local path = os.getenv("BENCH_PATH")
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", path .. "?reply_to=" .. n)
end
