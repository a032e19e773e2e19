-- Shared by recommend.lua and turn.lua (loaded with require, see those files).
--
-- wrk calls done() once at the end of a run. It prints one machine-readable line that
-- load.sh parses: the request count and duration, every error counter, and latency
-- percentiles in microseconds from wrk's own latency record (the numbers --latency prints
-- as its distribution, here unrounded).
local M = {}

-- The key of $CHATREC_KEY, if any, as a bearer token on every request.
function M.auth_header(headers)
  local key = os.getenv("CHATREC_KEY")
  if key and key ~= "" and key ~= "none" then
    headers["Authorization"] = "Bearer " .. key
  end
end

function M.done(summary, latency)
  local e = summary.errors
  io.write(string.format(
    "CHATREC_SUMMARY requests=%d duration_us=%d connect=%d read=%d write=%d timeout=%d status=%d"
      .. " p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.0f\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end

return M
