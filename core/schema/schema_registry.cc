#include "core/schema/schema_registry.h"

#include <exception>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>
#include <utility>

namespace outreach::schema {
namespace {

constexpr std::string_view kSchemaSuffix = ".schema.json";

bool IsCollectionName(std::string_view name) {
  if (name.empty() || name.front() < 'a' || name.front() > 'z') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

Result<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot open schema file " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return IoError("cannot read schema file " + path.string());
  return text.str();
}

}  // namespace

Status SchemaRegistry::Add(const std::string& collection, std::string_view json_text,
                           const std::string& origin) {
  if (!IsCollectionName(collection)) {
    return InvalidArgumentError(origin + ": collection name must be lower_snake");
  }
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& error) {
    // The parser's text names the position and the offending token of the schema file.
    return InvalidArgumentError(origin + ": not valid JSON: " + error.what());
  }
  Result<RecordSchema> schema = RecordSchema::FromDocument(collection, document);
  if (!schema.ok()) return InvalidArgumentError(origin + ": " + schema.status().message());
  schemas_.insert_or_assign(collection, std::move(schema).value());
  return Status::Ok();
}

Result<SchemaRegistry> SchemaRegistry::LoadDirectory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::file_status status = fs::status(dir, error);
  if (!fs::exists(status)) return NotFoundError("no schema directory " + dir);
  if (!fs::is_directory(status)) return InvalidArgumentError("not a directory: " + dir);

  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    const std::string file_name = it->path().filename().string();
    if (file_name.size() <= kSchemaSuffix.size() || !file_name.ends_with(kSchemaSuffix)) continue;
    if (!it->is_regular_file(error)) continue;
    files.push_back(it->path());
  }
  if (error) return IoError("cannot list schema directory " + dir + ": " + error.message());
  if (files.empty()) return NotFoundError("no *.schema.json files in " + dir);

  SchemaRegistry registry;
  for (const fs::path& path : files) {
    const std::string file_name = path.filename().string();
    const std::string collection = file_name.substr(0, file_name.size() - kSchemaSuffix.size());
    OUTREACH_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    OUTREACH_RETURN_IF_ERROR(registry.Add(collection, text, file_name));
  }
  return registry;
}

Result<SchemaRegistry> SchemaRegistry::LoadFromStrings(
    const std::map<std::string, std::string>& name_to_json) {
  SchemaRegistry registry;
  for (const auto& [collection, text] : name_to_json) {
    OUTREACH_RETURN_IF_ERROR(registry.Add(collection, text, collection));
  }
  return registry;
}

const RecordSchema* SchemaRegistry::Find(std::string_view collection) const {
  const auto found = schemas_.find(collection);
  return found == schemas_.end() ? nullptr : &found->second;
}

std::vector<std::string> SchemaRegistry::Collections() const {
  std::vector<std::string> names;
  names.reserve(schemas_.size());
  for (const auto& [name, schema] : schemas_) names.push_back(name);
  return names;
}

}  // namespace outreach::schema
