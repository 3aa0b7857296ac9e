-- wrk script: readers, searches, sign-ins and comments together, as a busy
-- site gets them. Of every 400 requests: 1 sign-in (a password check),
-- 8 comments by a signed-in reader, 60 signed-out searches, 30 signed-in
-- articles and the rest signed-out articles and home pages.
-- Environment: BENCH_SLUGS and BENCH_QUERIES ("|"-separated), BENCH_COOKIE
-- and BENCH_CSRF (a signed-in reader), BENCH_LOGIN_COOKIE and
-- BENCH_LOGIN_CSRF (the sign-in form's), BENCH_USER, BENCH_PASSWORD.
local function list(name)
  local items = {}
  for item in string.gmatch(os.getenv(name), "[^|]+") do
    items[#items + 1] = item
  end
  return items
end
local slugs, queries = list("BENCH_SLUGS"), list("BENCH_QUERIES")
local cookie, csrf = os.getenv("BENCH_COOKIE"), os.getenv("BENCH_CSRF")
local form = "application/x-www-form-urlencoded"
local login = "username=" .. os.getenv("BENCH_USER") .. "&password=" .. os.getenv("BENCH_PASSWORD")
  .. "&next=%2F&csrf_token=" .. os.getenv("BENCH_LOGIN_CSRF")
local login_headers = { ["Cookie"] = os.getenv("BENCH_LOGIN_COOKIE"), ["Content-Type"] = form }
local n = 0
request = function()
  n = n + 1
  local k = n % 400
  local slug = slugs[n % #slugs + 1]
  if k == 0 then
    return wrk.format("POST", "/login", login_headers, login)
  elseif k <= 8 then
    local body = "body=Mixed+load+comment+" .. n .. "&parent_id=&website=&csrf_token=" .. csrf
    return wrk.format("POST", "/posts/" .. slugs[1] .. "/comments",
      { ["Cookie"] = cookie, ["Content-Type"] = form }, body)
  elseif k <= 68 then
    return wrk.format("GET", "/search?q=" .. queries[n % #queries + 1])
  elseif k <= 98 then
    return wrk.format("GET", "/posts/" .. slug, { ["Cookie"] = cookie })
  elseif k % 5 == 0 then
    return wrk.format("GET", "/")
  else
    return wrk.format("GET", "/posts/" .. slug)
  end
end
