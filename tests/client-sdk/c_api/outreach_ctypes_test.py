#!/usr/bin/env python3
"""liboutreach.so driven from Python ctypes, the way a mobile binding drives it: two devices
enrol with a real outreach-server over TLS (a CA made with the openssl command), one creates a
contact, both sync, the other reads it. Also: validation errors name the field, never the value;
cancel from a progress callback; a wrong passcode; only outreach_* symbols exported; a worker's
corrections (strike an entry, withdraw an unsynced record, fix or discard a refused change).

    outreach_ctypes_test.py --library build/lib/liboutreach.so --server build/bin/outreach-server
"""

import ctypes
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testing"))
from outreach_server import ServerTestCase, parse_test_paths  # noqa: E402

OK, INVALID_ARGUMENT, NOT_FOUND, WRONG_KEY = 0, 1, 2, 4
FAILED_PRECONDITION, ABORTED = 8, 11
SYNC_PUSH, SYNC_DONE = 0, 2

LIBRARY = None


class SyncProgress(ctypes.Structure):
    _fields_ = [("phase", ctypes.c_int32), ("changes_done", ctypes.c_int64),
                ("changes_total", ctypes.c_int64), ("bytes_done", ctypes.c_int64),
                ("bytes_total", ctypes.c_int64)]


PROGRESS_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(SyncProgress))


class OutreachError(Exception):
    def __init__(self, code, message):
        super().__init__("%d: %s" % (code, message))
        self.code = code
        self.message = message


def load_library(path):
    """Declares every function's types, as a binding generator would from outreach.h."""
    lib = ctypes.CDLL(path)
    handle, string, out_string = ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)
    signatures = {
        "outreach_client_open": [string, string, ctypes.POINTER(ctypes.c_void_p)],
        "outreach_store_change_passcode": [string, string, string],
        "outreach_store_wipe": [string],
        "outreach_client_enrol": [handle, string, string, string, string, string],
        "outreach_record_create": [handle, string, string, out_string],
        "outreach_record_update": [handle, string, string],
        "outreach_record_append": [handle, string, string, string, out_string],
        "outreach_record_delete": [handle, string, string],
        "outreach_record_get": [handle, string, out_string],
        "outreach_record_list": [handle, string, string, string, out_string],
        "outreach_client_sync": [handle, PROGRESS_FN, ctypes.c_void_p, out_string],
        "outreach_cancel_sync": [handle],
        "outreach_client_status": [handle, out_string],
        "outreach_client_conflicts": [handle, out_string],
        "outreach_client_rejected": [handle, out_string],
        "outreach_change_discard": [handle, string],
        "outreach_record_strike": [handle, string, string, string, string, out_string],
        "outreach_record_withdraw": [handle, string],
        "outreach_change_fix": [handle, string, string, out_string],
    }
    for name, arguments in signatures.items():
        function = getattr(lib, name)
        function.argtypes = arguments
        function.restype = ctypes.c_int
    lib.outreach_client_close.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    lib.outreach_client_close.restype = None
    lib.outreach_last_error.argtypes = []
    lib.outreach_last_error.restype = ctypes.c_char_p
    # Returned strings stay c_void_p so Python does not copy them away from their owner.
    lib.outreach_free_string.argtypes = [ctypes.c_void_p]
    lib.outreach_free_string.restype = None
    return lib


def _text(value):
    return None if value is None else value.encode()


class Device:
    """One device store through the C ABI: what a thin mobile binding looks like."""

    def __init__(self, lib, directory, passcode):
        self.lib = lib
        self.handle = ctypes.c_void_p()
        self._check(lib.outreach_client_open(_text(directory), _text(passcode),
                                             ctypes.byref(self.handle)))

    def _check(self, code):
        if code != OK:
            raise OutreachError(code, self.lib.outreach_last_error().decode())

    def _string_out(self, call, *arguments):
        out = ctypes.c_void_p()
        self._check(call(self.handle, *arguments, ctypes.byref(out)))
        try:
            return ctypes.string_at(out.value).decode()
        finally:
            self.lib.outreach_free_string(out)

    def close(self):
        self.lib.outreach_client_close(ctypes.byref(self.handle))
        assert self.handle.value is None

    def enrol(self, url, code, ca_file=None, pin=None, name=None):
        self._check(self.lib.outreach_client_enrol(self.handle, _text(url), _text(code),
                                                   _text(ca_file), _text(pin), _text(name)))

    def create(self, collection, values):
        return self._string_out(self.lib.outreach_record_create, _text(collection),
                                _text(json.dumps(values)))

    def update(self, record_id, patch):
        self._check(self.lib.outreach_record_update(self.handle, _text(record_id),
                                                    _text(json.dumps(patch))))

    def append(self, record_id, field, entry):
        return self._string_out(self.lib.outreach_record_append, _text(record_id), _text(field),
                                _text(json.dumps(entry)))

    def strike(self, record_id, field, entry_id, reason):
        return self._string_out(self.lib.outreach_record_strike, _text(record_id), _text(field),
                                _text(entry_id), _text(reason))

    def withdraw(self, record_id):
        self._check(self.lib.outreach_record_withdraw(self.handle, _text(record_id)))

    def fix(self, change_id, patch):
        return self._string_out(self.lib.outreach_change_fix, _text(change_id),
                                _text(json.dumps(patch)))

    def discard(self, change_id):
        self._check(self.lib.outreach_change_discard(self.handle, _text(change_id)))

    def get(self, record_id):
        return json.loads(self._string_out(self.lib.outreach_record_get, _text(record_id)))

    def list(self, collection, field=None, value=None):
        value_json = None if field is None else _text(json.dumps(value))
        return json.loads(self._string_out(self.lib.outreach_record_list, _text(collection),
                                           _text(field), value_json))

    def sync(self, on_progress=None):
        callback = PROGRESS_FN(lambda _, progress: on_progress(progress.contents)) \
            if on_progress else PROGRESS_FN()
        return json.loads(self._string_out(self.lib.outreach_client_sync, callback, None))

    def cancel_sync(self):
        self._check(self.lib.outreach_cancel_sync(self.handle))

    def status(self):
        return json.loads(self._string_out(self.lib.outreach_client_status))

    def conflicts(self):
        return json.loads(self._string_out(self.lib.outreach_client_conflicts))

    def rejected(self):
        return json.loads(self._string_out(self.lib.outreach_client_rejected))


def new_contact(user_id, **overrides):
    """A draft contact with every required field (schemas/contact.schema.json)."""
    contact = {
        "created_by": user_id,
        "created_at_device": "2024-05-01T22:10:00Z",
        "contact_type": "detached_street",
        "occurred_start": "2024-05-01T21:30:00Z",
        "occurred_end": "2024-05-01T22:05:00Z",
        "location_text": "Bus station, north entrance",
        "workers_present": [user_id],
        "young_people_present": [],
        "summary": [],
        "status": "draft",
    }
    contact.update(overrides)
    return contact


class OutreachCtypesTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lib = load_library(LIBRARY)
        cls.dir_a = os.path.join(cls.work_dir, "tablet-a")
        cls.dir_b = os.path.join(cls.work_dir, "tablet-b")
        cls.a = Device(cls.lib, cls.dir_a, "passcode a")
        cls.b = Device(cls.lib, cls.dir_b, "passcode b")
        ca, url = cls.server.ca, cls.server.url
        cls.a.enrol(url, cls.server.enrolment_code("ana"), ca.ca_file, None, "tablet a")
        cls.b.enrol(url, cls.server.enrolment_code("ben"), ca.ca_file, ca.pin, "tablet b")

    @classmethod
    def tearDownClass(cls):
        cls.a.close()
        cls.b.close()
        super().tearDownClass()

    def test_enrolled_status_names_user_team_and_device(self):
        status = self.a.status()
        self.assertTrue(status["enrolled"])
        self.assertEqual(status["user_name"], "ana")
        self.assertEqual(status["team"], self.team_id)
        self.assertEqual(status["role"], "worker")
        self.assertEqual(status["server_url"], self.server.url)
        self.assertNotEqual(status["device_id"], self.b.status()["device_id"])

    def test_contact_created_on_one_device_is_read_on_the_other(self):
        user_a = self.a.status()["user_id"]
        pending_before = self.a.status()["pending"]
        record_id = self.a.create("contact", new_contact(user_a))
        self.assertEqual(self.a.status()["pending"], pending_before + 1)
        self.assertTrue(self.a.get(record_id)["has_pending_changes"])

        steps = []
        summary = self.a.sync(lambda progress: steps.append(
            (progress.phase, progress.bytes_done, progress.bytes_total)))
        self.assertGreaterEqual(summary["pushed"], 1)
        self.assertEqual(summary["rejected"], 0)
        # First the push about to leave, its size known; last done, every byte counted.
        phase, done, total = steps[0]
        self.assertEqual(phase, SYNC_PUSH)
        self.assertGreater(total, done)
        self.assertEqual(steps[-1], (SYNC_DONE, summary["bytes_sent"] + summary["bytes_received"],
                                     summary["bytes_sent"] + summary["bytes_received"]))
        status = self.a.status()
        self.assertEqual(status["pending"], 0)
        self.assertGreater(status["last_sync_ms"], 0)

        self.assertGreaterEqual(self.b.sync()["pulled"], 1)
        seen = self.b.get(record_id)
        self.assertEqual(seen["values"]["location_text"], "Bus station, north entrance")
        self.assertEqual(seen["values"]["created_by"], user_a)
        self.assertFalse(seen["deleted"])
        self.assertFalse(seen["has_pending_changes"])
        self.assertEqual(seen["conflicts"], [])
        listed = self.b.list("contact", "location_text", "Bus station, north entrance")
        self.assertIn(record_id, [record["id"] for record in listed])

        # And back: an edit and a note on B reach A.
        self.b.update(record_id, {"location_text": "Bus station, south entrance"})
        entry_id = self.b.append(record_id, "summary", {"text": "Spoke with two young people."})
        self.b.sync()
        self.a.sync()
        values = self.a.get(record_id)["values"]
        self.assertEqual(values["location_text"], "Bus station, south entrance")
        self.assertEqual([entry["id"] for entry in values["summary"]], [entry_id])
        self.assertEqual(self.a.conflicts(), [])
        self.assertEqual(self.a.rejected(), [])

    def test_invalid_create_names_the_field_not_the_value(self):
        user_a = self.a.status()["user_id"]
        contact = new_contact(user_a, contact_type="a-secret-value")
        del contact["location_text"]
        with self.assertRaises(OutreachError) as raised:
            self.a.create("contact", contact)
        self.assertEqual(raised.exception.code, INVALID_ARGUMENT)
        self.assertIn("/contact_type", raised.exception.message)
        self.assertIn("/location_text", raised.exception.message)
        self.assertNotIn("a-secret-value", raised.exception.message)

    def test_cancel_from_the_progress_callback_loses_nothing(self):
        record_id = self.a.create("contact", new_contact(self.a.status()["user_id"]))
        reentry = []

        def cancel(_):
            self.a.cancel_sync()
            out = ctypes.c_void_p()
            reentry.append(self.lib.outreach_client_status(self.a.handle, ctypes.byref(out)))

        with self.assertRaises(OutreachError) as raised:
            self.a.sync(cancel)
        self.assertEqual(raised.exception.code, ABORTED)
        self.assertEqual(reentry[0], FAILED_PRECONDITION)
        self.a.sync()
        self.assertEqual(self.a.status()["pending"], 0)
        self.b.sync()
        self.assertEqual(self.b.get(record_id)["values"]["status"], "draft")

    def test_a_struck_entry_is_replaced_by_its_strike_on_both_devices(self):
        user_a = self.a.status()["user_id"]
        record_id = self.a.create("contact", new_contact(user_a))
        entry_id = self.a.append(record_id, "summary", {"text": "About another child."})
        self.a.sync()
        with self.assertRaises(OutreachError) as raised:
            self.a.strike(record_id, "summary", entry_id, "")
        self.assertEqual(raised.exception.code, INVALID_ARGUMENT)
        strike_id = self.a.strike(record_id, "summary", entry_id, "recorded on the wrong child")
        self.assertNotEqual(strike_id, entry_id)
        self.a.sync()
        self.b.sync()
        # The entry is kept (entry history) but no longer shown; the strike says why.
        [shown] = self.b.get(record_id)["values"]["summary"]
        self.assertEqual(shown["id"], strike_id)
        self.assertEqual((shown["supersedes"], shown["struck"]), (entry_id, True))

    def test_withdraw_takes_back_an_unsynced_record_only(self):
        user_a = self.a.status()["user_id"]
        pending_before = self.a.status()["pending"]
        mistake = self.a.create("contact", new_contact(user_a))
        self.a.withdraw(mistake)
        self.assertEqual(self.a.status()["pending"], pending_before)
        with self.assertRaises(OutreachError) as raised:
            self.a.get(mistake)
        self.assertEqual(raised.exception.code, NOT_FOUND)
        kept = self.a.create("contact", new_contact(user_a))
        self.a.sync()
        with self.assertRaises(OutreachError) as raised:
            self.a.withdraw(kept)
        self.assertEqual(raised.exception.code, FAILED_PRECONDITION)

    def test_a_refused_change_is_fixed_or_discarded(self):
        # Both tablets set the immutable merged_into of two people differently; the server
        # refuses the later tablet's changes.
        user_a = self.a.status()["user_id"]
        people = [self.a.create("young_person", {"known_as": name, "team_id": self.team_id,
                                                 "caseload_owner": user_a})
                  for name in ("Sam", "Jo")]
        self.a.sync()
        self.b.sync()
        first, second = ("0190a6c2-0000-7000-8000-0000000000b%d" % n for n in (1, 2))
        for person in people:
            self.a.update(person, {"merged_into": first})
            self.b.update(person, {"merged_into": second, "known_as": "Sammy"})
        self.a.sync()
        self.assertEqual(self.b.sync()["rejected"], 2)
        refused = {change["record_id"]: change for change in self.b.rejected()}
        self.assertIn("immutable", refused[people[0]]["reason"])
        to_fix, to_discard = (refused[person]["change_id"] for person in people)

        with self.assertRaises(OutreachError) as raised:
            self.b.fix(to_fix, {"known_as": 7})
        self.assertEqual(raised.exception.code, INVALID_ARGUMENT)
        self.assertIn("/known_as", raised.exception.message)
        with self.assertRaises(OutreachError) as raised:
            self.b.fix(to_fix, {"merged_into": first, "known_as": "Sam"})
        self.assertEqual(raised.exception.code, FAILED_PRECONDITION, "writes nothing new")
        fixed = self.b.fix(to_fix, {"merged_into": first})
        self.assertNotEqual(fixed, to_fix)

        # The other the worker gives up on: discarded, gone from the device.
        self.b.discard(to_discard)
        with self.assertRaises(OutreachError) as raised:
            self.b.discard(to_discard)
        self.assertEqual(raised.exception.code, NOT_FOUND)
        self.assertEqual(self.b.rejected(), [])

        self.assertEqual(self.b.sync()["rejected"], 0)
        self.a.sync()
        self.assertEqual(self.a.get(people[0])["values"]["known_as"], "Sammy")
        self.assertEqual(self.a.get(people[1])["values"]["known_as"], "Jo")

    def test_unknown_record_is_not_found(self):
        with self.assertRaises(OutreachError) as raised:
            self.b.get("0190c2e4-5b1a-7c3d-8e4f-00000000dead")
        self.assertEqual(raised.exception.code, NOT_FOUND)

    def test_wrong_passcode_is_wrong_key(self):
        other = os.path.join(self.work_dir, "other")
        Device(self.lib, other, "right").close()
        with self.assertRaises(OutreachError) as raised:
            Device(self.lib, other, "wrong")
        self.assertEqual(raised.exception.code, WRONG_KEY)

    def test_only_the_c_abi_is_exported(self):
        symbols = subprocess.run(["nm", "-D", "--defined-only", LIBRARY], check=True,
                                 capture_output=True, text=True).stdout.split("\n")
        names = [line.split()[-1] for line in symbols if line.strip()]
        self.assertIn("outreach_client_open", names)
        self.assertEqual([name for name in names if not name.startswith("outreach_")], [])


if __name__ == "__main__":
    (LIBRARY,), unittest_argv = parse_test_paths("--library")
    unittest.main(argv=unittest_argv, verbosity=2)
