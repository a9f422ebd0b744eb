// GoogleTest matchers for Status and Result<T> that print the message on failure:
//   EXPECT_THAT(db.Exec("..."), IsOk());
//   EXPECT_THAT(Database::Open(...), StatusIs(StatusCode::kWrongKey));
#pragma once

#include <gmock/gmock.h>

#include "core/base/status.h"

namespace outreach::testing {

inline const Status& GetStatus(const Status& status) { return status; }
template <typename T>
const Status& GetStatus(const Result<T>& result) {
  static const Status kOk;
  return result.ok() ? kOk : result.status();
}

MATCHER(IsOk, "is OK") {
  const Status& status = GetStatus(arg);
  if (!status.ok()) *result_listener << "status is " << status.ToString();
  return status.ok();
}

MATCHER_P(StatusIs, code, "has code " + std::string(StatusCodeName(code))) {
  const Status& status = GetStatus(arg);
  *result_listener << "status is " << status.ToString();
  return status.code() == code;
}

}  // namespace outreach::testing

// ASSERT_OK_AND_ASSIGN(auto db, Database::Open(...));
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL(OUTREACH_STATUS_CONCAT(assert_result_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr)                  \
  auto tmp = (expr);                                               \
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString();                \
  lhs = std::move(tmp).value()

// ASSERT_OK(db.Exec("...")); — for a Status or a Result.
#define ASSERT_OK(expr) ASSERT_THAT((expr), ::outreach::testing::IsOk())
