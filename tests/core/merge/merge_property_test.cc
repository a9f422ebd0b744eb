// Property-based convergence: 3 to 5 replicas make concurrent creates, edits of every policy,
// appends (entries superseding and striking others, task states moving forward), set additions
// and removals, deletes and restores (resolutions), exchanging changes in random orders with
// duplicates. After everyone has everything:
//   I1  every replica holds byte-equal canonical state;
//   I2  every value ever saved is current, or superseded / removed by a change whose author had
//       seen it (by the simulation's exact record of what each author had applied, not by
//       merge's own bookkeeping), or kept as a candidate in a conflict; every entry is kept,
//       and shown, or superseded / struck by an entry whose author had seen it, or outranked
//       by a further state and kept in a conflict; a deleted record's deleter had seen every
//       value still live;
//   I3  applying any change again changes nothing.
// At least 10,000 scenarios per run (OUTREACH_PROPERTY_RUNS overrides). A failure prints
// RapidCheck's RC_PARAMS="reproduce=..." line, which replays it exactly.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <iostream>
#include <random>
#include <set>
#include <tuple>

#include "core/merge/admission.h"
#include "core/merge/join.h"
#include "core/merge/merge.h"
#include "core/merge/record_view.h"
#include "core/model/canonical_json.h"
#include "core/model/record_codec.h"
#include "core/protocol/binary_codec.h"
#include "tests/core/merge/merge_test_util.h"

namespace outreach::merge {
namespace {

using model::Change;
using model::ChangeKind;
using model::Json;
using model::RecordState;
using model::Version;

struct FieldChoice {
  const char* name;
  std::vector<Json> values;
};

const std::vector<FieldChoice>& RegisterFields() {
  static const std::vector<FieldChoice> fields = {
      {"risk", {"low", "medium", "high"}},
      {"place", {"park", "station", "car park"}},
      {"nick", {"Skye", "Sky", "S"}},
      {"status", {"draft", "submitted", "reviewed", "closed"}},
      {"imm", {"first", "second"}},
      {"unknown_field", {1, 2.5, "x"}},  // a newer schema's field: kept, resolved by version
  };
  return fields;
}

const std::vector<Json>& SetValues() {
  static const std::vector<Json> values = {"hotel", "park", "taxi rank"};
  return values;
}

class Simulation {
 public:
  // A change as made, with the exact set of changes its author had applied when writing it.
  struct Made {
    Change change;
    std::set<Version> seen;
  };

  Simulation(const schema::RecordSchema& schema, int replicas, int skew_choice)
      : schema_(schema),
        states_(static_cast<std::size_t>(replicas)),
        applied_(static_cast<std::size_t>(replicas)),
        last_physical_(static_cast<std::size_t>(replicas), 0) {
    // Tablets' clocks disagree (up to a few steps either way), so version order is not causal
    // order: merge must follow bases, never clocks.
    for (int r = 0; r < replicas; ++r) skew_.push_back(((skew_choice >> (2 * r)) % 4) * 3 - 4);
  }

  // One step of replica `r`; the arguments choose what (encoding below).
  void Step(int r, int action, int first, int second) {
    switch (action % 10) {
      case 0: case 1: WriteRegister(r, first, second); break;
      case 2: Append(r, first, second); break;
      case 3: SetAdd(r, first); break;
      case 4: SetRemove(r, first); break;
      case 5: Delete(r); break;
      case 6: Restore(r); break;
      case 7: Join(r, first); break;  // a state transfer, as a pull carries state
      default: Deliver(r, first); break;
    }
  }

  // Every replica receives every change, in its own shuffled order, some twice.
  void DeliverEverything(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    for (std::size_t r = 0; r < states_.size(); ++r) {
      std::vector<std::size_t> order(pool_.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      for (std::size_t i = 0; i < pool_.size() / 3; ++i) order.push_back(rng() % pool_.size());
      std::shuffle(order.begin(), order.end(), rng);
      for (std::size_t index : order) Apply(static_cast<int>(r), pool_[index].change);
    }
  }

  void CheckInvariants() const {
    const std::string expected = model::CanonicalRecord(states_[0]);
    for (std::size_t r = 1; r < states_.size(); ++r) {
      RC_ASSERT(model::CanonicalRecord(states_[r]) == expected);  // I1
    }
    const RecordState& final_state = states_[0];
    for (const Made& made : pool_) {
      RecordState again = final_state;
      const MergeResult result = MergeInPlace(schema_, again, made.change);
      RC_ASSERT(result.outcome == Outcome::kDuplicate);  // I3
      RC_ASSERT(model::CanonicalRecord(again) == expected);
      CheckNothingLost(final_state, made);  // I2
    }
    CheckDeletionSawEverything(final_state);  // I2 for deleted records
    (void)CurrentValues(schema_, final_state);
    (void)Conflicts(schema_, final_state);
  }

  // What the scenario exercised, so a change to admission cannot quietly stop the property
  // from covering deletes, restores and delete_vs_edit conflicts.
  struct Coverage {
    std::array<std::size_t, 5> by_kind{};  // indexed by ChangeKind
    std::size_t delete_vs_edit = 0;        // final states with a delete_vs_edit conflict
    std::size_t entries_superseded = 0;    // final states: entries superseded or struck
    std::size_t entry_races = 0;           // final states: x-entry-forward races settled
    std::size_t joins_contained = 0;       // joins whose result was the other's state
    std::size_t joins_not_contained = 0;
    std::size_t packed_contained = 0;      // of those, said so from the packed bytes

    void Add(const Coverage& other) {
      for (std::size_t kind = 0; kind < by_kind.size(); ++kind) by_kind[kind] += other.by_kind[kind];
      delete_vs_edit += other.delete_vs_edit;
      entries_superseded += other.entries_superseded;
      entry_races += other.entry_races;
      joins_contained += other.joins_contained;
      joins_not_contained += other.joins_not_contained;
      packed_contained += other.packed_contained;
    }
  };

  std::size_t changes() const { return pool_.size(); }
  Coverage coverage() const {
    Coverage coverage = coverage_;
    for (const Conflict& conflict : Conflicts(schema_, states_[0])) {
      if (conflict.kind == ConflictKind::kDeleteVsEdit) ++coverage.delete_vs_edit;
      if (conflict.field == "tasks") ++coverage.entry_races;
    }
    for (const auto& [field, history] : EntryHistory(schema_, states_[0])) {
      for (const Json& item : history) coverage.entries_superseded += item["status"] != "current";
    }
    return coverage;
  }

 private:
  // Each device's readings increase; across devices they are skewed.
  Version NextVersion(int r) {
    ++clock_;
    std::int64_t& last = last_physical_[static_cast<std::size_t>(r)];
    last = std::max(last + 1, clock_ + skew_[static_cast<std::size_t>(r)]);
    return Version{model::Hlc{last, 0}, "device-" + std::to_string(r)};
  }

  Change NewChange(int r, ChangeKind kind = ChangeKind::kUpdate) {
    // A replica's first write to a record it has never seen creates it: several replicas may
    // "create" concurrently, as offline tablets recording the same encounter would.
    if (kind == ChangeKind::kUpdate && states_[r].id.empty()) kind = ChangeKind::kCreate;
    Change change = testing::NewChange(NextVersion(r), kind);
    change.author_role = (r == 0) ? "team_leader" : "worker";
    change.reason = "scenario";
    static const char* const kVersions[] = {"1.0", "1.1", "1.2"};
    change.schema_version = kVersions[static_cast<std::size_t>(clock_ % 3)];
    change.deletion_base = states_[r].deletions_seen;
    return change;
  }

  // A replica's own change: admitted against its state, applied there, then shared, with the
  // exact set of changes its author had seen (the oracle's ground truth for I2).
  void Commit(int r, const Change& change) {
    if (!CheckAdmission(schema_, states_[r], change).ok()) return;
    const MergeResult result = MergeInPlace(schema_, states_[r], change);
    RC_ASSERT(result.outcome != Outcome::kRejected);
    ++coverage_.by_kind[static_cast<std::size_t>(change.kind)];
    pool_.push_back(Made{change, applied_[static_cast<std::size_t>(r)]});
    applied_[static_cast<std::size_t>(r)].insert(change.version);
  }

  void Apply(int r, const Change& change) {
    const MergeResult result = MergeInPlace(schema_, states_[r], change);
    RC_ASSERT(result.outcome != Outcome::kRejected);
    applied_[static_cast<std::size_t>(r)].insert(change.version);
  }

  void Join(int r, int first) {
    const auto other = static_cast<std::size_t>(first) % states_.size();
    // JoinContains says, without joining, whether the join is the other's state exactly.
    const RecordState joined = JoinStates(states_[r], states_[other]);
    RC_ASSERT(JoinContains(states_[other], states_[r]) == (joined == states_[other]));
    // Read from the packed bytes, it may only say "contained" where the join says so too; and
    // of states with no deletion (the kind it reads), it says so exactly there.
    const bool packed_contains = protocol::PackedStateContains(
        protocol::EncodeRecordState(states_[other]), protocol::EncodeRecordState(states_[r]));
    if (packed_contains) RC_ASSERT(joined == states_[other]);
    const auto no_deletion = [](const RecordState& state) {
      return state.deletions.empty() && state.deletions_seen.empty();
    };
    if (no_deletion(states_[r]) && no_deletion(states_[other])) {
      RC_ASSERT(packed_contains == (joined == states_[other]));
    }
    coverage_.packed_contained += packed_contains;
    RC_ASSERT(JoinContains(states_[r], states_[other]) ==
              (JoinStates(states_[other], states_[r]) == states_[r]));
    ++(joined == states_[other] ? coverage_.joins_contained : coverage_.joins_not_contained);
    states_[r] = joined;
    applied_[r].insert(applied_[other].begin(), applied_[other].end());
  }

  void WriteRegister(int r, int first, int second) {
    const FieldChoice& field = RegisterFields()[static_cast<std::size_t>(first) % RegisterFields().size()];
    Change change = NewChange(r);
    model::RegisterWrite write{field.values[static_cast<std::size_t>(second) % field.values.size()], {}};
    const auto current = states_[r].registers.find(field.name);
    if (current != states_[r].registers.end()) write.base = current->second.seen;
    if (std::string(field.name) == "imm" && !write.base.empty()) return;  // never overwritten
    change.registers[field.name] = std::move(write);
    Commit(r, change);
  }

  // A case note, a consent event (given / withdrawn) or a task, new or superseding one (done,
  // or back to open), or a strike of a note or task. Each records what its author had seen.
  void Append(int r, int first, int second) {
    Change change = NewChange(r);
    if (first % 4 >= 2) {
      if (!Supersede(r, first % 4 == 3, second, change)) return;
    } else if (first % 4 == 0) {
      change.appends["notes"].entries.push_back(Json{{"id", "entry-" + std::to_string(clock_)}});
    } else {
      model::AppendWrite& write = change.appends["consent_events"];
      write.entries.push_back(Json{{"id", "event-" + std::to_string(clock_)},
                                   {"kind", second % 2 == 0 ? "given" : "withdrawn"}});
      const auto current = states_[r].appends.find("consent_events");
      if (current != states_[r].appends.end()) {
        for (const auto& [key, entry] : current->second.entries) write.seen.push_back(entry.version);
      }
    }
    Commit(r, change);
  }

  // A task (new, or superseding one), or a strike of a note or a task. False if there is
  // nothing to strike.
  bool Supersede(int r, bool strike, int second, Change& change) {
    const char* field = strike && second % 2 == 0 ? "notes" : "tasks";
    std::vector<const model::Candidate*> targets;
    const auto current = states_[r].appends.find(field);
    if (current != states_[r].appends.end()) {
      for (const auto& [key, entry] : current->second.entries) targets.push_back(&entry);
    }
    const std::string id = (strike ? "strike-" : "task-") + std::to_string(clock_);
    Json entry{{"id", id}};
    if (!targets.empty() && (strike || second % 3 != 0)) {
      const model::Candidate& target = *targets[static_cast<std::size_t>(second / 3) % targets.size()];
      entry["supersedes"] = target.value["id"];
      if (strike) {
        entry["struck"] = true;
        entry["strike_reason"] = "recorded in error";
      }
    } else if (strike) {
      return false;
    }
    if (!strike) entry["state"] = (second / 2) % 2 == 0 ? "done" : "open";
    model::AppendWrite& write = change.appends[field];
    write.entries.push_back(std::move(entry));
    for (const model::Candidate* target : targets) write.seen.push_back(target->version);
    return true;
  }

  void SetAdd(int r, int first) {
    const Json& value = SetValues()[static_cast<std::size_t>(first) % SetValues().size()];
    std::vector<Version> seen_removals;
    if (const auto element = FindElement(r, value)) {
      for (const auto& [removal, observed] : element->removes) seen_removals.push_back(removal);
    }
    Change change = NewChange(r);
    change.sets["tags"] = model::SetWrite{{value}, {seen_removals}, {}};
    Commit(r, change);
  }

  void SetRemove(int r, int first) {
    const Json& value = SetValues()[static_cast<std::size_t>(first) % SetValues().size()];
    const model::SetElement* element = FindElement(r, value);
    if (element == nullptr || !SetElementPresent(*element)) return;
    std::vector<Version> observed;
    for (const auto& [add, seen] : element->adds) observed.push_back(add);
    Change change = NewChange(r);
    change.sets["tags"] = model::SetWrite{{}, {}, {model::SetRemoval{value, observed}}};
    Commit(r, change);
  }

  // Only team leaders and administrators delete or restore (admission refuses anyone else), so
  // every replica does it in one of those roles, and deletes still race edits everywhere.
  static void AsLeaderOrAdmin(int r, Change& change) {
    change.author_role = r % 2 == 0 ? "team_leader" : "admin";
    change.reason = "retention period ended";
  }

  void Delete(int r) {
    const RecordState& state = states_[r];
    if (state.id.empty() || IsDeleted(state)) return;
    Change change = NewChange(r, ChangeKind::kDelete);
    AsLeaderOrAdmin(r, change);
    change.deletion_base = state.deletions_seen;
    for (const auto& [field, reg] : state.registers) change.delete_seen[field] = reg.seen;
    for (const auto& [field, append] : state.appends) {
      for (const auto& [entry_id, entry] : append.entries) change.delete_seen_items.push_back(entry.version);
    }
    for (const auto& [field, set] : state.sets) {
      for (const auto& [key, element] : set.elements) {
        for (const auto& [add, seen] : element.adds) change.delete_seen_items.push_back(add);
      }
    }
    Commit(r, change);
  }

  void Restore(int r) {
    const RecordState& state = states_[r];
    if (state.deletions.empty()) return;
    Change change = NewChange(r, ChangeKind::kRestore);
    AsLeaderOrAdmin(r, change);
    change.deletion_base = state.deletions_seen;
    Commit(r, change);
  }

  void Deliver(int r, int first) {
    if (pool_.empty()) return;
    Apply(r, pool_[static_cast<std::size_t>(first) % pool_.size()].change);
  }

  const model::SetElement* FindElement(int r, const Json& value) const {
    const auto set = states_[r].sets.find("tags");
    if (set == states_[r].sets.end()) return nullptr;
    const auto element = set->second.elements.find(model::CanonicalJson(value));
    return element == set->second.elements.end() ? nullptr : &element->second;
  }

  const Made* Find(const Version& version) const {
    for (const Made& made : pool_) {
      if (made.change.version == version) return &made;
    }
    return nullptr;
  }

  // I2 for one change: each value it saved is still there, or a change whose author had
  // exactly seen it (by the oracle's own record, not merge's bases) superseded or removed it.
  void CheckNothingLost(const RecordState& state, const Made& made) const {
    const Change& change = made.change;
    for (const auto& [field, write] : change.registers) {
      const auto reg = state.registers.find(field);
      RC_ASSERT(reg != state.registers.end());
      const bool current = std::any_of(reg->second.candidates.begin(), reg->second.candidates.end(),
                                       [&](const model::Candidate& c) { return c.version == change.version; });
      const bool superseded = std::any_of(pool_.begin(), pool_.end(), [&](const Made& other) {
        return other.change.registers.count(field) != 0 && other.seen.count(change.version) != 0;
      });
      RC_ASSERT(current || superseded);
    }
    for (const auto& [field, write] : change.appends) {
      for (const Json& entry : write.entries) {
        const auto& entries = state.appends.at(field).entries;
        const auto kept = entries.find(model::AppendKey(entry["id"].get<std::string>(), change.version));
        RC_ASSERT(kept != entries.end());
        RC_ASSERT(kept->second.value == entry);  // never rewritten
        CheckEntryShown(state, field, kept->second);
      }
    }
    for (const auto& [field, write] : change.sets) {
      for (const Json& value : write.added) {
        const model::SetElement& element =
            state.sets.at(field).elements.at(model::CanonicalJson(value));
        RC_ASSERT(element.adds.count(change.version) == 1u);
        bool live = true;
        for (const auto& [removal, observed] : element.removes) {
          if (!std::binary_search(observed.begin(), observed.end(), change.version)) continue;
          live = false;
          // Only a removal whose author had really seen this addition may end it.
          const Made* remover = Find(removal);
          RC_ASSERT(remover != nullptr);
          RC_ASSERT(remover->seen.count(change.version) != 0);
        }
        if (live) RC_ASSERT(SetElementPresent(element));
      }
    }
  }

  // I2 for an append entry: shown among the field's current values; or superseded or struck by
  // an entry whose author had really seen it (the oracle's record); or, on the x-entry-forward
  // field, outranked by a concurrent successor at least as far along and kept in a conflict.
  void CheckEntryShown(const RecordState& state, const std::string& field,
                       const model::Candidate& entry) const {
    const Json history = EntryHistory(schema_, state).at(field);
    const auto reading = std::find_if(history.begin(), history.end(), [&](const Json& item) {
      return item["entry"] == entry.value;
    });
    RC_ASSERT(reading != history.end());
    const std::string status = (*reading)["status"];
    const Json current = CurrentValues(schema_, state)[field];
    if (status == "current") {
      RC_ASSERT(std::find(current.begin(), current.end(), entry.value) != current.end());
    } else if (status == "superseded" || status == "struck") {
      const bool seen_by_one = std::any_of(
          (*reading)["superseded_by"].begin(), (*reading)["superseded_by"].end(), [&](const Json& id) {
            const Made* successor = FindEntry(field, id.get<std::string>());
            return successor != nullptr && successor->seen.count(entry.version) != 0;
          });
      RC_ASSERT(seen_by_one);
    } else {
      RC_ASSERT(status == "outranked");
      const schema::FieldSpec& spec = *schema_.Field(field);
      const bool further_shown = std::any_of(current.begin(), current.end(), [&](const Json& shown) {
        return schema::EntryStateRanks(spec, shown) >= schema::EntryStateRanks(spec, entry.value);
      });
      RC_ASSERT(further_shown);
      const auto conflicts = Conflicts(schema_, state);
      RC_ASSERT(std::any_of(conflicts.begin(), conflicts.end(), [&](const Conflict& conflict) {
        return conflict.field == field && conflict.kind == ConflictKind::kAutoResolved &&
               std::find(conflict.candidates.begin(), conflict.candidates.end(), entry) !=
                   conflict.candidates.end();
      }));
    }
  }

  const Made* FindEntry(const std::string& field, const std::string& entry_id) const {
    for (const Made& made : pool_) {
      const auto write = made.change.appends.find(field);
      if (write == made.change.appends.end()) continue;
      for (const Json& entry : write->second.entries) {
        if (entry["id"] == entry_id) return &made;
      }
    }
    return nullptr;
  }

  // A deleted record: some live deletion's author had seen every value still live.
  void CheckDeletionSawEverything(const RecordState& state) const {
    if (!IsDeleted(state)) return;
    std::vector<Version> live;
    for (const auto& [field, reg] : state.registers) {
      for (const auto& candidate : reg.candidates) live.push_back(candidate.version);
    }
    for (const auto& [field, append] : state.appends) {
      for (const auto& [key, entry] : append.entries) live.push_back(entry.version);
    }
    for (const auto& [field, set] : state.sets) {
      for (const auto& [key, element] : set.elements) {
        for (const auto& [add, seen] : element.adds) {
          const bool removed = std::any_of(element.removes.begin(), element.removes.end(), [&](const auto& r) {
            return std::binary_search(r.second.begin(), r.second.end(), add);
          });
          if (!removed) live.push_back(add);
        }
      }
    }
    const bool someone_saw_all = std::any_of(state.deletions.begin(), state.deletions.end(),
                                             [&](const model::Deletion& deletion) {
      const Made* deleter = Find(deletion.version);
      return deleter != nullptr && std::all_of(live.begin(), live.end(), [&](const Version& v) {
        return deleter->seen.count(v) != 0;
      });
    });
    RC_ASSERT(someone_saw_all);
  }

  const schema::RecordSchema& schema_;
  std::vector<RecordState> states_;
  std::vector<std::set<Version>> applied_;  // per replica: versions of changes it has applied
  std::vector<std::int64_t> last_physical_;
  std::vector<std::int64_t> skew_;
  std::vector<Made> pool_;
  Coverage coverage_;
  std::int64_t clock_ = 1000;
};

int PropertyRuns() {
  const char* text = std::getenv("OUTREACH_PROPERTY_RUNS");
  return text != nullptr ? std::max(1, std::atoi(text)) : 10'000;
}

TEST(MergePropertyTest, ReplicasConvergeLoseNothingAndIgnoreDuplicates) {
  auto registry = schema::SchemaRegistry::LoadFromStrings({{"probe", testing::kProbeSchema}});
  ASSERT_TRUE(registry.ok()) << registry.status().ToString();
  const schema::RecordSchema& schema = *registry->Find("probe");

  rc::detail::TestParams params = rc::detail::configuration().testParams;
  params.maxSuccess = PropertyRuns();
  params.maxSize = 100;  // up to ~100 steps per scenario
  std::size_t total_changes = 0;
  Simulation::Coverage coverage;
  const auto property = [&](std::uint8_t replica_count_choice, std::uint16_t skew_choice,
                            const std::vector<std::tuple<std::uint8_t, std::uint8_t, std::uint8_t,
                                                         std::uint8_t>>& steps,
                            std::uint64_t delivery_seed) {
    const int replicas = 3 + replica_count_choice % 3;
    Simulation simulation(schema, replicas, skew_choice);
    for (const auto& [r, action, first, second] : steps) {
      simulation.Step(r % replicas, action, first, second);
    }
    simulation.DeliverEverything(delivery_seed);
    simulation.CheckInvariants();
    total_changes += simulation.changes();
    coverage.Add(simulation.coverage());
  };
  rc::detail::TestMetadata metadata;
  metadata.id = "MergePropertyTest/ReplicasConvergeLoseNothingAndIgnoreDuplicates";
  metadata.description = "convergence, nothing lost, idempotence";
  const auto result =
      rc::detail::checkProperty(rc::detail::toProperty(property), metadata, params);
  std::ostringstream report;
  rc::detail::printResultMessage(result, report);
  std::cout << "[ property ] seed " << params.seed << ", " << params.maxSuccess
            << " scenarios, " << total_changes << " changes made ("
            << coverage.by_kind[static_cast<std::size_t>(ChangeKind::kDelete)] << " deletes, "
            << coverage.by_kind[static_cast<std::size_t>(ChangeKind::kRestore)] << " restores, "
            << coverage.delete_vs_edit << " delete_vs_edit conflicts left, "
            << coverage.entries_superseded << " entries superseded or struck, "
            << coverage.entry_races << " entry state races, " << coverage.joins_contained
            << " joins contained, " << coverage.packed_contained << " told from packed bytes)"
            << std::endl;
  ASSERT_TRUE(result.template is<rc::detail::SuccessResult>()) << report.str();
  if (params.maxSuccess >= 100) {  // too few scenarios may by chance not race a delete
    EXPECT_GT(coverage.by_kind[static_cast<std::size_t>(ChangeKind::kDelete)], 0u);
    EXPECT_GT(coverage.by_kind[static_cast<std::size_t>(ChangeKind::kRestore)], 0u);
    EXPECT_GT(coverage.delete_vs_edit, 0u);
    EXPECT_GT(coverage.entries_superseded, 0u);
    EXPECT_GT(coverage.entry_races, 0u);
    EXPECT_GT(coverage.joins_contained, 0u);
    EXPECT_GT(coverage.joins_not_contained, 0u);
    EXPECT_GT(coverage.packed_contained, 0u);
  }
}

}  // namespace
}  // namespace outreach::merge
