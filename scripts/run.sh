#!/usr/bin/env bash
# The main job of the README: the sync server on its embedded SQLite store (encrypted), on a
# fresh machine. Installs and builds as needed, prepares a demo team ("north") with a team
# leader and two workers and their one-time enrolment codes, prints how to enrol a device with
# the `outreach` CLI, then serves on https://127.0.0.1:8443 until Ctrl-C (graceful stop).
#   scripts/run.sh [--data DIR] [--port N]
set -euo pipefail
cd "$(dirname "$0")/.."
data=demo-data
port=8443
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    *) echo "usage: scripts/run.sh [--data DIR] [--port N]" >&2; exit 1 ;;
  esac
done

scripts/install-deps.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DOUTREACH_BUILD_TESTS=OFF \
  -DOUTREACH_BUILD_BENCH=OFF >/dev/null
cmake --build build-release -j2 --target outreach-server outreach
server=build-release/bin/outreach-server
admin() { "$server" admin --data "$data" "$@"; }

if [ ! -e "$data/server.db" ]; then
  admin create-team north >/dev/null
  admin create-user lee --team north --role team_leader >/dev/null
  admin create-user ana --team north --role worker >/dev/null
  admin create-user ben --team north --role worker >/dev/null
  echo "Demo team 'north': team leader lee, workers ana and ben."
fi
code_ana=$(admin enrolment-code ana | awk '{print $NF}')
code_ben=$(admin enrolment-code ben | awk '{print $NF}')

# The self-signed certificate is made by the server on first start; make it now so the
# enrolment lines below can name it.
if [ ! -e "$data/tls/cert.pem" ]; then
  timeout 20 "$server" serve --data "$data" --port 0 >/dev/null 2>&1 &
  for _ in $(seq 1 100); do [ -e "$data/tls/cert.pem" ] && [ -e "$data/port" ] && break; sleep 0.1; done
  kill %1 2>/dev/null || true
  wait || true
fi

cat <<EOT

Enrolment codes (one-time, valid 7 days):
  ana: $code_ana
  ben: $code_ben

Enrol a device (each device is a folder; the passcode encrypts it):
  export OUTREACH_PASSCODE='choose a passcode'
  build-release/bin/outreach --dir tablet-ana enrol https://127.0.0.1:$port $code_ana --ca $data/tls/cert.pem
  build-release/bin/outreach --dir tablet-ana add young_person known_as=Sam team_id=north caseload_owner=ana
  build-release/bin/outreach --dir tablet-ana sync

The README's demo (scripts/demo.sh) walks two devices through offline edits and a conflict.
Serving on https://127.0.0.1:$port (Ctrl-C stops it gracefully).
EOT
exec "$server" serve --data "$data" --port "$port"
