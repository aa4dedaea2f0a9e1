-- wrk has no rate limit: each connection waits CONNECTIONS/RATE seconds before each request, so all
-- connections together send at most RATE requests per second (Scripts/bench/metrics.sh).
local rate = tonumber(os.getenv("RATE") or "500")
local connections = tonumber(os.getenv("CONNECTIONS") or "10")
local token = os.getenv("METRICS_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

function delay()
  return 1000 * connections / rate
end
