-- wrk script: searches by a signed-in reader (never served from the page
-- cache), cycling through the queries in BENCH_QUERIES ("|"-separated,
-- already URL-encoded). Environment: BENCH_COOKIE, BENCH_QUERIES.
local queries = {}
for q in string.gmatch(os.getenv("BENCH_QUERIES"), "[^|]+") do
  queries[#queries + 1] = q
end
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/search?q=" .. queries[n % #queries + 1])
end
