-- wrk script: conversation turns, POST /conversations/{id}/turns, on a pool of conversations
-- created beforehand (bench/serve/load.sh creates them with curl and runs this).
--
--   wrk -t2 -c64 -d60s --latency -s bench/serve/turn.lua URL -- IDS_FILE THREADS
--
-- IDS_FILE holds one conversation id a line. Thread k of THREADS takes every THREADS-th id
-- (starting at the k-th), so no two threads share a conversation, and cycles over its ids
-- round robin; with at least twice as many conversations as connections, one conversation
-- rarely has two turns in flight at once. Each conversation's turns follow the same
-- four-step dialogue, over and over: a seed, two refinements and a reference.
-- $CHATREC_KEY, when set (and not "none"), is sent as a bearer token.
package.path = (os.getenv("CHATREC_LUA_DIR") or "bench/serve") .. "/?.lua;" .. package.path
local summary = require("summary")

local TEXTS = { "something like star wars", "older", "a comedy", "not the first one" }

local n_threads = 0
local ids = {}
local turns = {}
local next_conv = 0

function setup(thread)
  thread:set("thread_index", n_threads)
  n_threads = n_threads + 1
end

function init(args)
  local path, threads = args[1], tonumber(args[2] or "1")
  if not path then
    error("usage: wrk ... -s turn.lua URL -- IDS_FILE THREADS")
  end
  local f = assert(io.open(path, "r"))
  local i = 0
  for line in f:lines() do
    if line ~= "" then
      if i % threads == (thread_index or 0) % threads then
        table.insert(ids, line)
        turns[#ids] = 0
      end
      i = i + 1
    end
  end
  f:close()
  if #ids == 0 then
    error("no conversation ids for thread " .. tostring(thread_index) .. " in " .. path)
  end
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
  summary.auth_header(wrk.headers)
end

function request()
  local k = next_conv % #ids + 1
  next_conv = next_conv + 1
  local text = TEXTS[turns[k] % #TEXTS + 1]
  turns[k] = turns[k] + 1
  return wrk.format("POST", "/conversations/" .. ids[k] .. "/turns", nil,
    '{"text":"' .. text .. '"}')
end

function done(s, latency, requests)
  summary.done(s, latency)
end
