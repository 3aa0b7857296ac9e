-- wrk script: distinct searches from signed-out visitors (none can be served
-- from the page cache): two words from FLOOD_WORDS ("|"-separated) and a page
-- number, never the same request twice in a run.
local words = {}
for w in string.gmatch(os.getenv("FLOOD_WORDS"), "[^|]+") do
  words[#words + 1] = w
end
local n = 0
request = function()
  n = n + 1
  local a = words[math.random(#words)]
  local b = words[math.random(#words)]
  local q = a .. "+" .. b
  if n % 3 == 0 then q = a end
  return wrk.format("GET", "/search?q=" .. q .. "&page=" .. (n % 7 + 1))
end
