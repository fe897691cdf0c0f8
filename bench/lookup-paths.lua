-- Scenario (d) end to end: keep-alive GETs, each to one of the first <n> request paths of <pathsFile>, chosen
-- uniformly at random. The file holds one path a line, one per route (prefill-subscriptions.ts --routes writes it).
-- Prints "Non-200 responses: <count>" at the end: a path that matches no sync route is answered 202 (it becomes
-- an async event), which wrk's own count of non-2xx answers would miss.
-- Run: wrk -t1 -c32 -d6s --latency -s bench/lookup-paths.lua http://127.0.0.1:<events port> -- <pathsFile> <n>
local threads = {}
local requests = {}
local count = 0
non200 = 0 -- global: done() reads it from each thread

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local file, n = args[1], tonumber(args[2])
  if file == nil or n == nil then error("usage: -s lookup-paths.lua <url> -- <pathsFile> <n>") end
  for path in io.lines(file) do
    if count == n then break end
    count = count + 1
    -- formatted once here, so that a request costs wrk a random number and a table lookup
    requests[count] = wrk.format("GET", path)
  end
  if count < n then error(file .. " holds " .. count .. " paths, fewer than " .. n) end
end

function request()
  return requests[math.random(count)]
end

function response(status)
  if status ~= 200 then non200 = non200 + 1 end
end

function done()
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("non200") end
  io.write("Non-200 responses: " .. total .. "\n")
end
