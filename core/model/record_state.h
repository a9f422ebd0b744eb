// RecordState: one record as every replica (device or server) holds it, ready for merge.
// Each field keeps the candidate values no write has superseded (a multi-value register) with
// its causal context; append fields keep their entries; set fields keep their adds and
// removes. From this state the current values and open conflicts are derived
// (core/merge/record_view.h), so replicas that saw the same changes hold the same state (I1).
#pragma once

#include <charconv>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model/hlc.h"
#include "core/model/version_vector.h"

namespace outreach::model {

using Json = nlohmann::json;

// One value written by one change.
struct Candidate {
  Json value;
  Version version;
  std::string author;  // user id

  bool operator==(const Candidate&) const = default;
};

// A register field (immutable, review, lww, forward, or a field this replica's schema does not
// know): the candidates no write has superseded, sorted by version, and every version seen.
struct RegisterState {
  std::vector<Candidate> candidates;
  VersionVector seen;

  bool operator==(const RegisterState&) const = default;
};

// An append field: immutable entries. Entries never conflict and are never replaced: keyed by
// AppendKey(entry id, version), so an id reused by another change (which admission refuses)
// adds an entry rather than rewriting one.
struct AppendState {
  std::map<std::string, Candidate> entries;  // AppendKey -> entry object (value) as written
  // AppendKey -> the versions of this field's entries its author had seen (sorted), for fields
  // whose concurrent entries go to review (consent events).
  std::map<std::string, std::vector<Version>> seen;

  bool operator==(const AppendState&) const = default;
};

// One element of a set field, keyed by the canonical text of its value.
struct SetElement {
  Json value;
  // Each addition: its version -> the removals of this element its author had seen.
  std::map<Version, std::vector<Version>> adds;
  // Each removal: its version -> the additions of this element its author had seen.
  std::map<Version, std::vector<Version>> removes;

  bool operator==(const SetElement&) const = default;
};

struct SetState {
  std::map<std::string, SetElement> elements;  // canonical value text -> element

  bool operator==(const SetState&) const = default;
};

// A deletion: its version, author, and every value the deleter had seen. The record is gone
// only if the deleter had seen every live value; otherwise an edit raced the delete and the
// record stays, with a delete_vs_edit conflict (DESIGN.md section 3).
struct Deletion {
  Version version;
  std::string author;
  std::map<std::string, VersionVector> seen;  // register field -> versions seen
  // Append entries and set additions seen, exactly (sorted): unlike a register's writes they
  // carry no base, so one device's later entry says nothing about its earlier ones.
  std::vector<Version> seen_items;

  bool operator==(const Deletion&) const = default;
};

// "<entry id>@<physical_ms>.<counter>.<device>": unique per entry and change.
// Built in one allocation: it is made for every entry merged.
inline std::string AppendKey(const std::string& entry_id, const Version& version) {
  char ms[24];
  char counter[16];
  const std::size_t ms_size = static_cast<std::size_t>(
      std::to_chars(ms, ms + sizeof(ms), version.hlc.physical_ms).ptr - ms);
  const std::size_t counter_size = static_cast<std::size_t>(
      std::to_chars(counter, counter + sizeof(counter), version.hlc.counter).ptr - counter);
  std::string key;
  key.reserve(entry_id.size() + 3 + ms_size + counter_size + version.device_id.size());
  key.append(entry_id).append(1, '@').append(ms, ms_size).append(1, '.');
  key.append(counter, counter_size).append(1, '.').append(version.device_id);
  return key;
}

struct RecordState {
  std::string id;
  std::string collection;
  std::string team;
  std::string schema_version;
  std::map<std::string, RegisterState> registers;
  std::map<std::string, AppendState> appends;
  std::map<std::string, SetState> sets;
  // Deletions not yet superseded by a restore; `restores` is the context of restores seen.
  std::vector<Deletion> deletions;
  VersionVector deletions_seen;

  bool empty() const { return registers.empty() && appends.empty() && sets.empty(); }
  bool operator==(const RecordState&) const = default;
};

}  // namespace outreach::model
