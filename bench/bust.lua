-- wrk script: the article with a query string nobody asked for before, as
-- cache-busting traffic sends (a page parameter the article reads, so each
-- is a page of its own: rendered, compressed and offered to the cache).
-- Environment: BENCH_PATH.
local path = os.getenv("BENCH_PATH")
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", path .. "?reply_to=" .. n)
end
