-- wrk script (bench/serve.sh): single-event POSTs, each a new event, paced by
-- delay() so that all connections together send about RATE requests/s
-- (wrk itself has no fixed-rate mode; a paced closed loop keeps the latency
-- figures those of a server that is not saturated). Every answer must say
-- the event was accepted: the count of those that did not is printed.
local counter, threads = 0, {}
function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   key, customer, model, stamp, site = args[1], args[2], args[3], args[4], args[6]
   pause = tonumber(args[5])
   n, refused = 0, 0
end

function delay()
   return pause
end

function request()
   n = n + 1
   local body = string.format('{"id":"single-%d-%d","customer":"%s","model":"%s","timestamp":"%s","input_tokens":120,"cached_input_tokens":0,"output_tokens":40,"site":"%s","tag":"bench"}\n',
      id, n, customer, model, stamp, site)
   return wrk.format("POST", "/v1/usage/events",
      { ["Content-Type"] = "application/x-ndjson", ["Authorization"] = "Bearer " .. key }, body)
end

function response(status, headers, body)
   if status ~= 200 or not string.find(body, '"accepted":1', 1, true) then refused = refused + 1 end
end

function done(summary, latency, requests)
   local r = 0
   for _, t in ipairs(threads) do r = r + t:get("refused") end
   io.write(string.format("answers not accepting the event: %d\n", r))
end
