// The official JSON-Schema-Test-Suite (draft7/*.json, Debian's json-schema-test-suite package)
// run through JsonSchemaValidator, the layer every record validation goes through. Each case's
// "valid" must match. Cases valijson gets wrong are listed in kSkips with a reason; a listed case
// that starts passing fails the test too, so the list stays true.
//
// Not run: draft7/optional/ (the suite marks it optional), except optional/format/date.json,
// time.json and date-time.json: the formats record schemas use, which we check ourselves.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "core/schema/internal/json_schema_validator.h"

namespace outreach::schema::detail {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

const fs::path kSuiteRoot = OUTREACH_JSON_SCHEMA_TEST_SUITE_DIR;

// A case to skip: file, group description, test description ("*": every test of the group).
struct Skip {
  const char* file;
  const char* group;
  const char* test;
  const char* reason;
};

// clang-format off
constexpr Skip kSkips[] = {
  {"definitions.json", "valid definition", "*",
   "needs a remote schema server: $ref to the draft-07 metaschema at json-schema.org"},
  {"definitions.json", "invalid definition", "*",
   "needs a remote schema server: $ref to the draft-07 metaschema at json-schema.org"},
  {"ref.json", "remote ref, containing refs itself", "*",
   "needs a remote schema server: $ref to the draft-07 metaschema at json-schema.org"},
  {"ref.json", "Recursive references between schemas", "*",
   "valijson does not resolve a relative $ref to a subschema named by an embedded $id"},
  {"refRemote.json", "base URI change", "*",
   "valijson does not resolve a relative $ref against a base URI changed by $id"},
  {"refRemote.json", "base URI change - change folder", "*",
   "valijson does not resolve a relative $ref against a base URI changed by $id"},
  {"refRemote.json", "base URI change - change folder in subschema", "*",
   "valijson does not resolve a relative $ref against a base URI changed by $id"},
  {"refRemote.json", "root ref in remote ref", "*",
   "valijson does not resolve a relative $ref inside a fetched remote document"},
};
// clang-format on

const Skip* FindSkip(const std::string& file, const std::string& group, const std::string& test) {
  for (const Skip& skip : kSkips) {
    if (file == skip.file && group == skip.group &&
        (std::string(skip.test) == "*" || test == skip.test)) {
      return &skip;
    }
  }
  return nullptr;
}

Json ReadJson(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return Json::parse(text.str());
}

// The suite's remotes/ folder as the documents its refRemote cases expect at localhost:1234.
JsonSchemaValidator::RemoteDocuments SuiteRemotes() {
  JsonSchemaValidator::RemoteDocuments remotes;
  const fs::path root = kSuiteRoot / "remotes";
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
    const std::string relative = fs::relative(entry.path(), root).generic_string();
    remotes.emplace("http://localhost:1234/" + relative, ReadJson(entry.path()));
  }
  return remotes;
}

// Runs every case of `files`; each must match its "valid" unless skip-listed. Returns
// {passed, total, skipped}.
struct Tally {
  int passed = 0;
  int total = 0;
  int skipped = 0;
};

Tally RunSuiteFiles(const std::vector<fs::path>& files, std::set<const Skip*>& used_skips) {
  const JsonSchemaValidator::RemoteDocuments remotes = SuiteRemotes();
  Tally tally;
  for (const fs::path& path : files) {
    const std::string file = path.filename().string();
    for (const Json& group : ReadJson(path)) {
      const std::string group_name = group["description"];
      Result<JsonSchemaValidator> validator =
          JsonSchemaValidator::Compile(group["schema"], &remotes);
      for (const Json& test_case : group["tests"]) {
        const std::string test_name = test_case["description"];
        const bool expected = test_case["valid"];
        ++tally.total;
        // A schema that does not compile fails every case of its group, "invalid" ones too.
        const bool ok =
            validator.ok() && validator->Validate(test_case["data"]).empty() == expected;
        const Skip* skip = FindSkip(file, group_name, test_name);
        if (skip != nullptr) {
          ++tally.skipped;
          used_skips.insert(skip);
          EXPECT_FALSE(ok) << "skip-listed case now passes; remove it from kSkips: " << file
                           << " / " << group_name << " / " << test_name;
          continue;
        }
        if (ok) {
          ++tally.passed;
          continue;
        }
        ADD_FAILURE() << file << " / " << group_name << " / " << test_name << ": expected "
                      << (expected ? "valid" : "invalid")
                      << (validator.ok()
                              ? ""
                              : " (schema did not compile: " + validator.status().message() + ")");
      }
    }
  }
  return tally;
}

TEST(JsonSchemaSuiteTest, Draft7CasesMatchTheirExpectedValidity) {
  const fs::path draft7 = kSuiteRoot / "tests" / "draft7";
  ASSERT_TRUE(fs::is_directory(draft7)) << draft7 << " missing: install json-schema-test-suite";
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(draft7)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json")
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());

  std::set<const Skip*> used_skips;
  const Tally tally = RunSuiteFiles(files, used_skips);
  for (const Skip& skip : kSkips) {
    EXPECT_TRUE(used_skips.count(&skip) > 0) << "kSkips entry matches no case: " << skip.file
                                             << " / " << skip.group << " / " << skip.test;
  }
  std::cout << "[  suite  ] " << tally.passed << "/" << tally.total << " passed, " << tally.skipped
            << " skipped (listed in kSkips); draft7/optional/ not run (the suite marks it "
               "optional), bar the formats of OptionalFormatsRecordsUse\n";
  EXPECT_EQ(tally.passed + tally.skipped, tally.total);
}

TEST(JsonSchemaSuiteTest, OptionalFormatsRecordsUse) {
  const fs::path format_dir = kSuiteRoot / "tests" / "draft7" / "optional" / "format";
  std::set<const Skip*> used_skips;
  const Tally tally = RunSuiteFiles(
      {format_dir / "date.json", format_dir / "date-time.json", format_dir / "time.json"},
      used_skips);
  std::cout << "[  suite  ] optional/format date, date-time, time: " << tally.passed << "/"
            << tally.total << " passed\n";
  EXPECT_GT(tally.total, 0);
  EXPECT_EQ(tally.passed, tally.total);
}

}  // namespace
}  // namespace outreach::schema::detail
