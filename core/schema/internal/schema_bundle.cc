#include "core/schema/internal/schema_bundle.h"

#include <cstddef>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/schema/internal/schema_walk.h"
#include "core/schema/internal/uri_reference.h"

namespace outreach::schema::detail {
namespace {

// Base URI of a schema without "$id". Not hierarchical, so no relative "$ref" resolves to a
// document of `documents` through it.
constexpr char kUnnamedSchemaUri[] = "urn:outreach:unnamed-schema";

// A subschema's place: a document of the bundle and an RFC 6901 pointer into it.
struct Location {
  std::size_t document = 0;
  std::string pointer;
};

// A "$ref" as found: the object holding it (inside bundle_, whose elements never move), and its
// target as an absolute URI.
struct Reference {
  nlohmann::json* holder;
  std::string target;
};

// Collects the documents of one bundle: the schema first, then each document a "$ref" pulls in.
class Bundler {
 public:
  explicit Bundler(const SchemaDocuments& documents) : documents_(documents) {}

  // Adds `document`, known by `uri`, and indexes its "$id"s and "$ref"s.
  Status Add(const nlohmann::json& document, const std::string& uri);

  // Rewrites every "$ref" into a pointer into the bundle, and returns the bundle.
  Result<nlohmann::json> Finish();

 private:
  // Where `target` (absolute URI) is, pulling in its document if it is not in yet.
  Result<Location> Locate(const std::string& target);
  std::string BundlePointer(const Location& location) const;

  const SchemaDocuments& documents_;
  std::deque<nlohmann::json> bundle_;  // a deque: Reference::holder points into it
  // Subschemas by absolute URI: each document's own URI, each "$id" (a base URI, or a plain
  // name with its fragment). The first to claim a URI keeps it.
  std::map<std::string, Location> named_;
  std::vector<Reference> references_;
};

Status Bundler::Add(const nlohmann::json& document, const std::string& uri) {
  const std::size_t index = bundle_.size();
  bundle_.push_back(document);
  named_.emplace(uri, Location{index, ""});
  auto visit = [&](nlohmann::json& object, const std::string& pointer, std::string& base) {
    if (const auto ref = object.find("$ref"); ref != object.end() && ref->is_string()) {
      // draft-07 section 8.3: the target replaces a "$ref" object, so its "$id" names nothing.
      references_.push_back({&object, ResolveUriReference(base, ref->get<std::string>())});
      return Status::Ok();
    }
    if (const auto id = object.find("$id"); id != object.end() && id->is_string()) {
      const std::string resolved = ResolveUriReference(base, id->get<std::string>());
      UriAndFragment parts = SplitFragment(resolved);
      const bool plain_name = parts.fragment && !parts.fragment->empty();
      named_.emplace(plain_name ? resolved : parts.uri, Location{index, pointer});
      base = std::move(parts.uri);
    }
    return Status::Ok();
  };
  return WalkSchemaObjects(bundle_[index], "", uri, visit);
}

Result<Location> Bundler::Locate(const std::string& target) {
  const UriAndFragment parts = SplitFragment(target);
  const std::string fragment = PercentDecode(parts.fragment.value_or(""));
  const bool is_pointer = fragment.empty() || fragment.front() == '/';
  const std::string& name = is_pointer ? parts.uri : target;
  auto found = named_.find(name);
  if (found == named_.end() && named_.count(parts.uri) == 0) {
    // Pulled in only once named: the draft-07 metaschema, say, is large.
    if (const auto document = documents_.find(parts.uri); document != documents_.end()) {
      OUTREACH_RETURN_IF_ERROR(Add(document->second, parts.uri));
      found = named_.find(name);
    }
  }
  // A URI from the schema's own text, never from validated data.
  if (found == named_.end()) {
    return InvalidArgumentError("schema has a $ref to " + target + ", which names no known schema");
  }
  if (!is_pointer) return found->second;
  return Location{found->second.document, found->second.pointer + fragment};
}

std::string Bundler::BundlePointer(const Location& location) const {
  if (location.document == 0) return location.pointer;
  return AppendPointerToken(AppendPointerToken("", kBundledDocumentsKeyword),
                            std::to_string(location.document - 1)) +
         location.pointer;
}

Result<nlohmann::json> Bundler::Finish() {
  // Locate may pull in documents with "$ref"s of their own: references_ grows during the loop.
  for (std::size_t index = 0; index < references_.size(); ++index) {
    OUTREACH_ASSIGN_OR_RETURN(const Location target, Locate(references_[index].target));
    (*references_[index].holder)["$ref"] = "#" + PercentEncodeFragment(BundlePointer(target));
  }
  nlohmann::json bundled = std::move(bundle_.front());
  if (bundle_.size() == 1) return bundled;
  if (!bundled.is_object()) return InvalidArgumentError("schema with a $ref is not an object");
  nlohmann::json& copies = bundled[std::string(kBundledDocumentsKeyword)];
  copies = nlohmann::json::array();
  for (std::size_t index = 1; index < bundle_.size(); ++index) {
    copies.push_back(std::move(bundle_[index]));
  }
  return bundled;
}

}  // namespace

Result<nlohmann::json> BundleSchema(const nlohmann::json& schema,
                                    const SchemaDocuments& documents) {
  if (schema.is_object() && schema.contains(kBundledDocumentsKeyword)) {
    return InvalidArgumentError(std::string("schema uses the reserved keyword ") +
                                std::string(kBundledDocumentsKeyword));
  }
  Bundler bundler(documents);
  OUTREACH_RETURN_IF_ERROR(bundler.Add(schema, kUnnamedSchemaUri));
  return bundler.Finish();
}

}  // namespace outreach::schema::detail
