// Fields the engine computes and nobody types in (`x-derived` in a schema). They are recomputed
// from the merged inputs after every merge, so replicas agree on them (DESIGN.md I1), and user
// input carrying them is rejected (RecordSchema::Validate, ValidationMode::kUserInput).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string_view>

namespace outreach::schema {

class RecordSchema;

// The derivations, by their `x-derived` name, with the input fields each reads:
//   "seraf_score"  cse_screening, only when "tool" is "seraf": the SERAF score of
//                  "vulnerabilities" (1 per distinct code; absent = none) and "indicators"
//                  (entries with present "yes": severity "moderate" scores 1 if timing "current"
//                  (last 6 months), 0 if "recent"; severity "significant" scores 5 if "current",
//                  1 if "recent" (6-12 months ago); several entries with one code score once, the
//                  highest). "possible" and "no" entries score 0.
//   "seraf_level"  the SerafLevelForScore of that score.
//   "rhi_due_by"   missing_episode: "returned_at" + 72 hours, as RFC 3339 UTC ("...Z").
bool IsKnownDerivation(std::string_view name);

// The SERAF category of a score: 0-5 "not_at_risk", 6-10 "mild", 11-15 "moderate",
// 16 and above "significant" (negative scores count as 0).
std::string_view SerafLevelForScore(int score);

// An object with a value for each derived field of `schema` whose inputs are present and
// well-formed in `values`; a field that cannot be computed (input missing, or any input entry
// malformed, or "tool" not "seraf") is left out, never guessed. Pure and deterministic.
nlohmann::json ComputeDerived(const RecordSchema& schema, const nlohmann::json& values);

}  // namespace outreach::schema
