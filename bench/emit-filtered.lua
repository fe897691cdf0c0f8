-- Async emit of a CloudEvents 0.1 structured event, a fresh eventID per request, to the path of the URL wrk is given
-- (the route with 10 filtered subscriptions, /filtered). Otherwise the same event as emit.lua.
local n = 0
request = function()
  n = n + 1
  local body = '{"eventType":"bench.event","cloudEventsVersion":"0.1","source":"/bench","eventID":"' .. n .. '","contentType":"application/json","data":{"k":1}}'
  return wrk.format("POST", nil, { ["Content-Type"] = "application/cloudevents+json" }, body)
end
