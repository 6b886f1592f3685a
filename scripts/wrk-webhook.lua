-- wrk script for webhook intake (docs/BENCHMARKS.md, issue 12). Each request is a Procore v2 delivery with a unique
-- ulid (the run's start time and a random number, the thread, a counter), so every one is stored, in this run and
-- in the next (none deduplicated). Usage, with `lentune bench outbox --database-url … --hold`
-- printing the URL and the Authorization value:
--   WEBHOOK_AUTHORIZATION='Bearer …' wrk -t2 -c200 -d8s --latency -s scripts/wrk-webhook.lua <URL>
local thread_id = 0
math.randomseed(os.time())
local run = os.time() .. "-" .. math.random(1000000000)
function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", run .. "-" .. thread_id)
end

local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = os.getenv("WEBHOOK_AUTHORIZATION")

function request()
  counter = counter + 1
  local body = '{"ulid": "wrk-' .. tid .. '-' .. counter .. '", "event_type": "update", "resource_name": '
    .. '"Purchase Order Contracts", "resource_id": 4294970001, "company_id": 4242, "project_id": 1, '
    .. '"metadata": {"source_application_id": null}}'
  return wrk.format(nil, nil, nil, body)
end
