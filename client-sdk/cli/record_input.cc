#include "client-sdk/cli/record_input.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace outreach::cli {

using model::Json;

Result<std::pair<std::string, Json>> ParseFieldArgument(const std::string& argument) {
  const std::size_t equals = argument.find('=');
  if (equals == std::string::npos || equals == 0) {
    return InvalidArgumentError("expected field=value");
  }
  std::string field = argument.substr(0, equals);
  const std::string text = argument.substr(equals + 1);
  Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) value = text;  // not JSON: the plain string the worker typed
  return std::make_pair(std::move(field), std::move(value));
}

Result<std::string> ReadInput(const std::string& file) {
  if (file == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream stream(file, std::ios::binary);
  if (!stream) return NotFoundError("cannot open " + file);
  std::ostringstream text;
  text << stream.rdbuf();
  if (stream.bad()) return IoError("cannot read " + file);
  return text.str();
}

Result<Json> RecordFromArguments(const std::vector<std::string>& arguments,
                                 const std::string& file_option) {
  std::string file = file_option;
  std::vector<std::string> fields;
  for (const std::string& argument : arguments) {
    if (argument != "-") {
      fields.push_back(argument);
    } else if (file.empty()) {
      file = "-";
    } else {
      return InvalidArgumentError("give the JSON as --file or as -, not both");
    }
  }
  Json record = Json::object();
  if (!file.empty()) {
    OUTREACH_ASSIGN_OR_RETURN(std::string text, ReadInput(file));
    record = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!record.is_object()) {
      return InvalidArgumentError((file == "-" ? std::string("stdin") : file) +
                                  " does not hold a JSON object");
    }
  }
  std::vector<std::string> typed;
  for (std::size_t position = 0; position < fields.size(); ++position) {
    auto field = ParseFieldArgument(fields[position]);
    if (!field.ok()) {
      return InvalidArgumentError("argument " + std::to_string(position + 1) + ": " +
                                  field.status().message());
    }
    for (const std::string& seen : typed) {
      if (seen == field->first) return InvalidArgumentError("field " + seen + " given twice");
    }
    typed.push_back(field->first);
    record[field->first] = std::move(field->second);
  }
  return record;
}

}  // namespace outreach::cli
