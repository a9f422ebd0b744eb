// The record schemas a replica or the server works with: one RecordSchema per collection, loaded
// from schemas/*.schema.json (or from strings, as a device receives them from the server).
// Immutable once loaded; every const method may be called from any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/schema/record_schema.h"

namespace outreach::schema {

class SchemaRegistry {
 public:
  // Loads every "<collection>.schema.json" regular file in `dir` (not recursing; other files are
  // ignored). not_found if `dir` does not exist or holds no schema file; invalid_argument if it
  // is not a directory, or naming the file if one is not valid JSON or not a valid record schema
  // (RecordSchema::FromDocument: bad x-merge / x-class, missing x-schema-version, ...);
  // io if a file cannot be read.
  static Result<SchemaRegistry> LoadDirectory(const std::string& dir);

  // Same checks, from collection name -> schema JSON text. Names must be lower_snake
  // ("[a-z][a-z0-9_]*"); invalid_argument names the offending collection.
  static Result<SchemaRegistry> LoadFromStrings(
      const std::map<std::string, std::string>& name_to_json);

  SchemaRegistry(SchemaRegistry&&) noexcept = default;
  SchemaRegistry& operator=(SchemaRegistry&&) noexcept = default;
  SchemaRegistry(const SchemaRegistry&) = delete;
  SchemaRegistry& operator=(const SchemaRegistry&) = delete;

  // The schema of `collection`, or nullptr if there is none. The pointer stays valid as long as
  // this registry (also across moves of the registry).
  const RecordSchema* Find(std::string_view collection) const;

  // The collection names, sorted.
  std::vector<std::string> Collections() const;

 private:
  SchemaRegistry() = default;

  Status Add(const std::string& collection, std::string_view json_text, const std::string& origin);

  std::map<std::string, RecordSchema, std::less<>> schemas_;
};

}  // namespace outreach::schema
