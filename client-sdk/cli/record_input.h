// How records are typed on the command line: `field=value` arguments, where a value that
// parses as JSON is that JSON (3, true, ["a","b"], {"lat":1}) and anything else is a string
// (status=draft), and JSON documents from a file or stdin ("-"). Errors name arguments by
// position and fields by name, never the values typed.
#pragma once

#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/model/record_state.h"

namespace outreach::cli {

// One `field=value` argument as its field name and JSON value.
Result<std::pair<std::string, model::Json>> ParseFieldArgument(const std::string& argument);

// The object a command writes: the JSON object in `file` (path, or "-" for stdin; empty for
// none) with the `field=value` arguments laid over it. A lone "-" argument is the same as
// `file` "-". invalid_argument: a malformed argument, a field given twice, two sources of
// JSON, or a file that is not a JSON object.
Result<model::Json> RecordFromArguments(const std::vector<std::string>& arguments,
                                        const std::string& file);

// The whole of `file` ("-": stdin). not_found / io when it cannot be read.
Result<std::string> ReadInput(const std::string& file);

}  // namespace outreach::cli
