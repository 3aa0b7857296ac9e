-- wrk script: post a comment as a signed-in user.
-- Environment: BENCH_COOKIE (session cookie), BENCH_CSRF (its CSRF token), BENCH_PATH.
local cookie = os.getenv("BENCH_COOKIE")
local csrf = os.getenv("BENCH_CSRF")
wrk.method = "POST"
wrk.path = os.getenv("BENCH_PATH")
wrk.headers["Cookie"] = cookie
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

local n = 0
request = function()
  n = n + 1
  local body = "body=Benchmark+comment+number+" .. n .. "&parent_id=&website=&csrf_token=" .. csrf
  return wrk.format(nil, nil, nil, body)
end
