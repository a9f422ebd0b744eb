/* outreach.h: the C ABI of the outreach-sync device SDK (liboutreach.so), for Kotlin, Swift,
 * Dart and Python bindings. It wraps outreach::Client (client-sdk/client.h) one to one.
 *
 * Conventions (every function below follows them):
 * - Functions return an int: OUTREACH_OK (0) or an outreach_status code. On error,
 *   outreach_last_error() describes it; the message carries ids, field names and JSON pointers,
 *   never record values, passcodes or tokens.
 * - outreach_last_error() is per thread and valid until the next outreach_* call on that thread.
 * - Strings passed in are UTF-8 and NUL-terminated; the library keeps no pointer to them after
 *   the call returns. Optional strings may be NULL (same as "").
 * - Strings handed out through a `char** out` are malloc'd and owned by the caller: free each with
 *   outreach_free_string(). On error `*out` is set to NULL.
 * - Records, patches and entries go in and come out as JSON text.
 * - A handle may be used from any thread; calls on one handle are serialised (one at a time,
 *   the others wait), except outreach_cancel_sync(), which never waits.
 * - No C++ exception crosses this boundary; anything unexpected is OUTREACH_INTERNAL.
 */
#ifndef OUTREACH_OUTREACH_H_
#define OUTREACH_OUTREACH_H_

#include <stdint.h>

#if defined(OUTREACH_C_API_BUILD)
#define OUTREACH_EXPORT __attribute__((visibility("default")))
#else
#define OUTREACH_EXPORT
#endif

/* C++ callers see that nothing here throws; the definitions are noexcept. */
#ifdef __cplusplus
#define OUTREACH_NOEXCEPT noexcept
#else
#define OUTREACH_NOEXCEPT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The result of every call. Values mirror outreach::StatusCode and are never reused; what a
 * caller should do about each is said here once. */
typedef enum outreach_status {
  OUTREACH_OK = 0,
  /* Something passed in is unusable: a NULL or empty required argument, JSON that does not
   * parse, an unknown collection, or a record that fails its schema (the message lists each
   * problem as "<JSON pointer>: <message>"). Do not retry unchanged. */
  OUTREACH_INVALID_ARGUMENT = 1,
  /* No such record (or change). */
  OUTREACH_NOT_FOUND = 2,
  OUTREACH_ALREADY_EXISTS = 3,
  /* The passcode does not unlock this store. Nothing was read or changed; ask again. */
  OUTREACH_WRONG_KEY = 4,
  /* The store is damaged or was tampered with. Never retry. */
  OUTREACH_CORRUPT = 5,
  /* The operating system failed a read or write (disk full). The last commit is intact. */
  OUTREACH_IO = 6,
  /* Another process holds the store's lock. Retry after a short wait. */
  OUTREACH_LOCKED = 7,
  /* Refused in the current state: not enrolled yet, already enrolled, a store open twice in
   * this process, a field that may not change. Do not retry until the state changes. */
  OUTREACH_FAILED_PRECONDITION = 8,
  OUTREACH_CONSTRAINT = 9,
  /* Out of memory. Retry later. */
  OUTREACH_RESOURCE_EXHAUSTED = 10,
  /* The sync was cancelled. Nothing is lost; sync again when wanted. */
  OUTREACH_ABORTED = 11,
  /* A bug in outreach-sync. Report it. */
  OUTREACH_INTERNAL = 12,
  /* The server still refuses this device's clock after re-stamping. Check the device time. */
  OUTREACH_CLOCK_SKEW = 13,
  /* The server could not be reached. Nothing is lost; sync again later. */
  OUTREACH_UNAVAILABLE = 14,
  /* The server refused this device's credentials (or the enrolment code). Enrol again. */
  OUTREACH_UNAUTHENTICATED = 15,
  /* The server refused access. Do not retry. */
  OUTREACH_PERMISSION_DENIED = 16
} outreach_status;

/* An unlocked device store. Opaque; made by outreach_client_open, ended by
 * outreach_client_close. */
typedef struct outreach_client outreach_client;

/* ---- errors and strings ------------------------------------------------------------------ */

/* What went wrong in the last call on this thread ("" after a success). Owned by the library;
 * valid until the next outreach_* call on this thread. Never NULL. */
OUTREACH_EXPORT const char* outreach_last_error(void) OUTREACH_NOEXCEPT;

/* The stable lower_snake name of a status ("wrong_key"); "unknown" for other values. Static
 * storage: do not free. */
OUTREACH_EXPORT const char* outreach_status_name(int status) OUTREACH_NOEXCEPT;

/* Frees a string this library returned. NULL is fine. */
OUTREACH_EXPORT void outreach_free_string(char* text) OUTREACH_NOEXCEPT;

/* ---- the store --------------------------------------------------------------------------- */

/* Unlocks the device store in folder `dir` with `passcode`, creating both on first use, and
 * stores the handle in `*out_client` (NULL on error). Close it with outreach_client_close.
 * OUTREACH_WRONG_KEY: wrong passcode. OUTREACH_INVALID_ARGUMENT: empty passcode.
 * OUTREACH_FAILED_PRECONDITION: this process already has `dir` open. */
OUTREACH_EXPORT int outreach_client_open(const char* dir, const char* passcode,
                                         outreach_client** out_client) OUTREACH_NOEXCEPT;

/* Closes the store and frees the handle, then sets `*client` to NULL. NULL or *NULL is fine.
 * No other call on the handle may be in flight, nor outreach_cancel_sync. */
OUTREACH_EXPORT void outreach_client_close(outreach_client** client) OUTREACH_NOEXCEPT;

/* Rewraps the store's key under `new_passcode` (the data is not rewritten). The store may be
 * open. OUTREACH_WRONG_KEY: `old_passcode` is wrong; nothing changed. */
OUTREACH_EXPORT int outreach_store_change_passcode(const char* dir, const char* old_passcode,
                                                   const char* new_passcode) OUTREACH_NOEXCEPT;

/* Destroys the store in `dir`: its key first, then its files. Needs no passcode (a worker who
 * forgot it resets the device). OUTREACH_FAILED_PRECONDITION: a handle of this process still has
 * the store open; close it first. */
OUTREACH_EXPORT int outreach_store_wipe(const char* dir) OUTREACH_NOEXCEPT;

/* ---- enrolment ---------------------------------------------------------------------------- */

/* Exchanges a one-time enrolment `code` from an administrator for this device's credentials at
 * `server_url` ("https://host:port"; http only to 127.0.0.1 / localhost), and fetches the
 * schemas. Optional: `ca_file` (PEM to verify the server with, kept as an absolute path;
 * NULL: the system's CAs, or none with a pin), `pinned_public_key` ("sha256//<base64>"; alone,
 * it trusts the server's self-signed certificate by its key), `device_name` (shown to
 * administrators).
 * OUTREACH_FAILED_PRECONDITION: already enrolled, or TLS verification failed;
 * OUTREACH_UNAUTHENTICATED: the code was refused; OUTREACH_UNAVAILABLE: server unreachable. */
OUTREACH_EXPORT int outreach_client_enrol(outreach_client* client, const char* server_url,
                                          const char* code, const char* ca_file,
                                          const char* pinned_public_key,
                                          const char* device_name) OUTREACH_NOEXCEPT;

/* ---- records (all OUTREACH_FAILED_PRECONDITION before enrolment) ------------------------- */

/* Creates a record of `collection` from `values_json` (a JSON object of its fields) and
 * returns its new id in `*out_id` (free it). OUTREACH_INVALID_ARGUMENT: bad JSON, unknown
 * collection, or the record fails its schema; the last error names every problem as JSON
 * pointer + message. */
OUTREACH_EXPORT int outreach_record_create(outreach_client* client, const char* collection,
                                           const char* values_json,
                                           char** out_id) OUTREACH_NOEXCEPT;

/* Writes the fields of `patch_json` (a JSON object) to record `id`: single-value fields take
 * the new value (null clears), set fields the new membership, append fields gain entries.
 * OUTREACH_NOT_FOUND: no such record; OUTREACH_FAILED_PRECONDITION: an immutable field already
 * set, a forward field moving back, a disputed field, a deleted record;
 * OUTREACH_INVALID_ARGUMENT: bad JSON or schema problems (as for create). */
OUTREACH_EXPORT int outreach_record_update(outreach_client* client, const char* id,
                                           const char* patch_json) OUTREACH_NOEXCEPT;

/* Appends `entry_json` (a JSON object; an "id" is made if absent) to append field `field` of
 * record `id`, and returns the entry's id in `*out_entry_id` (free it). Errors as update. */
OUTREACH_EXPORT int outreach_record_append(outreach_client* client, const char* id,
                                           const char* field, const char* entry_json,
                                           char** out_entry_id) OUTREACH_NOEXCEPT;

/* Strikes entry `entry_id` of append field `field` of record `id` (recorded in error, or about
 * someone else) for `reason`: the entry is kept and shown as struck. Returns the strike's own
 * entry id in `*out_entry_id` (free it). OUTREACH_NOT_FOUND: no such record;
 * OUTREACH_INVALID_ARGUMENT: no reason, or a field that cannot hold a strike;
 * OUTREACH_FAILED_PRECONDITION: no entry `entry_id` in the field. */
OUTREACH_EXPORT int outreach_record_strike(outreach_client* client, const char* id,
                                           const char* field, const char* entry_id,
                                           const char* reason,
                                           char** out_entry_id) OUTREACH_NOEXCEPT;

/* Takes back record `id`, created on this device by its user and never pushed: the record and
 * its changes leave the device as if never written (nothing syncs). OUTREACH_NOT_FOUND: no
 * such record; OUTREACH_FAILED_PRECONDITION: made by another user or device, or it may have
 * reached the server (a team leader deletes it then). */
OUTREACH_EXPORT int outreach_record_withdraw(outreach_client* client,
                                             const char* id) OUTREACH_NOEXCEPT;

/* Deletes record `id` (a tombstone that syncs; the server keeps the record) for `reason`.
 * Team leaders and administrators only. OUTREACH_NOT_FOUND: no such record;
 * OUTREACH_INVALID_ARGUMENT: no reason; OUTREACH_FAILED_PRECONDITION: this user may not. */
OUTREACH_EXPORT int outreach_record_delete(outreach_client* client, const char* id,
                                           const char* reason) OUTREACH_NOEXCEPT;

/* Reads record `id` into `*out_json` (free it):
 *   {"values": {...}, "deleted": false, "has_pending_changes": true,
 *    "conflicts": [{"record_id": "...", "field": "...", "kind": "review", "candidates": 2}]}
 * OUTREACH_NOT_FOUND: no such record. */
OUTREACH_EXPORT int outreach_record_get(outreach_client* client, const char* id,
                                        char** out_json) OUTREACH_NOEXCEPT;

/* The live records of `collection` as a JSON array of their values in `*out_json` (free it).
 * With `field` and `value_json` (JSON text, e.g. "\"draft\"" or "3") only those whose `field`
 * equals that value; `field` NULL or "" for all. OUTREACH_INVALID_ARGUMENT: unknown collection
 * or bad JSON. */
OUTREACH_EXPORT int outreach_record_list(outreach_client* client, const char* collection,
                                         const char* field, const char* value_json,
                                         char** out_json) OUTREACH_NOEXCEPT;

/* ---- sync ----------------------------------------------------------------------------------- */

typedef enum outreach_sync_phase {
  OUTREACH_SYNC_PUSH = 0,
  OUTREACH_SYNC_PULL = 1,
  OUTREACH_SYNC_DONE = 2
} outreach_sync_phase;

/* How far a sync is. Passed to the progress callback; valid only during the callback. */
typedef struct outreach_sync_progress {
  int32_t phase;         /* an outreach_sync_phase */
  int64_t changes_done;  /* pushed (push) or records received (pull) */
  int64_t changes_total; /* pending at the start (push); 0 when unknown (pull) */
  int64_t bytes_done;    /* on the wire so far, both ways */
  /* What bytes_done reaches once the bytes known to be on their way have crossed: before a
   * push, bytes_done plus its body; after an answer, bytes_done. Later batches and pages are
   * not counted until they are made. 0 before anything is known. */
  int64_t bytes_total;
} outreach_sync_progress;

/* Called on the syncing thread before each push request leaves and after each answer. It may
 * call outreach_cancel_sync but no other function on the same handle (that returns
 * OUTREACH_FAILED_PRECONDITION). */
typedef void (*outreach_sync_progress_fn)(void* user_data, const outreach_sync_progress* progress);

/* Pushes this device's changes and pulls its team's, until nothing is left. Blocks. `progress`
 * (may be NULL) is called with `user_data`. `*out_summary_json` (may be NULL; free it) gets
 *   {"pushed", "rejected", "pulled", "conflicts", "requests", "bytes_sent", "bytes_received",
 *    "wiped"}.
 * Safe to interrupt at any moment (kill, battery): the next sync completes the work.
 * OUTREACH_ABORTED: cancelled; OUTREACH_UNAVAILABLE: no network or server;
 * OUTREACH_UNAUTHENTICATED / OUTREACH_PERMISSION_DENIED: refused. When "wiped" is true the
 * server revoked this device and its store is destroyed: close the handle. */
OUTREACH_EXPORT int outreach_client_sync(outreach_client* client,
                                         outreach_sync_progress_fn progress, void* user_data,
                                         char** out_summary_json) OUTREACH_NOEXCEPT;

/* Asks the sync running on `client` (on another thread, or from its progress callback) to stop;
 * it returns OUTREACH_ABORTED within ~50 ms, nothing lost. Does nothing when no sync runs.
 * Never blocks. OUTREACH_INVALID_ARGUMENT: NULL handle. */
OUTREACH_EXPORT int outreach_cancel_sync(outreach_client* client) OUTREACH_NOEXCEPT;

/* ---- device state ------------------------------------------------------------------------- */

/* `*out_json` (free it) gets {"enrolled", "server_url", "device_id", "user_id", "user_name",
 * "team", "role", "pending", "rejected", "last_sync_ms"} (last_sync_ms: when the last sync's
 * final answer was applied, even if a cancel then came too late to stop it; 0: never). */
OUTREACH_EXPORT int outreach_client_status(outreach_client* client,
                                           char** out_json) OUTREACH_NOEXCEPT;

/* Open conflicts that need a person, as a JSON array in `*out_json` (free it):
 * [{"record_id", "field", "kind", "candidates"}] (field "" for delete_vs_edit). */
OUTREACH_EXPORT int outreach_client_conflicts(outreach_client* client,
                                              char** out_json) OUTREACH_NOEXCEPT;

/* Changes the server refused, kept on the device, as a JSON array in `*out_json` (free it):
 * [{"change_id", "record_id", "collection", "reason"}]. */
OUTREACH_EXPORT int outreach_client_rejected(outreach_client* client,
                                             char** out_json) OUTREACH_NOEXCEPT;

/* Drops the rejected change `change_id`; its record is shown again without it. A refused
 * create takes its record's held-back changes with it. OUTREACH_NOT_FOUND: no such change;
 * OUTREACH_FAILED_PRECONDITION: the change is not rejected. */
OUTREACH_EXPORT int outreach_change_discard(outreach_client* client,
                                            const char* change_id) OUTREACH_NOEXCEPT;

/* Writes the rejected change `change_id` again with `patch_json` (a JSON object of fields, "{}"
 * for none) laid over what it wrote, as a new pending change; the rejected one goes. Fixing a
 * refused create also sends its record's held-back changes again. Returns the new change's id
 * in `*out_change_id` (free it). OUTREACH_INVALID_ARGUMENT: bad JSON, the fixed values break
 * the schema (the last error names each problem), or the change was a delete (discard it);
 * OUTREACH_FAILED_PRECONDITION: not rejected, its record's create is refused (fix that first),
 * or the fix writes nothing new (discard it); OUTREACH_NOT_FOUND: no such change. */
OUTREACH_EXPORT int outreach_change_fix(outreach_client* client, const char* change_id,
                                        const char* patch_json,
                                        char** out_change_id) OUTREACH_NOEXCEPT;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* OUTREACH_OUTREACH_H_ */
