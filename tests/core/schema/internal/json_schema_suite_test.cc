// The official JSON-Schema-Test-Suite (tests/draft7/, Debian's json-schema-test-suite package)
// run through JsonSchemaValidator, the layer every record validation goes through. Every case
// outside optional/ must match its "valid": none is skipped. Each file of optional/ is listed in
// kOptionalFiles, either run (and then required to pass) or skipped with its reason.
//
// The suite's "$ref"s reach http://localhost:1234/ (its remotes/ folder) and the draft-07
// metaschema (the copy python3-jsonschema ships; the suite's package depends on it). Both are
// handed to Compile as documents, as a test may: nothing is fetched.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/schema/internal/json_schema_validator.h"
#include "tests/core/schema/schema_test_util.h"

namespace outreach::schema::detail {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

const fs::path kSuiteRoot = OUTREACH_JSON_SCHEMA_TEST_SUITE_DIR;
const fs::path kDraft7 = kSuiteRoot / "tests" / "draft7";
constexpr char kMetaschemaUri[] = "http://json-schema.org/draft-07/schema";

// A file of draft7/optional/ (path relative to it) and why it is not run; run if null.
struct OptionalFile {
  const char* path;
  const char* skip_reason;
};

constexpr char kAnnotationFormat[] =
    "this format is an annotation only: JsonSchemaValidator checks date, time and date-time, "
    "the formats record schemas use";

// clang-format off
constexpr OptionalFile kOptionalFiles[] = {
  {"bignum.json", "integers past 64 bits parse as doubles (nlohmann_json), which valijson's "
                  "strict types never count as \"integer\"; records hold no such numbers"},
  {"content.json", "contentMediaType and contentEncoding are annotations only, as draft-07 "
                   "allows; records hold no encoded documents"},
  {"ecmascript-regex.json", "tests format \"regex\", an annotation only: JsonSchemaValidator "
                            "checks date, time and date-time, the formats record schemas use"},
  {"zeroTerminatedFloats.json", "1.0 parses as a double (nlohmann_json), which valijson's strict "
                                "types never count as \"integer\""},
  {"format/date.json", nullptr},
  {"format/date-time.json", nullptr},
  {"format/time.json", nullptr},
  {"format/email.json", kAnnotationFormat},
  {"format/hostname.json", kAnnotationFormat},
  {"format/idn-email.json", kAnnotationFormat},
  {"format/idn-hostname.json", kAnnotationFormat},
  {"format/ipv4.json", kAnnotationFormat},
  {"format/ipv6.json", kAnnotationFormat},
  {"format/iri.json", kAnnotationFormat},
  {"format/iri-reference.json", kAnnotationFormat},
  {"format/json-pointer.json", kAnnotationFormat},
  {"format/regex.json", kAnnotationFormat},
  {"format/relative-json-pointer.json", kAnnotationFormat},
  {"format/uri.json", kAnnotationFormat},
  {"format/uri-reference.json", kAnnotationFormat},
  {"format/uri-template.json", kAnnotationFormat},
};
// clang-format on

Json ReadJson(const fs::path& path) { return Json::parse(testing::ReadText(path.string())); }

// The documents the suite's "$ref"s name: remotes/ as served at localhost:1234, and the
// draft-07 metaschema.
SchemaDocuments SuiteDocuments() {
  SchemaDocuments documents;
  const fs::path remotes = kSuiteRoot / "remotes";
  for (const auto& entry : fs::recursive_directory_iterator(remotes)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
    const std::string relative = fs::relative(entry.path(), remotes).generic_string();
    documents.emplace("http://localhost:1234/" + relative, ReadJson(entry.path()));
  }
  documents.emplace(kMetaschemaUri, ReadJson(OUTREACH_DRAFT7_METASCHEMA));
  return documents;
}

// The .json files below `directory`, sorted; recursively or not.
std::vector<fs::path> JsonFiles(const fs::path& directory, bool recursive) {
  std::vector<fs::path> files;
  auto add = [&files](const fs::directory_entry& entry) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(entry.path());
    }
  };
  if (recursive) {
    std::for_each(fs::recursive_directory_iterator(directory), {}, add);
  } else {
    std::for_each(fs::directory_iterator(directory), {}, add);
  }
  std::sort(files.begin(), files.end());
  return files;
}

struct Tally {
  int passed = 0;
  int total = 0;
  int fast_conclusive = 0;  // cases the fast path answered alone (fast_validator.h)
};

// Runs every case of the suite file `path`; each failure is a test failure.
void RunSuiteFile(const fs::path& path, const SchemaDocuments& documents, Tally& tally) {
  const std::string file = fs::relative(path, kDraft7).generic_string();
  for (const Json& group : ReadJson(path)) {
    const std::string group_name = group["description"];
    const Result<JsonSchemaValidator> validator =
        JsonSchemaValidator::Compile(group["schema"], documents);
    for (const Json& test_case : group["tests"]) {
      const bool expected = test_case["valid"];
      ++tally.total;
      // The fast path's own answer, where it gives one, must be the suite's too: its "valid"
      // skips valijson, and its "invalid" decides "not", "if" and "anyOf" above it.
      const FastVerdict fast =
          validator.ok() ? validator->FastVerdictOf(test_case["data"]) : FastVerdict::kUnknown;
      if (fast != FastVerdict::kUnknown) {
        ++tally.fast_conclusive;
        if ((fast == FastVerdict::kValid) != expected) {
          ADD_FAILURE() << file << " / " << group_name << " / "
                        << test_case["description"].get<std::string>()
                        << ": the fast path answered " << (expected ? "invalid" : "valid");
        }
      }
      // A schema that does not compile fails every case of its group, "invalid" ones too.
      if (validator.ok() && validator->Validate(test_case["data"]).empty() == expected) {
        ++tally.passed;
        continue;
      }
      ADD_FAILURE() << file << " / " << group_name << " / "
                    << test_case["description"].get<std::string>() << ": expected "
                    << (expected ? "valid" : "invalid")
                    << (validator.ok()
                            ? ""
                            : " (schema did not compile: " + validator.status().message() + ")");
    }
  }
}

TEST(JsonSchemaSuiteTest, Draft7CasesMatchTheirExpectedValidity) {
  ASSERT_TRUE(fs::is_directory(kDraft7)) << kDraft7 << " missing: install json-schema-test-suite";
  ASSERT_TRUE(fs::is_regular_file(OUTREACH_DRAFT7_METASCHEMA))
      << OUTREACH_DRAFT7_METASCHEMA << " missing: install python3-jsonschema";
  const std::vector<fs::path> required_files = JsonFiles(kDraft7, /*recursive=*/false);
  ASSERT_FALSE(required_files.empty());
  std::vector<fs::path> optional_files;
  std::size_t optional_skipped = 0;
  for (const OptionalFile& optional : kOptionalFiles) {
    const fs::path path = kDraft7 / "optional" / optional.path;
    if (optional.skip_reason == nullptr) {
      optional_files.push_back(path);
      continue;
    }
    for (const Json& group : ReadJson(path)) optional_skipped += group["tests"].size();
    std::cout << "[  suite  ] skipped optional/" << optional.path << ": " << optional.skip_reason
              << "\n";
  }

  const SchemaDocuments documents = SuiteDocuments();
  Tally required;
  for (const fs::path& path : required_files) RunSuiteFile(path, documents, required);
  Tally optional;
  for (const fs::path& path : optional_files) RunSuiteFile(path, documents, optional);
  std::cout << "[  suite  ] JSON-Schema-Test-Suite draft-07: " << required.passed << "/"
            << required.total << " passed, optional " << optional.passed << "/" << optional.total
            << " passed, " << optional_skipped << " optional skipped\n";
  std::cout << "[  suite  ] the fast path answered " << required.fast_conclusive << " of the "
            << required.total << " required cases alone\n";
  EXPECT_GT(required.total, 0);
  // It models the keywords record schemas use, which most of the suite's cases exercise.
  EXPECT_GT(required.fast_conclusive, required.total / 3);
  EXPECT_EQ(required.passed, required.total);
  EXPECT_EQ(optional.passed, optional.total);
}

TEST(JsonSchemaSuiteTest, EveryOptionalFileHasAPolicy) {
  std::vector<std::string> listed;
  for (const OptionalFile& optional : kOptionalFiles) listed.push_back(optional.path);
  for (const fs::path& path : JsonFiles(kDraft7 / "optional", /*recursive=*/true)) {
    const std::string relative = fs::relative(path, kDraft7 / "optional").generic_string();
    EXPECT_NE(std::find(listed.begin(), listed.end(), relative), listed.end())
        << "optional/" << relative << " is not in kOptionalFiles: run it or give a reason";
  }
  EXPECT_EQ(listed.size(), JsonFiles(kDraft7 / "optional", /*recursive=*/true).size())
      << "kOptionalFiles lists a file the suite does not have";
}

}  // namespace
}  // namespace outreach::schema::detail
