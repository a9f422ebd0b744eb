// Three SDK devices in two teams against a real outreach-server: offline creates, edits, note
// entries and deletes, synced in a random (seeded) order. A model of who had seen what (each
// sync pushes a device's writes and pulls everything pushed before it) says what the record
// must show afterwards:
//   I1  every replica of a team, server included, holds byte-equal canonical records;
//   I2  every value a worker saved is current or kept in a conflict, unless a write whose
//       author had seen it superseded it, and a record is gone only if its deleter had seen
//       every value in it (otherwise it stays, with a delete_vs_edit conflict);
//   I6  nothing of one team reaches the other's device, and pushes into the other team are
//       refused and change nothing.
// OUTREACH_TEST_SEED=N replays a run; every failure prints the seed.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/model/uuid.h"
#include "tests/e2e/e2e_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace outreach::testing {
namespace {

using model::Json;

constexpr int kNever = std::numeric_limits<int>::max();

struct FieldDevice {
  std::string name;  // its folder
  std::string user;
  std::string team;
  bool leader = false;
  std::unique_ptr<Client> client;
  int last_sync = -1;  // the model clock at its last sync: it has seen what was pushed before
};

// One value a device saved: a record's creation (field empty), a register write (value), or an
// append entry (entry).
struct Saved {
  int device = 0;
  std::string record;
  std::string field;
  Json value;
  std::string entry;
  int order = 0;        // when it was written (the model clock)
  int pushed = kNever;  // the model clock of the sync that pushed it
  bool superseded = false;
};

struct Deletion {
  int device = 0;
  int order = 0;
  int last_sync = -1;  // what its author had pulled
};

class TeamsScenario {
 public:
  TeamsScenario(ServerProcess& server, const std::string& dir, std::uint64_t seed)
      : server_(server), dir_(dir), random_(seed) {}

  void AddDevice(const std::string& name, const std::string& user, const std::string& team,
                 bool leader, bool new_team) {
    FieldDevice device;
    device.name = name;
    device.user = user;
    device.team = team;
    device.leader = leader;
    const std::string role = leader ? "team_leader" : "worker";
    device.client = EnrolDevice(dir_ + "/" + name, server_,
                                server_.NewUserCode(team, user, role, new_team));
    devices_.push_back(std::move(device));
  }

  std::vector<FieldDevice>& devices() { return devices_; }

  // --- what the devices do, offline -------------------------------------------------------
  void Create(int index, bool contact) {
    FieldDevice& device = devices_[index];
    const int n = ++values_made_;
    Json values = contact ? ContactValues(device.user, n)
                          : Json{{"known_as", "yp " + std::to_string(n)},
                                 {"team_id", device.team},
                                 {"caseload_owner", device.user},
                                 {"address", std::to_string(n) + " High Street"}};
    auto id = device.client->Create(contact ? "contact" : "young_person", values);
    ASSERT_OK(id.status());
    records_[device.team].push_back(*id);
    collection_[*id] = contact ? "contact" : "young_person";
    Save(index, *id, "", nullptr, "");
    for (const char* field : {"location_text", "known_as", "address"}) {
      if (values.contains(field)) Save(index, *id, field, values[field], "");
    }
    ++counts_["creates"];
  }

  // Writes `field` of record `id` as device `index`. A disputed review field, or a record whose
  // delete the device has seen, refuses the write: then nothing was saved.
  void EditField(int index, const std::string& id, const std::string& field, const Json& value) {
    const Status written = devices_[index].client->Update(id, Json{{field, value}});
    if (written.code() == StatusCode::kFailedPrecondition) return;
    ASSERT_OK(written);
    Save(index, id, field, value, "");
    ++counts_["edits"];
  }

  void Edit(int index) {
    const std::string id = Pick(index, /*contacts_only=*/false);
    if (id.empty()) return;
    const bool contact = collection_[id] == "contact";
    const std::string field = contact ? "location_text" : (Coin() ? "known_as" : "address");
    EditField(index, id, field,
              field + " by " + devices_[index].name + " #" + std::to_string(++values_made_));
  }

  // A note entry (its id made by the SDK) on contact `id`.
  void NoteOn(int index, const std::string& id) {
    const std::string text = "note by " + devices_[index].name + " #" + std::to_string(++values_made_);
    auto entry = devices_[index].client->Append(id, "observations",
                                                Json{{"text", text}, {"kind", "fact"}});
    if (entry.status().code() == StatusCode::kFailedPrecondition) return;
    ASSERT_OK(entry.status());
    Save(index, id, "observations", nullptr, *entry);
    ++counts_["notes"];
  }

  void Note(int index) {
    const std::string id = Pick(index, /*contacts_only=*/true);
    if (!id.empty()) NoteOn(index, id);
  }

  // A team leader deletes a record, with a reason (each record at most once in this scenario).
  void DeleteRecord(int index, const std::string& id) {
    const Status deleted = devices_[index].client->Delete(id, "recorded twice by mistake");
    if (deleted.code() == StatusCode::kFailedPrecondition) return;
    ASSERT_OK(deleted);
    deletions_[id] = Deletion{index, ++clock_, devices_[index].last_sync};
    ++counts_["deletes"];
  }

  void Delete(int index) {
    const std::string id = Pick(index, /*contacts_only=*/false, /*not_deleted=*/true);
    if (!id.empty()) DeleteRecord(index, id);
  }

  void RandomWork(int index) {
    const int draw = static_cast<int>(random_() % 100);
    if (draw < 20) {
      Create(index, Coin());
    } else if (draw < 55) {
      Edit(index);
    } else if (draw < 85) {
      Note(index);
    } else if (devices_[index].leader) {
      Delete(index);
    } else {
      Edit(index);
    }
  }

  // --- syncs ------------------------------------------------------------------------------
  // A sync pushes everything the device wrote and pulls everything pushed before it.
  void Sync(int index) {
    FieldDevice& device = devices_[index];
    ASSERT_OK(device.client->Sync().status()) << device.name;
    const int now = ++clock_;
    for (Saved& saved : saved_) {
      if (saved.device == index && saved.pushed == kNever) saved.pushed = now;
    }
    device.last_sync = now;
  }

  void SyncAllInRandomOrder() {
    std::vector<int> order(devices_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    std::shuffle(order.begin(), order.end(), random_);
    for (int index : order) Sync(index);
  }

  bool Coin() { return random_() % 2 == 0; }
  std::mt19937_64& random() { return random_; }
  const std::map<std::string, int>& counts() const { return counts_; }
  const std::vector<std::string>& records(const std::string& team) { return records_[team]; }

  // --- I2 ---------------------------------------------------------------------------------
  // Checks every record of `team` as device `index` shows it.
  void ExpectNothingLost(int index, const std::string& team) {
    Client& client = *devices_[index].client;
    for (const std::string& id : records_[team]) {
      SCOPED_TRACE(devices_[index].name + " record " + id + " (" + collection_[id] + ")");
      ASSERT_OK_AND_ASSIGN(replica::RecordView view, client.Get(id));
      const auto deletion = deletions_.find(id);
      bool deleter_saw_everything = deletion != deletions_.end();
      for (const Saved& saved : saved_) {
        if (saved.record != id || deletion == deletions_.end()) continue;
        const Deletion& by = deletion->second;
        if (!HadSeen(by.device, by.order, by.last_sync, saved)) deleter_saw_everything = false;
      }
      EXPECT_EQ(view.deleted, deleter_saw_everything);
      if (view.deleted) continue;
      if (deletion != deletions_.end()) {
        EXPECT_TRUE(HasConflict(view, "", merge::ConflictKind::kDeleteVsEdit))
            << "a delete that raced an edit is kept for review";
      }
      for (const Saved& saved : saved_) {
        if (saved.record != id || saved.field.empty()) continue;
        if (!saved.entry.empty()) {
          EXPECT_TRUE(HasEntry(view.values[saved.field], saved.entry)) << "entry " << saved.entry;
        } else if (!saved.superseded) {
          EXPECT_TRUE(view.values[saved.field] == saved.value || InConflict(view, saved))
              << saved.field << " " << saved.value.dump() << " is neither current nor in a conflict";
        }
      }
    }
  }

 private:
  // Whether device `index`, writing at `order` having pulled at `last_sync`, had seen `saved`.
  static bool HadSeen(int index, int order, int last_sync, const Saved& saved) {
    return (saved.device == index && saved.order < order) || saved.pushed < last_sync;
  }

  void Save(int index, const std::string& record, const std::string& field, const Json& value,
            const std::string& entry) {
    Saved saved;
    saved.device = index;
    saved.record = record;
    saved.field = field;
    saved.value = value;
    saved.entry = entry;
    saved.order = ++clock_;
    if (!field.empty() && entry.empty()) {
      // A register write supersedes exactly the writes of the field its author had seen.
      for (Saved& earlier : saved_) {
        if (earlier.record == record && earlier.field == field && earlier.entry.empty() &&
            HadSeen(index, saved.order, devices_[index].last_sync, earlier)) {
          earlier.superseded = true;
        }
      }
    }
    saved_.push_back(std::move(saved));
  }

  // A record of the device's team that it shows now, chosen among them in creation order (so a
  // seed replays the same choices).
  std::string Pick(int index, bool contacts_only, bool not_deleted = false) {
    Client& client = *devices_[index].client;
    std::set<std::string> shown;
    for (const char* collection : {"contact", "young_person"}) {
      if (contacts_only && std::string(collection) != "contact") continue;
      auto listed = client.List(collection);
      EXPECT_THAT(listed.status(), IsOk());
      if (!listed.ok()) return "";
      for (const Json& values : *listed) shown.insert(values["id"].get<std::string>());
    }
    std::vector<std::string> candidates;
    for (const std::string& id : records_[devices_[index].team]) {
      if (shown.count(id) != 0 && (!not_deleted || deletions_.count(id) == 0)) candidates.push_back(id);
    }
    if (candidates.empty()) return "";
    return candidates[random_() % candidates.size()];
  }

  static bool HasConflict(const replica::RecordView& view, const std::string& field,
                          merge::ConflictKind kind) {
    return std::any_of(view.conflicts.begin(), view.conflicts.end(), [&](const merge::Conflict& c) {
      return c.field == field && c.kind == kind;
    });
  }

  static bool InConflict(const replica::RecordView& view, const Saved& saved) {
    for (const merge::Conflict& conflict : view.conflicts) {
      if (conflict.field != saved.field) continue;
      for (const model::Candidate& candidate : conflict.candidates) {
        if (candidate.value == saved.value) return true;
      }
    }
    return false;
  }

  static bool HasEntry(const Json& entries, const std::string& entry_id) {
    if (!entries.is_array()) return false;
    return std::any_of(entries.begin(), entries.end(),
                       [&](const Json& entry) { return entry.value("id", "") == entry_id; });
  }

  ServerProcess& server_;
  std::string dir_;
  std::mt19937_64 random_;
  std::vector<FieldDevice> devices_;
  std::map<std::string, std::vector<std::string>> records_;  // team -> ids, creation order
  std::map<std::string, std::string> collection_;           // id -> collection
  std::vector<Saved> saved_;
  std::map<std::string, Deletion> deletions_;
  std::map<std::string, int> counts_;
  int clock_ = 0;
  int values_made_ = 0;
};

std::set<std::string> Ids(const CanonicalStates& states) {
  std::set<std::string> ids;
  for (const auto& [id, state] : states) ids.insert(id);
  return ids;
}

TEST(EndToEndTeams, ThreeDevicesInTwoTeamsConvergeKeepEveryValueAndSeeOnlyTheirOwn) {
  const std::uint64_t seed = AnnouncedSeed("teams   ");
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay: OUTREACH_TEST_SEED=" +
               std::to_string(seed) + ")");
  TempDir dir;
  ServerProcess server(dir.path());
  TeamsScenario scenario(server, dir.path(), seed);
  // North: a worker and its team leader; south: a team leader on its own.
  scenario.AddDevice("ana-tablet", "ana", "north", /*leader=*/false, /*new_team=*/true);
  scenario.AddDevice("lee-tablet", "lee", "north", /*leader=*/true, /*new_team=*/false);
  scenario.AddDevice("cal-tablet", "cal", "south", /*leader=*/true, /*new_team=*/true);
  const int kAna = 0, kLee = 1, kCal = 2;

  // Every kind of write at least once, and races of each kind: both north tablets create
  // records offline, sync, then edit the same fields of the same young person (a review
  // field and an lww one) while Lee deletes a contact Ana is writing a note on.
  for (int index : {kAna, kLee, kCal}) {
    scenario.Create(index, /*contact=*/false);
    scenario.Create(index, /*contact=*/true);
  }
  scenario.SyncAllInRandomOrder();
  scenario.SyncAllInRandomOrder();
  // North's records so far: Ana's young person and contact, then Lee's.
  const std::string person = scenario.records("north")[0];
  const std::string doomed = scenario.records("north")[1];
  scenario.EditField(kAna, person, "address", "2 Low Road");
  scenario.EditField(kAna, person, "known_as", "Sammy");
  scenario.EditField(kLee, person, "address", "3 Mid Lane");
  scenario.EditField(kLee, person, "known_as", "Sam");
  scenario.NoteOn(kAna, doomed);
  // Deleting is a leader's, with a reason; Lee deletes the contact Ana is writing on.
  EXPECT_THAT(scenario.devices()[kAna].client->Delete(doomed, "mine"),
              StatusIs(StatusCode::kFailedPrecondition));
  scenario.DeleteRecord(kLee, doomed);
  ASSERT_EQ(scenario.counts().at("edits"), 4);
  ASSERT_EQ(scenario.counts().at("deletes"), 1);
  scenario.Note(kCal);
  scenario.Delete(kCal);

  // Then rounds of random offline work, each followed by syncs of some devices in a random
  // order.
  for (int round = 0; round < 6; ++round) {
    for (int index : {kAna, kLee, kCal}) {
      const int steps = 1 + static_cast<int>(scenario.random()() % 4);
      for (int step = 0; step < steps; ++step) {
        scenario.RandomWork(index);
        if (::testing::Test::HasFatalFailure()) return;
      }
    }
    std::vector<int> order{kAna, kLee, kCal};
    std::shuffle(order.begin(), order.end(), scenario.random());
    for (int index : order) {
      if (scenario.random()() % 4 != 0) scenario.Sync(index);
    }
  }
  // Everyone syncs until everything pushed has reached everyone.
  scenario.SyncAllInRandomOrder();
  scenario.SyncAllInRandomOrder();
  for (const auto& [what, count] : scenario.counts()) RecordProperty(what, count);

  // No write was refused by the server: what a device kept, the server took.
  for (FieldDevice& device : scenario.devices()) {
    ASSERT_OK_AND_ASSIGN(ClientStatus status, device.client->GetStatus());
    EXPECT_EQ(status.pending, 0) << device.name;
    EXPECT_EQ(status.rejected, 0) << device.name;
  }

  // I2, on every device of each team.
  scenario.ExpectNothingLost(kAna, "north");
  scenario.ExpectNothingLost(kLee, "north");
  scenario.ExpectNothingLost(kCal, "south");
  // The hand-made races above ended as conflicts; the administrators' queue lists them by field,
  // never by value.
  // (No one resolves the address, so it stays disputed; the lww name may have been written
  // again since by someone who saw both.)
  ASSERT_OK_AND_ASSIGN(auto raced, scenario.devices()[kAna].client->Get(person));
  std::set<std::string> raced_fields;
  for (const auto& conflict : raced.conflicts) raced_fields.insert(conflict.field);
  EXPECT_EQ(raced_fields.count("address"), 1u);
  const std::string queue = server.Admin({"conflicts"});
  EXPECT_NE(queue.find(person + " young_person north address review"), std::string::npos) << queue;
  EXPECT_NE(queue.find(doomed + " contact north - delete_vs_edit"), std::string::npos) << queue;
  EXPECT_EQ(queue.find("Low Road"), std::string::npos) << "no values in the queue";

  // I6: each device shows only its team's records...
  for (const std::string& id : scenario.records("north")) {
    EXPECT_THAT(scenario.devices()[kCal].client->Get(id), StatusIs(StatusCode::kNotFound)) << id;
  }
  for (const std::string& id : scenario.records("south")) {
    EXPECT_THAT(scenario.devices()[kAna].client->Get(id), StatusIs(StatusCode::kNotFound)) << id;
  }
  // ...and a south device's pushes into north are refused and change nothing there.
  RawDevice office = EnrolRaw(server, server.NewUserCode("north", "owen", "worker", false));
  RawDevice intruder = EnrolRaw(server, server.NewUserCode("south", "dan", "worker", false));
  const CanonicalStates north_before = ServerStates(office);
  protocol::SyncRequest into_north;
  into_north.changes.push_back(intruder.NewContact(1'764'000'000'000, 1));
  into_north.changes.back().team = office.identity.team;
  const auto refused_create = intruder.Sync(into_north);
  EXPECT_EQ(refused_create.status, 403) << refused_create.body;
  protocol::SyncRequest hijack;
  model::Change edit = intruder.NewContact(1'764'000'000'100, 2);
  edit.kind = model::ChangeKind::kUpdate;
  edit.record_id = person;
  edit.collection = "young_person";
  edit.registers = {{"address", model::RegisterWrite{"1 Intruder Row", {}}}};
  edit.sets.clear();
  edit.appends.clear();
  hijack.changes.push_back(edit);
  const auto refused_edit = intruder.Sync(hijack);
  EXPECT_EQ(refused_edit.status, 403) << refused_edit.body;
  EXPECT_EQ(ServerStates(office), north_before);
  const CanonicalStates south_server = ServerStates(intruder);

  // I1: with the tablets closed, their stores hold byte-equal records, equal to the server's.
  for (FieldDevice& device : scenario.devices()) device.client.reset();
  const CanonicalStates ana = DeviceStates(dir.File("ana-tablet"));
  const CanonicalStates lee = DeviceStates(dir.File("lee-tablet"));
  const CanonicalStates cal = DeviceStates(dir.File("cal-tablet"));
  const auto& north = scenario.records("north");
  const auto& south = scenario.records("south");
  EXPECT_EQ(Ids(ana), std::set<std::string>(north.begin(), north.end()));
  EXPECT_EQ(Ids(cal), std::set<std::string>(south.begin(), south.end()));
  EXPECT_TRUE(ana == lee) << "north's tablets differ";
  EXPECT_TRUE(ana == north_before) << "north's tablets differ from the server";
  EXPECT_TRUE(cal == south_server) << "south's tablet differs from the server";
}

}  // namespace
}  // namespace outreach::testing
