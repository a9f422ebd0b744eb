#include "core/schema/internal/json_pointer.h"

namespace outreach::schema::detail {

std::string AppendPointerToken(std::string_view parent, std::string_view token) {
  std::string pointer(parent);
  pointer += '/';
  for (char c : token) {
    if (c == '~') {
      pointer += "~0";
    } else if (c == '/') {
      pointer += "~1";
    } else {
      pointer += c;
    }
  }
  return pointer;
}

}  // namespace outreach::schema::detail
