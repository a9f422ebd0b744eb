#!/usr/bin/env bash
# The README's demo: two field devices (ana and ben of team "north") against the server that
# scripts/run.sh serves. They enrol, record offline, edit the same young person's record
# concurrently, and sync: the disputed field becomes a conflict both devices show and an
# administrator can see. Every command is printed before it runs.
#   scripts/run.sh            # in one terminal
#   scripts/demo.sh           # in another (same --data and --port if you changed them)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${DATA:-demo-data}
port=${PORT:-8443}
bin=${BIN:-build-release/bin}
work=$(mktemp -d /tmp/outreach-demo.XXXXXX)
export OUTREACH_PASSCODE='demo passcode, not for real use'
url="https://127.0.0.1:$port"

run() { echo "+ $*" >&2; "$@"; }
code_for() { "$bin/outreach-server" admin --data "$data" enrolment-code "$1" | awk '{print $NF}'; }

run "$bin/outreach" --dir "$work/ana" enrol "$url" "$(code_for ana)" --ca "$data/tls/cert.pem" --name ana-tablet
run "$bin/outreach" --dir "$work/ben" enrol "$url" "$(code_for ben)" --ca "$data/tls/cert.pem" --name ben-tablet

# Ana meets a young person and records them, then syncs at the office.
person=$(run "$bin/outreach" --dir "$work/ana" add young_person known_as=Sam team_id=north caseload_owner=ana)
run "$bin/outreach" --dir "$work/ana" sync
run "$bin/outreach" --dir "$work/ben" sync

# Out in the field, no signal: both edit Sam's record; ana also records a contact.
run "$bin/outreach" --dir "$work/ana" edit "$person" school="Northgate Academy" known_as=Sammy
run "$bin/outreach" --dir "$work/ben" edit "$person" school="St Anne's" known_as=Sam
run "$bin/outreach" --dir "$work/ana" add contact created_by=ana created_at_device=2026-11-25T21:04:00Z \
  contact_type=detached_street occurred_start=2026-11-25T20:30:00Z occurred_end=2026-11-25T21:00:00Z \
  location_text="Car park behind the leisure centre" 'workers_present=["ana"]' \
  "young_people_present=[\"$person\"]" \
  'summary=[{"id":"0190a6c2-0000-7000-8000-0000000000e1","author":"ana","at":"2026-11-25T21:04:00Z","text":"Seen with two older males"}]' \
  status=draft
run "$bin/outreach" --dir "$work/ana" status

# Back at the office, both sync (twice, so each sees the other's edits).
for device in ana ben ana ben; do run "$bin/outreach" --dir "$work/$device" sync; done

# The school was edited concurrently: a conflict kept for review, on both devices.
run "$bin/outreach" --dir "$work/ana" conflicts
run "$bin/outreach" --dir "$work/ben" show "$person"
run "$bin/outreach-server" admin --data "$data" conflicts
echo "Device folders are in $work (encrypted; remove with: outreach --dir DIR wipe --yes)."
