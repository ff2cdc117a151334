-- wrk script (bench/serve.sh): single-event POSTs, each a new event, paced by
-- delay() so that all connections together send about RATE requests/s
-- (wrk itself has no fixed-rate mode; a paced closed loop keeps the latency
-- figures those of a server that is not saturated).
local counter = 0
function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
end

function init(args)
   key, customer, model, stamp = args[1], args[2], args[3], args[4]
   pause = tonumber(args[5])
   n = 0
end

function delay()
   return pause
end

function request()
   n = n + 1
   local body = string.format('{"id":"single-%d-%d","customer":"%s","model":"%s","timestamp":"%s","input_tokens":120,"cached_input_tokens":0,"output_tokens":40}\n',
      id, n, customer, model, stamp)
   return wrk.format("POST", "/v1/usage/events",
      { ["Content-Type"] = "application/x-ndjson", ["Authorization"] = "Bearer " .. key }, body)
end
