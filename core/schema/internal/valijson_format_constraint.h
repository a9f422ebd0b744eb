// The "format" keyword as JsonSchemaValidator checks it: a valijson custom constraint on
// kFormatKeyword (PrepareSchemaForValijson renames "format" to it), so that valijson's own
// format check, a std::regex built on every call, never runs. Included only by
// json_schema_validator.cc, the one file that compiles valijson's headers.
#pragma once

#include <new>
#include <string>
#include <valijson/constraint_builder.hpp>
#include <valijson/constraints/concrete_constraints.hpp>
#include <valijson/validation_results.hpp>
#include <vector>

#include "core/schema/internal/rfc3339.h"

namespace outreach::schema::detail {

enum class Format { kDate, kTime, kDateTime, kUnchecked };

// "format" (renamed kFormatKeyword by PrepareSchemaForValijson), checked without std::regex.
// Formats other than date, time and date-time are annotations only, as draft-07 allows.
class FormatConstraint : public valijson::constraints::PolyConstraint {
 public:
  explicit FormatConstraint(Format format) : format_(format) {}

  bool validate(const valijson::adapters::Adapter& target, const std::vector<std::string>& context,
                valijson::ValidationResults* results) const override {
    if (!target.isString()) return true;  // "format" constrains strings only
    const std::string text = target.getString();
    bool valid = true;
    const char* description = "";
    switch (format_) {
      case Format::kDate:
        valid = IsRfc3339Date(text);
        description = "String should be a valid date";
        break;
      case Format::kTime:
        valid = IsRfc3339Time(text);
        description = "String should be a valid time";
        break;
      case Format::kDateTime:
        valid = IsRfc3339DateTime(text);
        description = "String should be a valid date-time";
        break;
      case Format::kUnchecked:
        break;
    }
    // valijson's own wording, so problem_text.cc rephrases both the same way.
    if (!valid && results != nullptr) results->pushError(context, description);
    return valid;
  }

 private:
  Constraint* cloneInto(void* memory) const override {
    return new (memory) FormatConstraint(*this);
  }
  size_t sizeOf() const override { return sizeof(FormatConstraint); }

  Format format_;
};

class FormatConstraintBuilder : public valijson::ConstraintBuilder {
 public:
  valijson::constraints::Constraint* make(const valijson::adapters::Adapter& value) const override {
    std::string name;
    if (!value.getString(name)) valijson::throwRuntimeError("'format' must be a string");
    Format format = Format::kUnchecked;
    if (name == "date") format = Format::kDate;
    if (name == "time") format = Format::kTime;
    if (name == "date-time") format = Format::kDateTime;
    return new FormatConstraint(format);
  }
};

}  // namespace outreach::schema::detail
