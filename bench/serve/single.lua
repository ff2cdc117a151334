-- wrk script (bench/serve.sh): single-event POSTs, each a new event, sent at
-- a fixed rate: each wrk thread books its requests on a schedule of
-- THREADS/RATE ms apart and delay() waits for the next slot (wrk itself has
-- no fixed-rate mode; the clock comes from LuaJIT's ffi). So the offered
-- rate is RATE whatever the latency, as long as connections are free, and the
-- latency figures are those at that rate. Events go to the bench's customers
-- in turn (cust-1 … cust-COUNT), like traffic from many customers. Every
-- answer must say the event was accepted: the count of those that did not
-- is printed.
local ffi = require("ffi")
ffi.cdef [[
   typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
   int clock_gettime(int clock, bench_timespec *out);
]]
local clock = ffi.new("bench_timespec")
local function now_ms()
   ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
   return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local counter, threads = 0, {}
function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   key, customers, model, stamp, site = args[1], tonumber(args[2]), args[3], args[4], args[6]
   prefix = args[7] or "single" -- event ids: PREFIX-THREAD-N
   interval = tonumber(args[5]) -- ms between two requests of this thread
   n, refused, next_slot = 0, 0, nil
end

function delay()
   local now = now_ms()
   if next_slot == nil or next_slot < now - 1000 then next_slot = now end -- start, or fell a second behind
   next_slot = next_slot + interval
   return math.max(0, math.floor(next_slot - now))
end

function request()
   n = n + 1
   local body = string.format('{"id":"%s-%d-%d","customer":"cust-%d","model":"%s","timestamp":"%s","input_tokens":120,"cached_input_tokens":0,"output_tokens":40,"site":"%s","tag":"bench"}\n',
      prefix, id, n, (n * 7 + id) % customers + 1, model, stamp, site)
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
