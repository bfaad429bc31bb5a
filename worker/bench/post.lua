-- wrk script for worker/bench/run.sh: POSTs a fixture callback, giving every
-- request a fresh message id (so the worker sees new events, not duplicates:
-- the full reserve → deliver → commit path). The same script drives the
-- no-op server, so both pay the same client-side cost.
--
--   wrk -s post.lua URL -- FIXTURE PATH ID
--   FIXTURE: callback file; PATH: /hook/eyun; ID: the id digits in FIXTURE
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

local prefix, suffix, width, path, counter

function init(args)
  local f = assert(io.open(args[1], "rb"))
  local body = f:read("*a")
  f:close()
  path = args[2]
  local s, e = body:find(args[3], 1, true)
  assert(s, "id not found in fixture")
  prefix, suffix, width = body:sub(1, s - 1), body:sub(e + 1), e - s + 1
  -- Disjoint id ranges per thread and per run (time), so runs never collide.
  counter = (tid or 0) * 1e9 + (os.time() % 100000) * 1e4
end

local headers = { ["Content-Type"] = "application/json" }

function request()
  counter = counter + 1
  local id = string.format("%0" .. width .. ".0f", counter)
  return wrk.format("POST", path, headers, prefix .. id .. suffix)
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("RESULT rps=%.0f p99_ms=%.3f p50_ms=%.3f non2xx=%d errors=%d reqs=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(99) / 1000,
    latency:percentile(50) / 1000, non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.requests))
end
