// Helpers for end-to-end tests: enrolled SDK devices, raw protocol devices (for requests an
// honest SDK never sends), record values, and snapshots of what a device shows.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "client-sdk/client.h"
#include "client-sdk/transport/http_client.h"
#include "core/model/physical_clock.h"
#include "core/protocol/messages.h"
#include "tests/e2e/server_process.h"

namespace outreach::testing {

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

// Values of a valid contact written by `user` (n varies the text).
model::Json ContactValues(const std::string& user, int n);

// Every record the device shows: id -> canonical JSON of its values, deleted flag and the
// conflicts (fields, kinds, candidate values): what I1 compares.
std::map<std::string, std::string> Snapshot(Client& device);

Status SyncUntilQuiet(Client& device);

}  // namespace outreach::testing
