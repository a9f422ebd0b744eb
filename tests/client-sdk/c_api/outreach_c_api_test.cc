// The C ABI's error paths, through liboutreach.so as an app links it: NULL handles and
// arguments, a wrong passcode, bad JSON, calls before enrolment, one store open twice, wipes,
// and the thread-local last error. Every returned string is freed (ASan's leak check in CI).
// The happy path against a real server: outreach_ctypes_test.py.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "client-sdk/c_api/outreach.h"
#include "tests/testing/temp_dir.h"

namespace {

using Json = nlohmann::json;

// Takes ownership of a string the library returned.
std::string Take(char* text) {
  std::string copy = text == nullptr ? std::string() : std::string(text);
  outreach_free_string(text);
  return copy;
}

class OutreachCApiTest : public ::testing::Test {
 protected:
  void TearDown() override { outreach_client_close(&client_); }

  void Open(const char* passcode = "correct horse") {
    ASSERT_EQ(outreach_client_open(dir_.path().c_str(), passcode, &client_), OUTREACH_OK)
        << outreach_last_error();
    ASSERT_NE(client_, nullptr);
  }

  outreach::testing::TempDir dir_;
  outreach_client* client_ = nullptr;
};

TEST_F(OutreachCApiTest, NullHandleIsInvalidArgument) {
  char* json = reinterpret_cast<char*>(1);  // must come back NULL
  EXPECT_EQ(outreach_client_status(nullptr, &json), OUTREACH_INVALID_ARGUMENT);
  EXPECT_EQ(json, nullptr);
  EXPECT_STREQ(outreach_last_error(), "client is NULL");
  EXPECT_EQ(outreach_record_update(nullptr, "id", "{}"), OUTREACH_INVALID_ARGUMENT);
  EXPECT_EQ(outreach_client_sync(nullptr, nullptr, nullptr, nullptr), OUTREACH_INVALID_ARGUMENT);
  EXPECT_EQ(outreach_cancel_sync(nullptr), OUTREACH_INVALID_ARGUMENT);
  outreach_client_close(nullptr);  // both fine, no effect
  outreach_client* none = nullptr;
  outreach_client_close(&none);
}

TEST_F(OutreachCApiTest, NullArgumentsAreInvalidArgument) {
  outreach_client* client = reinterpret_cast<outreach_client*>(1);
  EXPECT_EQ(outreach_client_open(nullptr, "pass", &client), OUTREACH_INVALID_ARGUMENT);
  EXPECT_EQ(client, nullptr);
  EXPECT_EQ(outreach_client_open(dir_.path().c_str(), nullptr, &client), OUTREACH_INVALID_ARGUMENT);
  EXPECT_EQ(outreach_client_open(dir_.path().c_str(), "pass", nullptr), OUTREACH_INVALID_ARGUMENT);
  EXPECT_EQ(outreach_client_open(dir_.path().c_str(), "", &client), OUTREACH_INVALID_ARGUMENT);
  Open();
  EXPECT_EQ(outreach_client_status(client_, nullptr), OUTREACH_INVALID_ARGUMENT);
  EXPECT_EQ(outreach_record_delete(client_, "some-id", nullptr), OUTREACH_INVALID_ARGUMENT);
  EXPECT_STREQ(outreach_last_error(), "reason is NULL or empty");
  char* out = reinterpret_cast<char*>(1);  // must come back NULL
  EXPECT_EQ(outreach_record_strike(client_, "some-id", "summary", "entry-id", "", &out),
            OUTREACH_INVALID_ARGUMENT);
  EXPECT_STREQ(outreach_last_error(), "reason is NULL or empty");
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(outreach_record_strike(client_, "some-id", "summary", nullptr, "why", &out),
            OUTREACH_INVALID_ARGUMENT);
  EXPECT_EQ(outreach_record_withdraw(client_, nullptr), OUTREACH_INVALID_ARGUMENT);
  out = reinterpret_cast<char*>(1);
  EXPECT_EQ(outreach_change_fix(client_, nullptr, "{}", &out), OUTREACH_INVALID_ARGUMENT);
  EXPECT_EQ(out, nullptr);
}

TEST_F(OutreachCApiTest, WrongPasscodeIsWrongKey) {
  Open("correct horse");
  outreach_client_close(&client_);
  EXPECT_EQ(client_, nullptr);
  outreach_client* other = nullptr;
  EXPECT_EQ(outreach_client_open(dir_.path().c_str(), "battery staple", &other),
            OUTREACH_WRONG_KEY);
  EXPECT_EQ(other, nullptr);
  EXPECT_STRNE(outreach_last_error(), "");
  EXPECT_STREQ(outreach_status_name(OUTREACH_WRONG_KEY), "wrong_key");
  // The store is not claimed by the failed open: the right passcode still opens it.
  Open("correct horse");
}

TEST_F(OutreachCApiTest, ChangedPasscodeOpensAndOldOneDoesNot) {
  Open("first passcode");
  outreach_client_close(&client_);
  EXPECT_EQ(outreach_store_change_passcode(dir_.path().c_str(), "wrong", "second passcode"),
            OUTREACH_WRONG_KEY);
  ASSERT_EQ(
      outreach_store_change_passcode(dir_.path().c_str(), "first passcode", "second passcode"),
      OUTREACH_OK)
      << outreach_last_error();
  outreach_client* other = nullptr;
  EXPECT_EQ(outreach_client_open(dir_.path().c_str(), "first passcode", &other),
            OUTREACH_WRONG_KEY);
  Open("second passcode");
}

TEST_F(OutreachCApiTest, BadJsonIsInvalidArgumentWithoutQuotingIt) {
  Open();
  char* id = reinterpret_cast<char*>(1);
  EXPECT_EQ(outreach_record_create(client_, "contact", "{\"secret\": \"Skye\",", &id),
            OUTREACH_INVALID_ARGUMENT);
  EXPECT_EQ(id, nullptr);
  EXPECT_STREQ(outreach_last_error(), "values_json is not valid JSON");
  EXPECT_EQ(outreach_record_update(client_, "some-id", "not json"), OUTREACH_INVALID_ARGUMENT);
  EXPECT_EQ(outreach_record_list(client_, "contact", "status", "draft", nullptr),
            OUTREACH_INVALID_ARGUMENT);
  EXPECT_EQ(outreach_record_create(client_, "contact", nullptr, &id), OUTREACH_INVALID_ARGUMENT);
  EXPECT_EQ(outreach_change_fix(client_, "some-change", "{\"secret\": ", &id),
            OUTREACH_INVALID_ARGUMENT);
  EXPECT_STREQ(outreach_last_error(), "patch_json is not valid JSON");
}

TEST_F(OutreachCApiTest, RecordsBeforeEnrolmentAreFailedPrecondition) {
  Open();
  char* id = nullptr;
  EXPECT_EQ(outreach_record_create(client_, "contact", "{}", &id), OUTREACH_FAILED_PRECONDITION);
  EXPECT_EQ(id, nullptr);
  EXPECT_STREQ(outreach_last_error(), "enrol this device first");
  EXPECT_EQ(outreach_record_strike(client_, "some-id", "summary", "entry-id", "why", &id),
            OUTREACH_FAILED_PRECONDITION);
  EXPECT_EQ(outreach_record_withdraw(client_, "some-id"), OUTREACH_FAILED_PRECONDITION);
  EXPECT_EQ(outreach_change_fix(client_, "some-change", "{}", &id), OUTREACH_FAILED_PRECONDITION);
  EXPECT_EQ(id, nullptr);
  char* json = nullptr;
  EXPECT_EQ(outreach_client_sync(client_, nullptr, nullptr, &json), OUTREACH_FAILED_PRECONDITION);
  EXPECT_EQ(json, nullptr);
}

TEST_F(OutreachCApiTest, StatusIsJsonAndSuccessClearsLastError) {
  Open();
  (void)outreach_record_update(client_, "some-id", "not json");
  ASSERT_STRNE(outreach_last_error(), "");
  char* text = nullptr;
  ASSERT_EQ(outreach_client_status(client_, &text), OUTREACH_OK);
  EXPECT_STREQ(outreach_last_error(), "");
  const Json status = Json::parse(Take(text));
  EXPECT_EQ(status["enrolled"], false);
  EXPECT_EQ(status["pending"], 0);
  EXPECT_EQ(status["last_sync_ms"], 0);
}

TEST_F(OutreachCApiTest, LastErrorIsPerThread) {
  Open();
  EXPECT_EQ(outreach_record_update(client_, "some-id", "not json"), OUTREACH_INVALID_ARGUMENT);
  std::string seen_elsewhere = "unset";
  std::thread([&] { seen_elsewhere = outreach_last_error(); }).join();
  EXPECT_EQ(seen_elsewhere, "");
  EXPECT_STREQ(outreach_last_error(), "patch_json is not valid JSON");
}

TEST_F(OutreachCApiTest, OneStoreOpensOncePerProcess) {
  Open();
  outreach_client* second = nullptr;
  const std::string same_folder = dir_.path() + "/.";
  EXPECT_EQ(outreach_client_open(same_folder.c_str(), "correct horse", &second),
            OUTREACH_FAILED_PRECONDITION);
  EXPECT_EQ(second, nullptr);
}

TEST_F(OutreachCApiTest, WipeRefusedWhileOpenThenDestroysTheStore) {
  Open("old passcode");
  EXPECT_EQ(outreach_store_wipe(dir_.path().c_str()), OUTREACH_FAILED_PRECONDITION);
  outreach_client_close(&client_);
  ASSERT_EQ(outreach_store_wipe(dir_.path().c_str()), OUTREACH_OK) << outreach_last_error();
  // Nothing is left to unlock: any passcode now makes a new, empty store.
  Open("new passcode");
  char* text = nullptr;
  ASSERT_EQ(outreach_client_status(client_, &text), OUTREACH_OK);
  EXPECT_EQ(Json::parse(Take(text))["device_id"], "");
}

TEST_F(OutreachCApiTest, CancelWithoutSyncDoesNothing) {
  Open();
  EXPECT_EQ(outreach_cancel_sync(client_), OUTREACH_OK);
  // The flag did not stick: a later sync is not cancelled by it (here: not enrolled).
  EXPECT_EQ(outreach_client_sync(client_, nullptr, nullptr, nullptr), OUTREACH_FAILED_PRECONDITION);
}

TEST_F(OutreachCApiTest, UnknownStatusHasAName) {
  EXPECT_STREQ(outreach_status_name(OUTREACH_OK), "ok");
  EXPECT_STREQ(outreach_status_name(OUTREACH_PERMISSION_DENIED), "permission_denied");
  EXPECT_STREQ(outreach_status_name(999), "unknown");
  outreach_free_string(nullptr);
}

}  // namespace
