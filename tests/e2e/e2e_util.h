// Helpers for end-to-end tests: enrolled SDK devices, raw protocol devices (for requests an
// honest SDK never sends), record values, and snapshots of what a device shows.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "client-sdk/client.h"
#include "client-sdk/transport/http_client.h"
#include "core/model/physical_clock.h"
#include "core/protocol/messages.h"
#include "tests/e2e/server_process.h"

namespace outreach::testing {

// The passcode EnrolDevice's stores are made with.
inline constexpr const char* kDevicePasscode = "field passcode";

// An SDK device in `dir`, enrolled with `code`, trusting the server's test CA.
std::unique_ptr<Client> EnrolDevice(const std::string& dir, const ServerProcess& server,
                                    const std::string& code,
                                    model::PhysicalClock* clock = nullptr);

// A device that speaks the protocol by hand, with its own token.
struct RawDevice {
  protocol::EnrolResponse identity;
  std::unique_ptr<client::HttpClient> http;

  client::HttpResult Post(const std::string& path, const std::string& content_type,
                          const std::string& body, const std::string& token) const;
  client::HttpResult Sync(const protocol::SyncRequest& request) const;  // binary
  // A create of a valid contact by this device at `ms`.
  model::Change NewContact(std::int64_t ms, int n) const;
};
RawDevice EnrolRaw(const ServerProcess& server, const std::string& code);

// The seed of a seeded random scenario: OUTREACH_TEST_SEED if set (a replay), else a fresh one.
// Printed on stdout under `label` and recorded as the test's "seed" property, so a failing run
// can be replayed.
std::uint64_t AnnouncedSeed(const char* label);

// Values of a valid contact written by `user` (n varies the text).
model::Json ContactValues(const std::string& user, int n);

// Every record the device shows: id -> canonical JSON of its values, deleted flag and the
// conflicts (fields, kinds, candidate values): what I1 compares.
std::map<std::string, std::string> Snapshot(Client& device);

Status SyncUntilQuiet(Client& device);

// Record id -> model::CanonicalRecord of its state: the bytes I1 compares.
using CanonicalStates = std::map<std::string, std::string>;

// Every record the device store in `dir` holds (its view: confirmed state with pending changes
// on top), read from the encrypted store itself. Close the device's Client first.
CanonicalStates DeviceStates(const std::string& dir, const std::string& passcode = kDevicePasscode);

// Every record of `device`'s team as the server holds it, pulled from the start in pages.
CanonicalStates ServerStates(const RawDevice& device);

}  // namespace outreach::testing
