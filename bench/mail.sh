#!/usr/bin/env bash
# Mail on a big desk (hyperfine, whole processes), on a demo of N tickets (default 100000;
# kept in /tmp/desk-bench-mail-N between runs, remove it to start over):
#   - desk mail send: M notices (acknowledgements of M imported e-mail requests) delivered to
#     an SMTP server on loopback (tests/smtp/sink.py, python3-aiosmtpd);
#   - desk mail in: M messages, one process each as an MTA's `|desk mail in` alias runs it,
#     half of them new requests and half replies to the desk's notices;
#   - desk mail in --maildir: the same mix, M messages taken by one process.
# Each figure is M divided by hyperfine's mean time of the whole batch.
#   usage: bash bench/mail.sh [N] [M]
set -eu
N=${1:-100000}
M=${2:-500}
cd "$(dirname "$0")/.."
. bench/hyperfine.sh
PY=/usr/bin/python3
$PY -c "import aiosmtpd" 2>/dev/null || {
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-aiosmtpd >/dev/null
}
. bench/demo.sh
setup() { $DESK agent add mailer --role mail --name "Mail service" >/dev/null; }
demo_desk mail "$N" setup
mkdir -p "$W/sink"
rm -f "$W/port"
exec 3> >($PY tests/smtp/sink.py "$W/sink" > "$W/port")
SINK=$!
trap 'exec 3>&-; wait $SINK 2>/dev/null || true' EXIT
while [ ! -s "$W/port" ]; do sleep 0.1; done
PORT=$(cat "$W/port")
# The configuration: the demo's, mailing through the sink at once.
sed -i '/^\[mail\]/,$d' "$W/desk.toml"
cat >> "$W/desk.toml" <<EOF
[mail]
from = "Bench desk <desk@example.org>"
transport = "smtp://127.0.0.1:$PORT?tls=none"
hold = "0"
per_recipient_hour = 1000000
EOF

# M e-mail requests to acknowledge (each run of `mail send` delivers the M written before it).
cat > "$W/queue.sh" <<EOF
#!/usr/bin/env bash
set -eu
$PY - "$M" > "$W/requests.json" <<'PY'
import json, random, sys
n = int(sys.argv[1]); r = random.randrange(1 << 40)
print(json.dumps([{"subject": "No heating in flat %d" % i, "requester": "R %d" % i,
                   "contact": "r%d.%d@example.org" % (r, i), "body": "Please help."}
                  for i in range(n)]))
PY
$DESK import "$W/requests.json" >/dev/null
EOF
# M messages for mail in: new requests, and replies to notices the desk sent.
cat > "$W/messages.sh" <<EOF
#!/usr/bin/env bash
set -eu
rm -rf "$W/in"; mkdir -p "$W/in/new" "$W/in/cur" "$W/in/tmp"
sqlite3 "$DESK_DB" "SELECT message_id FROM outbox WHERE state = 'sent' ORDER BY random() LIMIT $M" > "$W/sent-ids"
$PY - "$M" "$W/sent-ids" "$W/in/new" <<'PY'
import random, sys, os
n, ids, out = int(sys.argv[1]), open(sys.argv[2]).read().split(), sys.argv[3]
r = random.randrange(1 << 40)
for i in range(n):
    reply = i % 2 == 1 and ids
    head = ["From: Requester %d <req%d.%d@example.org>" % (i, r, i),
            "To: desk@example.org",
            "Message-ID: <bench.%d.%d@example.org>" % (r, i),
            "Subject: " + ("Re: your request" if reply else "Leak in the roof, flat %d" % i)]
    if reply:
        head.append("In-Reply-To: " + ids[i % len(ids)])
    body = "Hello,\n\nwater is coming through the ceiling of flat %d since this morning.\n" % i
    with open(os.path.join(out, "%d.%d.bench" % (r, i)), "w") as f:
        f.write("\r\n".join(head) + "\r\n\r\n" + body)
PY
EOF
chmod +x "$W/queue.sh" "$W/messages.sh"
"$W/queue.sh"
$DESK --as mailer mail send >/dev/null   # notices to reply to
hyperfine -N --runs 3 --style basic --export-json "$W/send.json" \
  --prepare "$W/queue.sh" \
  -n "desk mail send, $M notices" "$DESK --as mailer mail send" >/dev/null
hyperfine --runs 3 --style basic --export-json "$W/in.json" \
  --prepare "$W/messages.sh" \
  -n "desk mail in, $M processes" "for f in $W/in/new/*; do $DESK --as mailer mail in < \$f >/dev/null; done" >/dev/null
hyperfine -N --runs 3 --style basic --export-json "$W/maildir.json" \
  --prepare "$W/messages.sh" \
  -n "desk mail in --maildir, $M messages" "$DESK --as mailer mail in --maildir $W/in" >/dev/null
echo "Mail on a desk of $N tickets (hyperfine, mean of 3 runs of $M messages):"
for f in send in maildir; do
  $PY - "$W/$f.json" "$M" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
m = int(sys.argv[2])
print("  %-40s %8.2f s  %7.0f messages/s" % (r["command"], r["mean"], m / r["mean"]))
PY
done
