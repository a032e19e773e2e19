-- wrk script: GET /users/{id}/recommendations?n=10 with the user id rotating over the
-- MovieLens-100K users "1".."943" (bench/serve/load.sh runs it).
--
--   wrk -t2 -c64 -d60s --latency -s bench/serve/recommend.lua URL
--
-- Each wrk thread has its own Lua state and counter; thread k starts at user 1 + 97*k so the
-- threads do not ask for the same user at the same time. $CHATREC_KEY, when set (and not
-- "none"), is sent as a bearer token.
package.path = (os.getenv("CHATREC_LUA_DIR") or "bench/serve") .. "/?.lua;" .. package.path
local summary = require("summary")

local USERS = 943
local n_threads = 0
local next_user = 0

function setup(thread)
  thread:set("thread_index", n_threads)
  n_threads = n_threads + 1
end

function init(args)
  next_user = ((thread_index or 0) * 97) % USERS
  wrk.headers["Accept"] = "application/json"
  summary.auth_header(wrk.headers)
end

function request()
  local user = next_user % USERS + 1
  next_user = next_user + 1
  return wrk.format("GET", "/users/" .. user .. "/recommendations?n=10")
end

function done(s, latency, requests)
  summary.done(s, latency)
end
