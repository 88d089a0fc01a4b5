-- wrk script: replay a recorded tile list (bench/record-tiles.py), cycling through it.
--
--   wrk -t1 -c64 -d15s --latency -s bench/replay.lua http://127.0.0.1:PORT -- LIST TEMPLATE
--
-- LIST: a file with one z/x/y per line (env REPLAY_LIST if not given as an argument).
-- TEMPLATE: the request path with {z}, {x} and {y}, e.g. /tiles/{z}/{x}/{y}.mvt or
-- /atlas/{z}/{x}/{y} (env REPLAY_PATH if not given). Headers given to wrk with -H are sent.
--
-- Every response status is counted. At the end (the done hook) it prints the counts and one
-- machine-readable line:
--   replay: requests=N duration_s=S rps=R p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. mean_ms=..
--           bytes=B non200=K socket_errors=E
-- and exits with status 1 if any response was not 200 (or none came back at all).

local list_path, template
local reqs = {}
local n, i = 0, 0
-- Globals: wrk copies them between the threads' Lua states and done() (thread:get/set).
statuses = {}
local threads = {}
local next_id = 1

local function fail(msg)
  io.stderr:write("replay.lua: " .. msg .. "\n")
  os.exit(2)
end

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  list_path = args[1] or os.getenv("REPLAY_LIST")
  template = args[2] or os.getenv("REPLAY_PATH")
  if not list_path or list_path == "" then
    fail("no tile list: pass it after -- or set REPLAY_LIST")
  end
  if not template or template == "" then
    fail("no path template: pass it after the list or set REPLAY_PATH (e.g. /tiles/{z}/{x}/{y}.mvt)")
  end
  local f = io.open(list_path, "r")
  if not f then
    fail("cannot open tile list " .. list_path)
  end
  for line in f:lines() do
    local z, x, y = line:match("^(%d+)/(%d+)/(%d+)%s*$")
    if z then
      local path = template:gsub("{z}", z):gsub("{x}", x):gsub("{y}", y)
      n = n + 1
      -- Pre-formatted requests (wrk.headers holds the -H headers): nothing to build per request.
      reqs[n] = wrk.format("GET", path)
    elseif line:match("%S") then
      fail("bad line in " .. list_path .. ": " .. line)
    end
  end
  f:close()
  if n == 0 then
    fail("empty tile list " .. list_path)
  end
  -- Threads start at different places in the list (thread 1 at the start).
  i = ((id or 1) - 1) * 7919 % n -- id: set by setup() through thread:set
end

function request()
  i = i + 1
  if i > n then
    i = 1
  end
  return reqs[i]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    if s then
      for code, c in pairs(s) do
        counts[code] = (counts[code] or 0) + c
      end
    end
  end
  local ok, bad = 0, 0
  local codes = {}
  for code, c in pairs(counts) do
    table.insert(codes, code)
    if code == 200 then ok = ok + c else bad = bad + c end
  end
  table.sort(codes)
  local parts = {}
  for _, code in ipairs(codes) do
    table.insert(parts, string.format("%d: %d", code, counts[code]))
  end
  print("replay: status counts {" .. table.concat(parts, ", ") .. "}")
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  local secs = summary.duration / 1e6
  print(string.format(
    "replay: requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f "
      .. "mean_ms=%.3f bytes=%d non200=%d socket_errors=%d",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3, latency.mean / 1e3, summary.bytes, bad, socket_errors))
  if socket_errors > 0 then
    print(string.format("replay: socket errors: connect %d, read %d, write %d, timeout %d",
      e.connect, e.read, e.write, e.timeout))
  end
  if bad > 0 or ok == 0 then
    io.stderr:write(string.rep("!", 72) .. "\n")
    io.stderr:write(string.format("replay.lua: FAILED: %d non-200 responses of %d (%s)\n",
      bad, ok + bad, table.concat(parts, ", ")))
    io.stderr:write(string.rep("!", 72) .. "\n")
    os.exit(1)
  end
end
