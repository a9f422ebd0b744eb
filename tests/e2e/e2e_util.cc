#include "tests/e2e/e2e_util.h"

#include <cstdlib>
#include <iostream>
#include <random>
#include <stdexcept>

#include <gtest/gtest.h>

#include "core/model/canonical_json.h"
#include "core/model/record_codec.h"
#include "core/replica/internal/replica_store.h"
#include "core/storage/database.h"
#include "core/storage/key_source.h"
#include "core/model/uuid.h"
#include "core/protocol/binary_codec.h"
#include "core/protocol/json_codec.h"

namespace outreach::testing {
namespace {

using model::Json;

std::string Uuid(std::int64_t ms, int n) {
  // Deterministic per (ms, n) is not needed; a fresh v7 id each time.
  (void)n;
  return model::NewUuidV7(ms);
}

std::string Timestamp(int n) {
  char text[32];
  std::snprintf(text, sizeof text, "2026-11-%02dT%02d:%02d:00Z", 1 + n % 28, n % 24, n % 60);
  return text;
}

}  // namespace

std::unique_ptr<Client> EnrolDevice(const std::string& dir, const ServerProcess& server,
                                    const std::string& code, model::PhysicalClock* clock) {
  ClientOptions options;
  options.fast_kdf_for_tests = true;
  options.clock = clock;
  auto device = Client::Open(dir, kDevicePasscode, options);
  if (!device.ok()) throw std::runtime_error("open: " + device.status().ToString());
  EnrolOptions enrol;
  enrol.ca_file = server.certificates().ca_file;
  enrol.device_name = dir.substr(dir.rfind('/') + 1);
  const Status enrolled = (*device)->Enrol(server.url(), code, enrol);
  if (!enrolled.ok()) throw std::runtime_error("enrol: " + enrolled.ToString());
  return std::move(device).value();
}

client::HttpResult RawDevice::Post(const std::string& path, const std::string& content_type,
                                   const std::string& body, const std::string& token) const {
  client::RequestOptions options;
  options.bearer_token = token;
  auto result = http->Post(path, content_type, body, options);
  if (!result.ok()) throw std::runtime_error("post: " + result.status().ToString());
  return std::move(result).value();
}

client::HttpResult RawDevice::Sync(const protocol::SyncRequest& request) const {
  return Post("/v1/sync", std::string(protocol::kBinaryContentType),
              protocol::EncodeBinary(request), identity.token);
}

model::Change RawDevice::NewContact(std::int64_t ms, int n) const {
  model::Change change;
  change.change_id = Uuid(ms, n);
  change.record_id = Uuid(ms, n + 1);
  change.collection = "contact";
  change.team = identity.team;
  change.schema_version = "1.0";
  change.kind = model::ChangeKind::kCreate;
  change.version = model::Version{model::Hlc{ms, static_cast<std::uint32_t>(n)}, identity.device_id};
  change.author = identity.user_id;
  change.author_role = identity.role;
  Json values = ContactValues(identity.user_id, n);
  values["id"] = change.record_id;
  for (const auto& [field, value] : values.items()) {
    if (field == "summary") {
      change.appends[field].entries = value.get<std::vector<Json>>();
    } else if (value.is_array()) {
      change.sets[field].added = value.get<std::vector<Json>>();
    } else {
      change.registers[field].value = value;
    }
  }
  return change;
}

RawDevice EnrolRaw(const ServerProcess& server, const std::string& code) {
  RawDevice device;
  client::TransportOptions transport;
  transport.base_url = server.url();
  transport.ca_file = server.certificates().ca_file;
  transport.max_attempts = 1;
  auto http = client::HttpClient::Create(transport);
  if (!http.ok()) throw std::runtime_error("transport: " + http.status().ToString());
  device.http = std::move(http).value();
  const protocol::EnrolRequest request{protocol::kProtocolVersion, code,
                                       model::NewUuidV7(1'760'000'000'000), "raw"};
  const auto answer = device.Post("/v1/enrol", "application/json",
                                  protocol::ToJson(request).dump(), "");
  if (answer.status != 200) throw std::runtime_error("enrol refused: " + answer.body);
  auto parsed = protocol::EnrolResponseFromJson(Json::parse(answer.body));
  if (!parsed.ok()) throw std::runtime_error("enrol answer: " + parsed.status().ToString());
  device.identity = std::move(parsed).value();
  return device;
}

Json ContactValues(const std::string& user, int n) {
  std::string text = "Seen near the bus station with two older males; ";
  while (text.size() < 600) text += "appeared anxious, said phone was taken, agreed to meet again. ";
  text += std::to_string(n);
  return Json{{"created_by", user},
              {"created_at_device", Timestamp(n)},
              {"contact_type", "detached_street"},
              {"occurred_start", Timestamp(n)},
              {"occurred_end", Timestamp(n)},
              {"location_text", "car park " + std::to_string(n % 50)},
              {"workers_present", Json::array({user})},
              {"young_people_present", Json::array({model::NewUuidV7(1'760'000'000'000 + n)})},
              {"summary", Json::array({Json{{"id", model::NewUuidV7(1'760'000'000'000 + n)},
                                            {"author", user},
                                            {"at", Timestamp(n)},
                                            {"text", text}}})},
              {"status", "draft"}};
}

std::map<std::string, std::string> Snapshot(Client& device) {
  std::map<std::string, std::string> snapshot;
  auto collections = device.Collections();
  if (!collections.ok()) throw std::runtime_error("collections: " + collections.status().ToString());
  for (const std::string& collection : *collections) {
    auto records = device.List(collection);
    if (!records.ok()) throw std::runtime_error("list: " + records.status().ToString());
    for (const Json& values : *records) {
      const std::string id = values.at("id").get<std::string>();
      auto view = device.Get(id);
      if (!view.ok()) throw std::runtime_error("get: " + view.status().ToString());
      Json conflicts = Json::array();
      for (const auto& conflict : view->conflicts) {
        Json candidates = Json::array();
        for (const auto& candidate : conflict.candidates) candidates.push_back(candidate.value);
        conflicts.push_back(Json{{"field", conflict.field},
                                 {"kind", merge::ConflictKindName(conflict.kind)},
                                 {"candidates", candidates}});
      }
      snapshot[id] = model::CanonicalJson(
          Json{{"values", view->values}, {"deleted", view->deleted}, {"conflicts", conflicts}});
    }
  }
  return snapshot;
}

Status SyncUntilQuiet(Client& device) {
  // One sync pushes everything and pulls until has_more is false; a second confirms that
  // nothing further arrived meanwhile from this device's own answers.
  for (int round = 0; round < 2; ++round) {
    auto summary = device.Sync();
    if (!summary.ok()) return summary.status();
  }
  return Status::Ok();
}

CanonicalStates DeviceStates(const std::string& dir, const std::string& passcode) {
  auto db = storage::Database::Open(dir + "/device.db", storage::KeySource::Passcode(passcode));
  if (!db.ok()) throw std::runtime_error("open " + dir + ": " + db.status().ToString());
  auto tables = replica::detail::ReplicaStore::Open(db->get());
  if (!tables.ok()) throw std::runtime_error("replica tables: " + tables.status().ToString());
  auto ids = (*tables)->StoredRecordIds();
  if (!ids.ok()) throw std::runtime_error("record ids: " + ids.status().ToString());
  CanonicalStates states;
  for (const std::string& id : *ids) {
    auto view = (*tables)->LoadView(id);
    if (!view.ok() || !view->has_value()) throw std::runtime_error("record " + id + " unreadable");
    states[id] = model::CanonicalRecord(**view);
  }
  return states;
}

CanonicalStates ServerStates(const RawDevice& device) {
  CanonicalStates states;
  protocol::SyncRequest pull;
  for (int page = 0; page < 10'000; ++page) {
    const auto answer = device.Sync(pull);
    if (answer.status != 200) throw std::runtime_error("pull refused: " + answer.body);
    auto response = protocol::DecodeBinaryResponse(answer.body);
    if (!response.ok()) throw std::runtime_error("pull answer: " + response.status().ToString());
    // A record changed while paging comes again later: its newest state wins.
    for (const auto& record : response->records) states[record.id] = model::CanonicalRecord(record);
    if (!response->has_more) return states;
    pull.cursor = response->cursor;
  }
  throw std::runtime_error("the pull never ended");
}

std::uint64_t AnnouncedSeed(const char* label) {
  const char* text = std::getenv("OUTREACH_TEST_SEED");
  const std::uint64_t seed =
      text != nullptr ? std::strtoull(text, nullptr, 10) : std::random_device{}();
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  std::cout << "[ " << label << " ] seed " << seed << " (OUTREACH_TEST_SEED reproduces)"
            << std::endl;
  return seed;
}

}  // namespace outreach::testing
