#include "core/model/record_codec.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "core/model/canonical_json.h"

namespace outreach::model {

// Input from the network may nest without end; copying such a value recurses and would
// overflow the stack. Checked without recursion before anything is copied.
constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxNodes = 4'000'000;

bool JsonWithinLimits(const Json& root) {
  std::vector<std::pair<const Json*, int>> pending{{&root, 1}};
  std::size_t nodes = 0;
  while (!pending.empty()) {
    const auto [node, depth] = pending.back();
    pending.pop_back();
    if (depth > kMaxDepth || ++nodes > kMaxNodes) return false;
    if (node->is_structured()) {
      for (const Json& child : *node) pending.emplace_back(&child, depth + 1);
    }
  }
  return true;
}

namespace {

// Decoding throws this (inside this file only) and FromJson turns it into a Status.
struct ShapeError {
  std::string where;
};

void Require(bool condition, const char* where) {
  if (!condition) throw ShapeError{where};
}

Hlc HlcFromJson(const Json& physical, const Json& counter) {
  Require(physical.is_number_integer() && counter.is_number_unsigned() &&
              counter.get<std::uint64_t>() <= std::numeric_limits<std::uint32_t>::max(),
          "clock reading");
  const Hlc hlc{physical.get<std::int64_t>(), static_cast<std::uint32_t>(counter.get<std::uint64_t>())};
  Require(hlc.IsValid(), "clock reading");
  return hlc;
}

Version VersionFromJson(const Json& json) {
  Require(json.is_array() && json.size() == 3 && json[2].is_string(), "version");
  return Version{HlcFromJson(json[0], json[1]), json[2].get<std::string>()};
}

VersionVector VectorFromJson(const Json& json) {
  Require(json.is_object(), "version vector");
  VersionVector vector;
  for (const auto& [device, hlc] : json.items()) {
    Require(hlc.is_array() && hlc.size() == 2, "version vector entry");
    vector.Add(Version{HlcFromJson(hlc[0], hlc[1]), device});
  }
  return vector;
}

std::vector<Version> VersionsFromJson(const Json& json) {
  Require(json.is_array(), "version list");
  std::vector<Version> versions;
  for (const auto& item : json) versions.push_back(VersionFromJson(item));
  return versions;
}

Json VersionsToJson(const std::vector<Version>& versions) {
  Json out = Json::array();
  for (const auto& version : versions) out.push_back(VersionToJson(version));
  return out;
}

Json CandidateToJson(const Candidate& candidate) {
  return Json{{"v", candidate.value}, {"ver", VersionToJson(candidate.version)},
              {"by", candidate.author}};
}

Candidate CandidateFromJson(const Json& json) {
  Require(json.is_object() && json.contains("v") && json.contains("ver") &&
              json.contains("by") && json["by"].is_string(),
          "candidate");
  return Candidate{json["v"], VersionFromJson(json["ver"]), json["by"].get<std::string>()};
}

Json VersionMapToJson(const std::map<Version, std::vector<Version>>& map) {
  Json out = Json::array();
  for (const auto& [version, seen] : map) {
    out.push_back(Json::array({VersionToJson(version), VersionsToJson(seen)}));
  }
  return out;
}

std::map<Version, std::vector<Version>> VersionMapFromJson(const Json& json) {
  Require(json.is_array(), "set history");
  std::map<Version, std::vector<Version>> map;
  for (const auto& pair : json) {
    Require(pair.is_array() && pair.size() == 2, "set history entry");
    map[VersionFromJson(pair[0])] = VersionsFromJson(pair[1]);
  }
  return map;
}

Json SeenToJson(const std::map<std::string, VersionVector>& seen) {
  Json out = Json::object();
  for (const auto& [field, vector] : seen) out[field] = VectorToJson(vector);
  return out;
}

std::map<std::string, VersionVector> SeenFromJson(const Json& json) {
  Require(json.is_object(), "seen");
  std::map<std::string, VersionVector> seen;
  for (const auto& [field, vector] : json.items()) seen[field] = VectorFromJson(vector);
  return seen;
}

std::string StringField(const Json& json, const char* key) {
  Require(json.contains(key) && json[key].is_string(), key);
  return json[key].get<std::string>();
}

RecordState DecodeRecord(const Json& json) {
  Require(json.is_object(), "record");
  RecordState state;
  state.id = StringField(json, "id");
  state.collection = StringField(json, "collection");
  state.team = StringField(json, "team");
  state.schema_version = StringField(json, "schema_version");
  // Bind each part to a local first: items() on a temporary would outlive it.
  const Json registers = json.value("registers", Json::object());
  for (const auto& [field, reg] : registers.items()) {
    Require(reg.is_object() && reg.contains("candidates") && reg["candidates"].is_array(),
            "register");
    RegisterState& out = state.registers[field];
    for (const auto& candidate : reg["candidates"]) out.candidates.push_back(CandidateFromJson(candidate));
    // Merge relies on candidates in version order, each version once.
    std::sort(out.candidates.begin(), out.candidates.end(),
              [](const Candidate& a, const Candidate& b) { return a.version < b.version; });
    for (std::size_t i = 1; i < out.candidates.size(); ++i) {
      Require(out.candidates[i - 1].version != out.candidates[i].version, "candidates");
    }
    out.seen = VectorFromJson(reg.value("seen", Json::object()));
  }
  const Json appends = json.value("appends", Json::object());
  for (const auto& [field, entries] : appends.items()) {
    Require(entries.is_object(), "append field");
    for (const auto& [key, entry] : entries.items()) {
      Candidate candidate = CandidateFromJson(entry);
      Require(candidate.value.is_object() && candidate.value.contains("id") &&
                  candidate.value["id"].is_string() &&
                  key == AppendKey(candidate.value["id"].get<std::string>(), candidate.version),
              "append entry key");
      state.appends[field].entries[key] = std::move(candidate);
    }
  }
  const Json append_seen = json.value("append_seen", Json::object());
  for (const auto& [field, by_entry] : append_seen.items()) {
    Require(by_entry.is_object(), "append seen");
    for (const auto& [key, versions] : by_entry.items()) {
      Require(state.appends[field].entries.count(key) == 1, "append seen key");
      std::vector<Version> seen = VersionsFromJson(versions);
      std::sort(seen.begin(), seen.end());
      state.appends[field].seen[key] = std::move(seen);
    }
  }
  const Json sets = json.value("sets", Json::object());
  for (const auto& [field, elements] : sets.items()) {
    Require(elements.is_object(), "set field");
    for (const auto& [key, element] : elements.items()) {
      Require(element.is_object() && element.contains("value") &&
                  key == CanonicalJson(element["value"]),
              "set element");
      SetElement& out = state.sets[field].elements[key];
      out.value = element["value"];
      out.adds = VersionMapFromJson(element.value("adds", Json::array()));
      out.removes = VersionMapFromJson(element.value("removes", Json::array()));
    }
  }
  for (const auto& deletion : json.value("deletions", Json::array())) {
    Require(deletion.is_object(), "deletion");
    state.deletions.push_back(Deletion{VersionFromJson(deletion.at("ver")),
                                       StringField(deletion, "by"),
                                       SeenFromJson(deletion.value("seen", Json::object())),
                                       VersionsFromJson(deletion.value("seen_items", Json::array()))});
  }
  std::sort(state.deletions.begin(), state.deletions.end(),
            [](const Deletion& a, const Deletion& b) { return a.version < b.version; });
  state.deletions_seen = VectorFromJson(json.value("deletions_seen", Json::object()));
  return state;
}

Change DecodeChange(const Json& json) {
  Require(json.is_object(), "change");
  Change change;
  change.change_id = StringField(json, "change_id");
  change.record_id = StringField(json, "record_id");
  change.collection = StringField(json, "collection");
  change.team = StringField(json, "team");
  change.schema_version = StringField(json, "schema_version");
  Require(json.contains("kind") && json["kind"].is_number_integer(), "kind");
  const std::int64_t kind = json["kind"].get<std::int64_t>();
  Require(kind >= 1 && kind <= 4, "kind");
  change.kind = static_cast<ChangeKind>(kind);
  change.version = VersionFromJson(json.at("version"));
  change.author = StringField(json, "author");
  change.author_role = json.value("author_role", "");
  change.reason = json.value("reason", "");
  const Json registers = json.value("registers", Json::object());
  for (const auto& [field, write] : registers.items()) {
    Require(write.is_object() && write.contains("value"), "register write");
    change.registers[field] =
        RegisterWrite{write["value"], VectorFromJson(write.value("base", Json::object()))};
  }
  const Json appends = json.value("appends", Json::object());
  for (const auto& [field, entries] : appends.items()) {
    Require(entries.is_array(), "append write");
    change.appends[field].entries = entries.get<std::vector<Json>>();
  }
  const Json append_seen = json.value("append_seen", Json::object());
  for (const auto& [field, versions] : append_seen.items()) {
    Require(change.appends.count(field) == 1, "append seen");
    change.appends[field].seen = VersionsFromJson(versions);
  }
  const Json sets = json.value("sets", Json::object());
  for (const auto& [field, write] : sets.items()) {
    Require(write.is_object(), "set write");
    SetWrite& out = change.sets[field];
    out.added = write.value("added", Json::array()).get<std::vector<Json>>();
    for (const auto& seen : write.value("added_seen_removals", Json::array())) {
      out.added_seen_removals.push_back(VersionsFromJson(seen));
    }
    Require(out.added_seen_removals.empty() || out.added_seen_removals.size() == out.added.size(),
            "added_seen_removals");
    for (const auto& removal : write.value("removed", Json::array())) {
      Require(removal.is_object() && removal.contains("value"), "set removal");
      out.removed.push_back(SetRemoval{removal["value"],
                                       VersionsFromJson(removal.value("observed", Json::array()))});
    }
  }
  change.delete_seen = SeenFromJson(json.value("delete_seen", Json::object()));
  change.delete_seen_items = VersionsFromJson(json.value("delete_seen_items", Json::array()));
  change.deletion_base = VectorFromJson(json.value("deletion_base", Json::object()));
  return change;
}

template <typename T, typename Decode>
Result<T> Guarded(const Json& json, Decode decode, const char* what) {
  if (!JsonWithinLimits(json)) {
    return InvalidArgumentError(std::string("malformed ") + what + ": nested too deep or too large");
  }
  try {
    return decode(json);
  } catch (const ShapeError& error) {
    return InvalidArgumentError(std::string("malformed ") + what + ": bad " + error.where);
  } catch (const nlohmann::json::exception&) {
    return InvalidArgumentError(std::string("malformed ") + what);
  }
}

}  // namespace

Json VersionToJson(const Version& version) {
  return Json::array({version.hlc.physical_ms, version.hlc.counter, version.device_id});
}

Json VectorToJson(const VersionVector& vector) {
  Json out = Json::object();
  for (const auto& [device, hlc] : vector.entries()) {
    out[device] = Json::array({hlc.physical_ms, hlc.counter});
  }
  return out;
}

Json RecordToJson(const RecordState& state) {
  Json json{{"id", state.id},
            {"collection", state.collection},
            {"team", state.team},
            {"schema_version", state.schema_version}};
  Json registers = Json::object();
  for (const auto& [field, reg] : state.registers) {
    Json candidates = Json::array();
    for (const auto& candidate : reg.candidates) candidates.push_back(CandidateToJson(candidate));
    registers[field] = Json{{"candidates", candidates}, {"seen", VectorToJson(reg.seen)}};
  }
  json["registers"] = registers;
  Json appends = Json::object();
  for (const auto& [field, append] : state.appends) {
    Json entries = Json::object();
    for (const auto& [entry_id, entry] : append.entries) entries[entry_id] = CandidateToJson(entry);
    appends[field] = entries;
  }
  json["appends"] = appends;
  Json append_seen = Json::object();
  for (const auto& [field, append] : state.appends) {
    for (const auto& [key, seen] : append.seen) append_seen[field][key] = VersionsToJson(seen);
  }
  if (!append_seen.empty()) json["append_seen"] = append_seen;
  Json sets = Json::object();
  for (const auto& [field, set] : state.sets) {
    Json elements = Json::object();
    for (const auto& [key, element] : set.elements) {
      elements[key] = Json{{"value", element.value},
                           {"adds", VersionMapToJson(element.adds)},
                           {"removes", VersionMapToJson(element.removes)}};
    }
    sets[field] = elements;
  }
  json["sets"] = sets;
  Json deletions = Json::array();
  for (const auto& deletion : state.deletions) {
    deletions.push_back(Json{{"ver", VersionToJson(deletion.version)},
                             {"by", deletion.author},
                             {"seen", SeenToJson(deletion.seen)},
                             {"seen_items", VersionsToJson(deletion.seen_items)}});
  }
  json["deletions"] = deletions;
  json["deletions_seen"] = VectorToJson(state.deletions_seen);
  return json;
}

Result<RecordState> RecordFromJson(const Json& json) {
  return Guarded<RecordState>(json, DecodeRecord, "record");
}

Json ChangeToJson(const Change& change) {
  Json json{{"change_id", change.change_id},
            {"record_id", change.record_id},
            {"collection", change.collection},
            {"team", change.team},
            {"schema_version", change.schema_version},
            {"kind", static_cast<int>(change.kind)},
            {"version", VersionToJson(change.version)},
            {"author", change.author}};
  if (!change.author_role.empty()) json["author_role"] = change.author_role;
  if (!change.reason.empty()) json["reason"] = change.reason;
  Json registers = Json::object();
  for (const auto& [field, write] : change.registers) {
    registers[field] = Json{{"value", write.value}, {"base", VectorToJson(write.base)}};
  }
  if (!registers.empty()) json["registers"] = registers;
  Json appends = Json::object();
  Json append_seen = Json::object();
  for (const auto& [field, write] : change.appends) {
    appends[field] = write.entries;
    if (!write.seen.empty()) append_seen[field] = VersionsToJson(write.seen);
  }
  if (!appends.empty()) json["appends"] = appends;
  if (!append_seen.empty()) json["append_seen"] = append_seen;
  Json sets = Json::object();
  for (const auto& [field, write] : change.sets) {
    Json seen = Json::array();
    for (const auto& versions : write.added_seen_removals) seen.push_back(VersionsToJson(versions));
    Json removed = Json::array();
    for (const auto& removal : write.removed) {
      removed.push_back(
          Json{{"value", removal.value}, {"observed", VersionsToJson(removal.observed_adds)}});
    }
    sets[field] = Json{{"added", write.added}, {"added_seen_removals", seen}, {"removed", removed}};
  }
  if (!sets.empty()) json["sets"] = sets;
  if (!change.delete_seen.empty()) json["delete_seen"] = SeenToJson(change.delete_seen);
  if (!change.delete_seen_items.empty()) {
    json["delete_seen_items"] = VersionsToJson(change.delete_seen_items);
  }
  if (!change.deletion_base.empty()) json["deletion_base"] = VectorToJson(change.deletion_base);
  return json;
}

Result<Change> ChangeFromJson(const Json& json) {
  return Guarded<Change>(json, DecodeChange, "change");
}

std::string CanonicalRecord(const RecordState& state) {
  return CanonicalJson(RecordToJson(state));
}

}  // namespace outreach::model
