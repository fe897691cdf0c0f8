-- Async emit of a CloudEvents 1.0 binary-mode event: the attributes in ce-* headers, a fresh ce-id per request
-- (unique across runs too, thanks to the prefix), and the data as the JSON body.
local prefix = os.time() .. "-" .. math.random(1000000) .. "-"
local n = 0
local body = '{"k":1}'
request = function()
  n = n + 1
  return wrk.format("POST", "/", {
    ["ce-specversion"] = "1.0",
    ["ce-id"] = prefix .. n,
    ["ce-source"] = "/bench",
    ["ce-type"] = "bench.event",
    ["Content-Type"] = "application/json",
  }, body)
end
