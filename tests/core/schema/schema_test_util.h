// Helpers for the schema tests: the real schemas/ folder and the example records in testdata/.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "core/schema/schema_registry.h"
#include "core/schema/validation_problem.h"

namespace outreach::schema {

// GoogleTest prints problems as {"/pointer", "message"}.
inline void PrintTo(const ValidationProblem& problem, std::ostream* out) {
  *out << "{\"" << problem.pointer << "\", \"" << problem.message << "\"}";
}

}  // namespace outreach::schema

namespace outreach::schema::testing {

// The registry of schemas/*.schema.json, loaded once; nullptr (and the reason on stderr) if it
// does not load, so each test can ASSERT on it.
inline const SchemaRegistry* RealSchemas() {
  static const std::optional<SchemaRegistry> registry = []() -> std::optional<SchemaRegistry> {
    Result<SchemaRegistry> loaded = SchemaRegistry::LoadDirectory(OUTREACH_SCHEMA_DIR);
    if (!loaded.ok()) {
      std::cerr << "schemas/ did not load: " << loaded.status().ToString() << "\n";
      return std::nullopt;
    }
    return std::move(loaded).value();
  }();
  return registry ? &*registry : nullptr;
}

// A file's text; empty if it cannot be read.
inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// testdata/valid/<collection>.json: a valid record of each type, as a user would write it.
inline nlohmann::json ValidExample(const std::string& collection) {
  return nlohmann::json::parse(
      ReadText(std::string(OUTREACH_SCHEMA_TESTDATA_DIR) + "/valid/" + collection + ".json"));
}

}  // namespace outreach::schema::testing
