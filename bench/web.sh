#!/usr/bin/env bash
# The requesters' web page under load (wrk), on a demo of N tickets (default 100000; kept in
# /tmp/desk-bench-web-N between runs, remove it to start over), a release `desk serve` on the
# loopback, C connections (default 50) for D seconds (default 10) each:
#   - the status page: GET status?number=…&code=… of 1,000 tickets drawn at random, each with
#     its right code (200); wrk's latency p50/p90/p99;
#   - the form: each connection loads / (a new form and its token) and sends it with a new
#     request (303, registered); submissions a second, counted by wrk and again in the database.
# The rate limits are lifted for the run ([web] in the bench's desk.toml); everything else is
# as configured.
#   usage: bash bench/web.sh [N] [C] [D]
set -eu
N=${1:-100000}
C=${2:-50}
D=${3:-10}
cd "$(dirname "$0")/.."
command -v wrk >/dev/null && command -v sqlite3 >/dev/null && command -v curl >/dev/null || {
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk sqlite3 curl >/dev/null
}
cargo build --release -q
DESK=$PWD/target/release/desk
. bench/demo.sh
setup() { $DESK agent add bench-web --role web --name "Web page" >/dev/null; }
demo_desk web "$N" setup
# The configuration: the demo's, without the limits (one client address does all the work).
sed -i '/^\[web\]/,$d' "$W/desk.toml"
cat >> "$W/desk.toml" <<EOF
[web]
lookups_per_minute = 1000000
submissions_per_hour = 1000000
EOF
sqlite3 "$W/desk.db" "SELECT t.number, r.access_code FROM tickets t JOIN requester r ON r.ticket_id = t.id
  ORDER BY random() LIMIT 1000" > "$W/pairs"

rm -f "$W/serve.log"
$DESK --as bench-web serve --listen 127.0.0.1:0 2> "$W/serve.log" &
SERVE=$!
trap 'kill $SERVE 2>/dev/null; wait $SERVE 2>/dev/null || true' EXIT
until grep -q 'http://' "$W/serve.log"; do sleep 0.1; done
ADDR=$(grep -o 'http://[0-9.:]*' "$W/serve.log" | head -1)

cat > "$W/status.lua" <<'EOF'
local paths = {}
function init(args)
  for line in io.lines(args[1]) do
    local number, code = line:match("^([^|]+)|(.+)$")
    paths[#paths + 1] = "/status?number=" .. number .. "&code=" .. code
  end
  math.randomseed(os.time() + math.random(1000))
end
function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
EOF

# The form: a connection alternates GET / and POST / with the token it was given; the cookie
# the tokens are bound to is one for all (it is only a random value).
cat > "$W/form.lua" <<'EOF'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  cookie = "desk_form=" .. args[1]
  tokens, sent, n = {}, 0, 0
end
function request()
  local token = table.remove(tokens)
  if token then
    n = n + 1
    local body = "token=" .. token .. "&name=Bench&contact=bench%40example.org" ..
      "&subject=No+heating+" .. n .. "&text=It+is+cold+in+flat+" .. n
    return wrk.format("POST", "/", {["Cookie"] = cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded"}, body)
  end
  return wrk.format("GET", "/", {["Cookie"] = cookie})
end
function response(status, headers, body)
  if status == 303 then sent = sent + 1 end
  local t = body:match('name="token" value="([^"]+)"')
  if t then table.insert(tokens, t) end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("sent") end
  io.write(string.format("registered: %d requests, %.1f a second\n", total,
    total / (summary.duration / 1e6)))
end
EOF

echo "== status page: $C connections, ${D} s, $N tickets"
wrk -t2 -c"$C" -d"${D}s" --latency -s "$W/status.lua" "$ADDR" -- "$W/pairs" |
  grep -E 'Latency|50%|90%|99%|Requests/sec|Non-2xx|requests in|Socket'
COOKIE=$(curl -s -D - -o /dev/null "$ADDR/" | sed -n 's/^[Ss]et-[Cc]ookie: desk_form=\([0-9a-f]*\).*/\1/p')
before=$(sqlite3 "$W/desk.db" "SELECT count(*) FROM tickets")
echo "== the form: $C connections, ${D} s (each submission is a GET of the form and its POST)"
wrk -t2 -c"$C" -d"${D}s" --latency -s "$W/form.lua" "$ADDR" -- "$COOKIE" |
  grep -E 'Latency|50%|90%|99%|Requests/sec|Non-2xx|requests in|Socket|registered'
after=$(sqlite3 "$W/desk.db" "SELECT count(*) FROM tickets")
echo "in the database: $((after - before)) new tickets"
