-- wrk script (bench/serve.sh): each thread POSTs its own batches of NDJSON
-- events, read from files prepared by the script, one connection per thread,
-- and stops once every batch of its share has been answered. Every event is
-- new, so the rate is that of fresh ingest, like the CLI's beside it.
local threads, counter = {}, 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   local dir, total = args[1], tonumber(args[2])
   key = args[3]
   batches, sent, answered, failed = {}, 0, 0, 0
   local nthreads = tonumber(args[4])
   local i = id
   while i < total do
      local f = assert(io.open(string.format("%s/batch-%06d", dir, i), "rb"))
      table.insert(batches, f:read("*a"))
      f:close()
      i = i + nthreads
   end
end

function request()
   sent = sent + 1
   local body = batches[math.min(sent, #batches)]
   return wrk.format("POST", "/v1/usage/events",
      { ["Content-Type"] = "application/x-ndjson", ["Authorization"] = "Bearer " .. key }, body)
end

function response(status, headers, body)
   answered = answered + 1
   if status ~= 200 then failed = failed + 1 end
   if answered >= #batches then wrk.thread:stop() end
end

function done(summary, latency, requests)
   local f = 0
   for _, t in ipairs(threads) do f = f + t:get("failed") end
   io.write(string.format("non-200 responses: %d\n", f))
end
