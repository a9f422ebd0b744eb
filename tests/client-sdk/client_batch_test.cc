// outreach::Client's batch writes, which `outreach import` is built on: ValidateCreate reports
// every problem and writes nothing; CreateAll creates every record or none. The device is
// enrolled against a scripted server (an enrolment answer and the contact schema), then works
// offline, as after any enrolment.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client-sdk/client.h"
#include "tests/client-sdk/scripted_client_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach {
namespace {

using model::Json;
using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

using ::outreach::testing::Contact;

class ClientBatchTest : public ::outreach::testing::ScriptedClientFixture {
 protected:
  std::size_t Contacts() {
    auto records = client_->List("contact");
    EXPECT_THAT(records.status(), IsOk());
    return records.ok() ? records->size() : 0;
  }
};

TEST_F(ClientBatchTest, ValidateCreateReportsEveryProblemAndWritesNothing) {
  Json contact = Contact("Park");
  contact.erase("location_text");
  contact["contact_type"] = "not-a-type";
  ASSERT_OK_AND_ASSIGN(auto problems, client_->ValidateCreate("contact", contact));
  EXPECT_THAT(problems, ElementsAre(Field(&schema::ValidationProblem::pointer, "/contact_type"),
                                    Field(&schema::ValidationProblem::pointer, "/location_text")));
  ASSERT_OK_AND_ASSIGN(auto valid, client_->ValidateCreate("contact", Contact("Park")));
  EXPECT_THAT(valid, IsEmpty());
  EXPECT_THAT(client_->ValidateCreate("no_such_type", Contact("Park")),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(Contacts(), 0u);
  ASSERT_OK_AND_ASSIGN(ClientStatus status, client_->GetStatus());
  EXPECT_EQ(status.pending, 0);
}

TEST_F(ClientBatchTest, CreateAllCreatesNothingWhenOneRecordFails) {
  Json invalid = Contact("Library");
  invalid.erase("location_text");
  std::size_t failed_index = 99;
  auto ids =
      client_->CreateAll("contact", {Contact("Park"), invalid, Contact("Market")}, &failed_index);
  EXPECT_THAT(ids, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ids.status().message(), StartsWith("records[1]: "));
  EXPECT_EQ(failed_index, 1u);
  EXPECT_EQ(Contacts(), 0u);
  ASSERT_OK_AND_ASSIGN(ClientStatus status, client_->GetStatus());
  EXPECT_EQ(status.pending, 0);
}

TEST_F(ClientBatchTest, CreateAllCreatesEveryRecordInOrder) {
  ASSERT_OK_AND_ASSIGN(auto ids,
                       client_->CreateAll("contact", {Contact("Park"), Contact("Market")}));
  ASSERT_THAT(ids, SizeIs(2));
  ASSERT_OK_AND_ASSIGN(auto first, client_->Get(ids[0]));
  EXPECT_EQ(first.values["location_text"], "Park");
  ASSERT_OK_AND_ASSIGN(auto second, client_->Get(ids[1]));
  EXPECT_EQ(second.values["location_text"], "Market");
  ASSERT_OK_AND_ASSIGN(ClientStatus status, client_->GetStatus());
  EXPECT_EQ(status.pending, 2);
}

TEST_F(ClientBatchTest, DeleteNeedsAReason) {
  ASSERT_OK_AND_ASSIGN(std::string id, client_->Create("contact", Contact("Park")));
  EXPECT_THAT(client_->Delete(id, ""), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(client_->Delete(id, "entered twice"), IsOk());
  ASSERT_OK_AND_ASSIGN(auto view, client_->Get(id));
  EXPECT_TRUE(view.deleted);
}

}  // namespace
}  // namespace outreach
