#include "bench/sync_bench_records.h"

#include <cstdio>
#include <cstdlib>
#include <random>

#include "client-sdk/transport/http_client.h"
#include "core/model/uuid.h"
#include "core/protocol/binary_codec.h"
#include "core/protocol/json_codec.h"

namespace outreach::bench {
namespace {

using model::Json;

constexpr const char* kWords[] = {
    "seen",   "near",     "the",     "bus",      "station", "with",    "two",    "older",
    "males",  "appeared", "anxious", "said",     "phone",   "taken",   "agreed", "to",
    "meet",   "again",    "friday",  "car",      "park",    "late",    "cold",   "hungry",
    "gave",   "food",     "number",  "for",      "helpline", "mum",    "not",    "home",
    "school", "missed",   "week",    "money",    "new",     "trainers", "refused", "talk",
    "later",  "opened",   "up",      "worried",  "about",   "friend",  "party",  "flat"};
constexpr const char* kIndicators[] = {"missing_out_late", "older_partner",
                                       "unexplained_money_gifts", "worrying_phone_internet_use",
                                       "unknown_callers", "cars_with_unknown_adults",
                                       "seen_at_hotspots", "drugs_alcohol"};

std::string Timestamp(long n) {
  char text[32];
  std::snprintf(text, sizeof text, "2026-%02ld-%02ldT%02ld:%02ld:00Z", 1 + n % 12, 1 + n % 28,
                n % 24, n % 60);
  return text;
}

std::string Uuid(std::mt19937_64& random) {
  return model::NewUuidV7(1'760'000'000'000 + static_cast<std::int64_t>(random() % 10'000'000'000));
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "sync_bench: %s\n", what.c_str());
  std::exit(1);
}

}  // namespace

Json BenchContact(const std::string& user, long n) {
  std::mt19937_64 random(static_cast<std::uint64_t>(n) * 7919 + 1);
  std::string notes;
  while (notes.size() < 600) {
    notes += kWords[random() % std::size(kWords)];
    notes += ' ';
  }
  Json indicators = Json::array();
  for (const char* code : kIndicators) {
    if (random() % 2) indicators.push_back(Json{{"code", code}});
  }
  return Json{{"created_by", user},
              {"created_at_device", Timestamp(n)},
              {"contact_type", "detached_street"},
              {"occurred_start", Timestamp(n)},
              {"occurred_end", Timestamp(n + 1)},
              {"location_text", "Car park behind the leisure centre, bay " + std::to_string(n % 97)},
              {"workers_present", Json::array({user})},
              {"young_people_present", Json::array({Uuid(random)})},
              {"indicators_seen", indicators},
              {"disclosure_made", false},
              {"summary", Json::array({Json{{"id", Uuid(random)},
                                            {"author", user},
                                            {"at", Timestamp(n)},
                                            {"text", notes}}})},
              {"status", "draft"}};
}

double AverageContactJsonBytes() {
  double total = 0;
  for (long i = 0; i < 1000; ++i) {
    Json contact = BenchContact("writer", i);
    contact["id"] = model::NewUuidV7(1'760'000'000'000 + i);
    total += static_cast<double>(contact.dump().size());
  }
  return total / 1000;
}

void FillServer(const std::string& url, const std::string& ca_file, const std::string& code,
                long count) {
  client::TransportOptions transport;
  transport.base_url = url;
  transport.ca_file = ca_file;
  auto http = client::HttpClient::Create(transport);
  if (!http.ok()) Die(http.status().ToString());
  const protocol::EnrolRequest enrol{protocol::kProtocolVersion, code,
                                     model::NewUuidV7(1'760'000'000'000), "filler"};
  auto answer = (*http)->Post("/v1/enrol", "application/json", protocol::ToJson(enrol).dump(), {});
  if (!answer.ok() || answer->status != 200) Die("filler enrolment refused");
  auto identity = protocol::EnrolResponseFromJson(Json::parse(answer->body));
  if (!identity.ok()) Die(identity.status().ToString());
  client::RequestOptions options;
  options.bearer_token = identity->token;
  std::int64_t ms = 1'764'000'000'000;
  std::mt19937_64 random(99);
  for (long done = 0; done < count;) {
    protocol::SyncRequest push;
    push.page_size = 1;  // the filler never needs the records back
    for (; done < count && push.changes.size() < 5000; ++done) {
      model::Change change;
      change.change_id = Uuid(random);
      change.record_id = Uuid(random);
      change.collection = "contact";
      change.team = identity->team;
      change.schema_version = "1.0";
      change.kind = model::ChangeKind::kCreate;
      change.version = model::Version{model::Hlc{++ms, 0}, identity->device_id};
      change.author = identity->user_id;
      change.author_role = identity->role;
      Json values = BenchContact(identity->user_id, done);
      values["id"] = change.record_id;
      for (const auto& [field, value] : values.items()) {
        if (field == "summary") {
          change.appends[field].entries = value.get<std::vector<Json>>();
        } else if (field == "workers_present" || field == "young_people_present" ||
                   field == "indicators_seen") {
          change.sets[field].added = value.get<std::vector<Json>>();
        } else {
          change.registers[field].value = value;
        }
      }
      push.changes.push_back(std::move(change));
    }
    auto pushed = (*http)->Post("/v1/sync", std::string(protocol::kBinaryContentType),
                                protocol::EncodeBinary(push), options);
    if (!pushed.ok() || pushed->status != 200) Die("filler push refused");
  }
}

}  // namespace outreach::bench
