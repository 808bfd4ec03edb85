-- wrk script for the retry storm (bench/storm/run): every connection sends its next request as soon
-- as the last is answered, never waiting for Retry-After. BATCH_EVERY (env, default 10): one request
-- in that many is a 256-input batch, the rest one input; BATCH_EVERY=1 sends only batches.
-- Answers are classified by size (a 256-vector answer is over 64 KB, a one-vector one is not) and
-- counted: 200s per kind, 503s with and without Retry-After, anything else.

local every = tonumber(os.getenv("BATCH_EVERY") or "10")
local sentence = "The committee reviewed the quarterly figures and approved the revised plan for the year. "
local small = '{"inputs": "How do I reset my password?"}'
local parts = {}
for i = 0, 255 do
  parts[#parts + 1] = '"' .. i .. ' ' .. sentence .. sentence .. '"'
end
local batch = '{"inputs": [' .. table.concat(parts, ",") .. ']}'
local headers = { ["Content-Type"] = "application/json" }
local threads = {}
local n = 0

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  ok_small, ok_batch, refused, refused_bare, other = 0, 0, 0, 0, 0
end

function request()
  n = n + 1
  local body = (n % every == 0) and batch or small
  return wrk.format("POST", "/embed", headers, body)
end

function response(status, hdrs, body)
  if status == 200 then
    if #body > 65536 then ok_batch = ok_batch + 1 else ok_small = ok_small + 1 end
  elseif status == 503 then
    if hdrs["Retry-After"] then refused = refused + 1 else refused_bare = refused_bare + 1 end
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local s, b, r, rb, o = 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    s = s + t:get("ok_small"); b = b + t:get("ok_batch"); r = r + t:get("refused")
    rb = rb + t:get("refused_bare"); o = o + t:get("other")
  end
  local secs = summary.duration / 1e6
  io.write(string.format(
    "STORM seconds=%.1f ok_small=%d ok_batch=%d refused_503_retry_after=%d refused_503_bare=%d other=%d socket_errors=%d inputs_per_s=%.1f\n",
    secs, s, b, r, rb, o,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    (s + 256 * b) / secs))
end
