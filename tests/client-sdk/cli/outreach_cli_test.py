#!/usr/bin/env python3
"""The `outreach` CLI against a real outreach-server on 127.0.0.1 (TLS, a CA made with the
openssl command), as a script would use it: two enrolled devices round-trip records through
add/edit/note/list/show/sync, concurrent edits show as a conflict on both, a revoked device is
wiped by its next sync, import is all or nothing and names bad lines, and every exit code of the
README's table but 10 (internal) is provoked. A worker's corrections: strike an entry, withdraw
an unsynced record, fix or discard a refused change. A second server on its own self-signed certificate
is trusted by its pin alone; a relative --ca path keeps working from another folder.

    outreach_cli_test.py --cli build/bin/outreach --server build/bin/outreach-server
"""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testing"))
from outreach_server import ServerTestCase, parse_test_paths, child_environment  # noqa: E402

CLI_BINARY = None

EXIT_OK, EXIT_USAGE, EXIT_INVALID_INPUT, EXIT_WRONG_PASSCODE = 0, 1, 2, 3
EXIT_NOT_READY, EXIT_TRY_LATER, EXIT_REFUSED, EXIT_WIPED, EXIT_NOT_FOUND = 4, 5, 6, 7, 8


class Device:
    """One device folder driven through the CLI; the passcode comes from OUTREACH_PASSCODE."""

    def __init__(self, directory, passcode):
        self.directory = directory
        self.passcode = passcode

    def run(self, *arguments, passcode=None, stdin="", extra_env=None, cwd=None):
        env = child_environment()
        env.pop("OUTREACH_PASSCODE", None)
        env["OUTREACH_PASSCODE"] = passcode if passcode is not None else self.passcode
        env.update(extra_env or {})
        # stdin is never a terminal here, so the CLI must take the passcode from the variable.
        return subprocess.run([CLI_BINARY, "--dir", self.directory, *arguments], input=stdin,
                              capture_output=True, text=True, env=env, timeout=120, cwd=cwd)

    def json(self, *arguments, stdin=""):
        """Runs a command with --json that must succeed; returns its parsed output."""
        done = self.run("--json", *arguments, stdin=stdin)
        if done.returncode != EXIT_OK:
            raise AssertionError("%s exited %d: %s %s" % (arguments, done.returncode,
                                                          done.stdout, done.stderr))
        return json.loads(done.stdout)


def contact_fields(user_id, location="Bus station, north entrance"):
    """A draft contact as field=value arguments (schemas/contact.schema.json's required fields)."""
    return ["created_by=" + user_id, "created_at_device=2024-05-01T22:10:00Z",
            "contact_type=detached_street", "occurred_start=2024-05-01T21:30:00Z",
            "occurred_end=2024-05-01T22:05:00Z", "location_text=" + location,
            'workers_present=["%s"]' % user_id, "young_people_present=[]", "summary=[]",
            "status=draft"]


def contact_line(user_id, location):
    arguments = contact_fields(user_id, location)
    record = {}
    for argument in arguments:
        field, value = argument.split("=", 1)
        try:
            record[field] = json.loads(value)
        except ValueError:
            record[field] = value
    return json.dumps(record)


class OutreachCliTest(ServerTestCase):
    # A team leader: deleting safeguarding records is for leaders and administrators.
    USERS = {"ana": "team_leader", "ben": "worker"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a = Device(os.path.join(cls.work_dir, "tablet-a"), "passcode a")
        cls.b = Device(os.path.join(cls.work_dir, "tablet-b"), "passcode b")
        ca = cls.server.ca
        cls.a.json("enrol", cls.server.url, cls.server.enrolment_code("ana"), "--ca", ca.ca_file)
        cls.b.json("enrol", cls.server.url, cls.server.enrolment_code("ben"), "--ca", ca.ca_file,
                   "--pin", ca.pin, "--name", "tablet b")
        cls.user_a = cls.a.json("status")["user_id"]

    def enrolled_device(self, name, user, passcode="pass"):
        device = Device(os.path.join(self.work_dir, name), passcode)
        device.json("enrol", self.server.url, self.server.enrolment_code(user), "--ca",
                    self.server.ca.ca_file)
        return device

    def count_contacts(self, device):
        return len(device.json("list", "contact"))

    def test_round_trip_between_two_devices(self):
        record_id = self.a.json("add", "contact", *contact_fields(self.user_a))["id"]
        self.a.json("sync")
        self.b.json("sync")
        shown = self.b.json("show", record_id)
        self.assertEqual(shown["values"]["location_text"], "Bus station, north entrance")
        self.assertFalse(shown["has_pending_changes"])
        drafts = self.b.json("list", "contact", "--where", "status=draft")
        self.assertIn(record_id, [record["id"] for record in drafts])

        self.b.json("edit", record_id, "location_text=Bus station, south entrance",
                    "unidentified_young_people_count=2")
        entry_id = self.b.json("note", record_id, "summary", "text=Two young people, both known.")
        self.b.json("sync")
        self.a.json("sync")
        values = self.a.json("show", record_id)["values"]
        self.assertEqual(values["location_text"], "Bus station, south entrance")
        self.assertEqual(values["unidentified_young_people_count"], 2)
        self.assertEqual([entry["id"] for entry in values["summary"]], [entry_id["entry_id"]])

        # Human output: show prints the values; list prints one JSON record a line.
        shown_text = self.a.run("show", record_id)
        self.assertEqual(shown_text.returncode, EXIT_OK)
        self.assertIn("south entrance", shown_text.stdout)
        listed = self.a.run("list", "contact", "--where", "status=draft").stdout.splitlines()
        self.assertIn(record_id, [json.loads(line)["id"] for line in listed])

    def test_status_counts_pending_until_sync(self):
        self.a.json("sync")
        self.assertEqual(self.a.json("status")["pending"], 0)
        self.a.json("add", "contact", *contact_fields(self.user_a))
        self.assertEqual(self.a.json("status")["pending"], 1)
        text = self.a.run("status").stdout
        self.assertIn("pending    1", text)
        synced = self.a.run("sync")  # not a terminal: plain progress lines on stderr
        self.assertEqual(synced.returncode, EXIT_OK, synced.stderr)
        self.assertIn("sync: done", synced.stderr)
        self.assertIn("synced: sent 1 changes", synced.stdout)
        status = self.a.json("status")
        self.assertEqual(status["pending"], 0)
        self.assertGreater(status["last_sync_ms"], 0)
        self.assertEqual(status["team"], self.team_id)
        self.assertEqual(status["user_name"], "ana")

    def test_import_with_an_invalid_line_imports_nothing(self):
        before = self.count_contacts(self.a)
        bad = json.loads(contact_line(self.user_a, "Park"))
        del bad["location_text"]
        bad["contact_type"] = "a-secret-value"
        path = os.path.join(self.work_dir, "bad.jsonl")
        with open(path, "w") as out:
            out.write(contact_line(self.user_a, "Library") + "\n\n" + json.dumps(bad) + "\n" +
                      contact_line(self.user_a, "Market") + "\n")
        done = self.a.run("import", "contact", path)
        self.assertEqual(done.returncode, EXIT_INVALID_INPUT, done.stderr)
        self.assertIn("line 3: /contact_type", done.stderr)
        self.assertIn("line 3: /location_text", done.stderr)
        self.assertNotIn("line 1", done.stderr)
        self.assertNotIn("a-secret-value", done.stderr + done.stdout)
        as_json = self.a.run("--json", "import", "contact", path)
        self.assertEqual(as_json.returncode, EXIT_INVALID_INPUT)
        error = json.loads(as_json.stdout)["error"]
        self.assertEqual(error["exit_code"], EXIT_INVALID_INPUT)
        self.assertEqual([line["line"] for line in error["lines"]], [3])
        self.assertEqual(self.count_contacts(self.a), before)

    def test_import_creates_every_line(self):
        before = self.count_contacts(self.a)
        lines = contact_line(self.user_a, "Library") + "\n" + contact_line(self.user_a, "Market")
        created = self.a.json("import", "contact", "-", stdin=lines + "\n")["created"]
        self.assertEqual(len(created), 2)
        self.assertEqual(self.count_contacts(self.a), before + 2)

    def test_invalid_add_is_exit_2_naming_the_field(self):
        fields = [field for field in contact_fields(self.user_a)
                  if not field.startswith("contact_type=")] + ["contact_type=a-secret-value"]
        done = self.a.run("add", "contact", *fields)
        self.assertEqual(done.returncode, EXIT_INVALID_INPUT)
        self.assertIn("/contact_type", done.stderr)
        self.assertNotIn("a-secret-value", done.stderr + done.stdout)
        problems = json.loads(self.a.run("--json", "add", "contact", *fields).stdout)
        self.assertEqual(problems["error"]["problems"][0]["pointer"], "/contact_type")

    def test_add_from_stdin(self):
        record_id = self.a.json("add", "contact", "-", "status=draft",
                                stdin=contact_line(self.user_a, "Harbour"))["id"]
        self.assertEqual(self.a.json("show", record_id)["values"]["location_text"], "Harbour")

    def test_delete_needs_a_reason_and_keeps_a_tombstone(self):
        record_id = self.a.json("add", "contact", *contact_fields(self.user_a))["id"]
        self.assertEqual(self.a.run("delete", record_id).returncode, EXIT_USAGE)
        self.a.json("delete", record_id, "--reason", "entered twice")
        self.assertTrue(self.a.json("show", record_id)["deleted"])

    def test_wrong_passcode_is_exit_3(self):
        done = self.a.run("status", passcode="not the passcode")
        self.assertEqual(done.returncode, EXIT_WRONG_PASSCODE)
        self.assertIn("wrong passcode", done.stderr)
        as_json = self.a.run("--json", "status", passcode="not the passcode")
        self.assertEqual(json.loads(as_json.stdout)["error"]["code"], "wrong_key")

    def test_passcode_change_then_wipe(self):
        device = self.enrolled_device("tablet-c", "ben", passcode="first")
        changed = device.run("passcode", extra_env={"OUTREACH_NEW_PASSCODE": "second"})
        self.assertEqual(changed.returncode, EXIT_OK, changed.stderr)
        self.assertEqual(device.run("status").returncode, EXIT_WRONG_PASSCODE)
        device.passcode = "second"
        self.assertEqual(device.run("status").returncode, EXIT_OK)
        self.assertEqual(device.run("wipe").returncode, EXIT_USAGE)  # no terminal, no --yes
        self.assertTrue(device.json("wipe", "--yes")["wiped"])
        self.assertEqual(device.run("status").returncode, EXIT_NOT_READY)

    def test_concurrent_edits_are_a_conflict_on_both_devices(self):
        record_id = self.a.json("add", "contact", *contact_fields(self.user_a))["id"]
        self.a.json("sync")
        self.b.json("sync")
        self.a.json("edit", record_id, "location_text=North gate")
        self.b.json("edit", record_id, "location_text=South gate")
        for device in (self.a, self.b, self.a):
            device.json("sync")
        for device in (self.a, self.b):
            conflicts = [c for c in device.json("conflicts") if c["record_id"] == record_id]
            self.assertEqual(conflicts, [{"record_id": record_id, "field": "location_text",
                                          "kind": "review", "candidates": 2}])
        listed = self.b.run("conflicts").stdout
        self.assertIn(record_id + " location_text review candidates=2", listed)
        self.assertNotIn("gate", listed)  # who disagreed about what, never the values

    def test_revoked_device_is_wiped_by_its_next_sync(self):
        device = self.enrolled_device("tablet-revoked", "ben")
        self.server.admin("revoke", device.json("status")["device_id"])
        done = device.run("sync")
        self.assertEqual(done.returncode, EXIT_WIPED, done.stderr)
        self.assertIn("wiped", done.stderr)
        self.assertEqual(device.run("status").returncode, EXIT_NOT_READY)
        self.assertEqual(os.listdir(device.directory), [])

    def test_exit_codes_for_the_device_state(self):
        fresh = Device(os.path.join(self.work_dir, "never-enrolled"), "pass")
        self.assertEqual(fresh.run("status").returncode, EXIT_NOT_READY)
        self.assertEqual(fresh.run("list", "contact").returncode, EXIT_NOT_READY)
        self.assertEqual(self.a.run("show", "0190c2e4-5b1a-7c3d-8e4f-00000000dead").returncode,
                         EXIT_NOT_FOUND)
        self.assertEqual(self.a.run("list", "no_such_type").returncode, EXIT_INVALID_INPUT)
        self.assertEqual(self.a.run("status", "--no-such-option").returncode, EXIT_USAGE)
        misplaced = self.a.run("show", "some-id", "words-typed-in-the-wrong-place")
        self.assertEqual(misplaced.returncode, EXIT_USAGE)
        self.assertNotIn("words-typed", misplaced.stderr + misplaced.stdout)
        no_passcode = subprocess.run([CLI_BINARY, "--dir", self.a.directory, "status"],
                                     capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                     env={k: v for k, v in child_environment().items()
                                          if k != "OUTREACH_PASSCODE"})
        self.assertEqual(no_passcode.returncode, EXIT_USAGE)

    def test_refused_enrolment_code_is_exit_6(self):
        stranger = Device(os.path.join(self.work_dir, "stranger"), "pass")
        done = stranger.run("enrol", self.server.url, "not-a-code", "--ca", self.server.ca.ca_file)
        self.assertEqual(done.returncode, EXIT_REFUSED, done.stderr)

    def test_unreachable_server_is_exit_5(self):
        offline = Device(os.path.join(self.work_dir, "offline"), "pass")
        done = offline.run("enrol", "https://127.0.0.1:1", "some-code", "--ca",
                           self.server.ca.ca_file)
        self.assertEqual(done.returncode, EXIT_TRY_LATER, done.stderr)
        self.assertIn("nothing is lost", done.stderr)

    def test_strike_an_entry(self):
        record_id = self.a.json("add", "contact", *contact_fields(self.user_a))["id"]
        entry_id = self.a.json("note", record_id, "summary", "text=About another child.")["entry_id"]
        missing_reason = self.a.run("strike", record_id, "summary", entry_id)
        self.assertEqual(missing_reason.returncode, EXIT_USAGE)
        no_entry = self.a.run("strike", record_id, "summary", "0190c2e4-5b1a-7c3d-8e4f-00000000dead",
                              "--reason", "wrong")
        self.assertEqual(no_entry.returncode, EXIT_NOT_READY, no_entry.stderr)
        no_record = self.a.run("strike", "0190c2e4-5b1a-7c3d-8e4f-00000000dead", "summary",
                               entry_id, "--reason", "wrong")
        self.assertEqual(no_record.returncode, EXIT_NOT_FOUND, no_record.stderr)
        struck = self.a.json("strike", record_id, "summary", entry_id, "--reason", "wrong child")
        self.assertEqual((struck["id"], struck["struck"]), (record_id, entry_id))
        self.a.json("sync")
        self.b.json("sync")
        [shown] = self.b.json("show", record_id)["values"]["summary"]
        self.assertEqual(shown["id"], struck["entry_id"])
        self.assertEqual((shown["supersedes"], shown["struck"]), (entry_id, True))

    def test_withdraw_an_unsynced_record(self):
        mistake = self.b.json("add", "contact", *contact_fields(self.user_a))["id"]
        self.assertEqual(self.b.json("withdraw", mistake), {"id": mistake, "withdrawn": True})
        self.assertEqual(self.b.run("show", mistake).returncode, EXIT_NOT_FOUND)
        self.assertEqual(self.b.run("withdraw", mistake).returncode, EXIT_NOT_FOUND)
        sent = self.b.json("add", "contact", *contact_fields(self.user_a))["id"]
        self.b.json("sync")
        refused = self.b.run("--json", "withdraw", sent)
        self.assertEqual(refused.returncode, EXIT_NOT_READY)
        self.assertIn("team leader", json.loads(refused.stdout)["error"]["message"])

    def test_fix_or_discard_a_refused_change(self):
        # Both tablets set the immutable merged_into of two people differently; the server
        # refuses tablet b's changes, which came second.
        people = [self.a.json("add", "young_person", "known_as=" + name, "team_id=" + self.team_id,
                              "caseload_owner=" + self.user_a)["id"] for name in ("Sam", "Jo")]
        self.a.json("sync")
        self.b.json("sync")
        first, second = ("0190a6c2-0000-7000-8000-0000000000b%d" % n for n in (1, 2))
        for person in people:
            self.a.json("edit", person, "merged_into=" + first)
            self.b.json("edit", person, "merged_into=" + second, "known_as=Sammy")
        self.a.json("sync")
        self.assertEqual(self.b.json("sync")["rejected"], 2)
        refused = {change["record_id"]: change["change_id"] for change in self.b.json("rejected")
                   if change["record_id"] in people}
        to_fix, to_discard = refused[people[0]], refused[people[1]]

        invalid = self.b.run("--json", "fix", to_fix, "known_as=7")
        self.assertEqual(invalid.returncode, EXIT_INVALID_INPUT)
        self.assertEqual([problem["pointer"] for problem in
                          json.loads(invalid.stdout)["error"]["problems"]], ["/known_as"])
        fixed = self.b.json("fix", to_fix, "merged_into=" + first)
        self.assertEqual(fixed["fixed"], to_fix)
        self.assertNotEqual(fixed["change_id"], to_fix)
        self.assertEqual(self.b.run("fix", to_fix).returncode, EXIT_NOT_FOUND)

        self.assertEqual(self.b.json("discard", to_discard),
                         {"change_id": to_discard, "discarded": True})
        self.assertEqual(self.b.run("discard", to_discard).returncode, EXIT_NOT_FOUND)
        self.assertEqual([change for change in self.b.json("rejected")
                          if change["record_id"] in people], [])
        self.assertEqual(self.b.json("sync")["rejected"], 0)
        self.a.json("sync")
        self.assertEqual(self.a.json("show", people[0])["values"]["known_as"], "Sammy")
        self.assertEqual(self.a.json("show", people[1])["values"]["known_as"], "Jo")

    def test_a_relative_ca_path_still_works_from_another_folder(self):
        device = Device(os.path.join(self.work_dir, "tablet-relative-ca"), "pass")
        ca_folder, ca_name = os.path.split(self.server.ca.ca_file)
        enrolled = device.run("--json", "enrol", self.server.url, self.server.enrolment_code("ben"),
                              "--ca", ca_name, cwd=ca_folder)
        self.assertEqual(enrolled.returncode, EXIT_OK, enrolled.stdout)
        elsewhere = device.run("--json", "sync", cwd=self.work_dir)
        self.assertEqual(elsewhere.returncode, EXIT_OK, elsewhere.stdout)
        self.assertEqual(json.loads(elsewhere.stdout)["rejected"], 0)

    def test_json_output_parses_for_every_reading_command(self):
        for command in (["status"], ["list", "contact"], ["conflicts"], ["rejected"], ["sync"]):
            self.assertIsInstance(self.b.json(*command), (dict, list), command)


class SelfSignedServerCliTest(ServerTestCase):
    """A server on the self-signed certificate it makes on first start, as scripts/run.sh
    serves: a device trusts it by the pin `serve` prints, with no CA file."""

    SELF_SIGNED = True
    USERS = {"cal": "worker"}

    def test_a_pin_alone_enrols_and_syncs(self):
        device = Device(os.path.join(self.work_dir, "tablet-pinned"), "pass")
        enrolled = device.json("enrol", self.server.url, self.server.enrolment_code("cal"),
                               "--pin", self.server.pin)
        self.assertEqual(enrolled["user_name"], "cal")
        user_id = device.json("status")["user_id"]
        record_id = device.json("add", "contact", *contact_fields(user_id))["id"]
        self.assertEqual(device.json("sync")["pushed"], 1)
        self.assertIn(record_id, [record["id"] for record in device.json("list", "contact")])

    def test_a_wrong_pin_alone_is_refused(self):
        device = Device(os.path.join(self.work_dir, "tablet-wrong-pin"), "pass")
        wrong_pin = "sha256//" + "A" * 43 + "="
        done = device.run("--json", "enrol", self.server.url, self.server.enrolment_code("cal"),
                          "--pin", wrong_pin)
        self.assertEqual(done.returncode, EXIT_NOT_READY, done.stdout)
        self.assertIn("pinned public key", json.loads(done.stdout)["error"]["message"])

    def test_without_ca_or_pin_the_self_signed_certificate_is_refused(self):
        device = Device(os.path.join(self.work_dir, "tablet-trusting-nothing"), "pass")
        done = device.run("enrol", self.server.url, self.server.enrolment_code("cal"))
        self.assertEqual(done.returncode, EXIT_NOT_READY, done.stderr)


if __name__ == "__main__":
    (CLI_BINARY,), unittest_argv = parse_test_paths("--cli")
    unittest.main(argv=unittest_argv, verbosity=2)
