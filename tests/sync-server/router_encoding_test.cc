// POST /v1/sync in both encodings: JSON and cereal+zstd carry the same pushes and pulls; bodies
// that do not decode are 400, another major protocol version is 400 unsupported_protocol, and
// a small body that decompresses past the decode limit is 413, never an allocation spree.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <zstd.h>

#include "core/protocol/binary_codec.h"
#include "tests/sync-server/router_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach::server::testing {
namespace {

using model::Json;
using ::outreach::testing::IsOk;

const std::string kBinary(protocol::kBinaryContentType);

// The 7-byte header of a binary sync request (DESIGN.md section 4, core/protocol/README.md).
std::string RequestHeader(char major) { return std::string("OSYN") + major + '\0' + '\1'; }

// A zstd frame of `size` zero bytes, compressed as it streams (a few KiB for hundreds of MiB).
std::string ZerosFrame(std::size_t size) {
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> context(ZSTD_createCCtx(), ZSTD_freeCCtx);
  const std::string zeros(1 << 20, '\0');
  std::string chunk(ZSTD_CStreamOutSize(), '\0');
  std::string frame;
  for (std::size_t sent = 0; sent < size; sent += zeros.size()) {
    const bool last = sent + zeros.size() >= size;
    ZSTD_inBuffer input{zeros.data(), std::min(zeros.size(), size - sent), 0};
    std::size_t left = 0;
    do {
      ZSTD_outBuffer output{chunk.data(), chunk.size(), 0};
      left = ZSTD_compressStream2(context.get(), &output, &input, last ? ZSTD_e_end : ZSTD_e_continue);
      EXPECT_FALSE(ZSTD_isError(left));
      frame.append(chunk.data(), output.pos);
    } while (last ? left != 0 : input.pos < input.size);
  }
  return frame;
}

class RouterEncodingTest : public RouterFixture {
 protected:
  void SetUp() override {
    RouterFixture::SetUp();
    ASSERT_OK_AND_ASSIGN(enrolled_, server_->Enrol("ana"));
  }

  protocol::EnrolResponse enrolled_;
};

TEST_F(RouterEncodingTest, JsonAndBinarySyncCarryTheSameRecords) {
  auto ana = NewDevice("ana");
  ASSERT_TRUE(ana);
  ASSERT_EQ(CreateYoungPeople(*ana, {"Skye", "Jay"}).size(), 2u);
  ASSERT_OK_AND_ASSIGN(protocol::SyncRequest push, ana->PendingRequest());
  ASSERT_EQ(push.changes.size(), 2u);
  // One change pushed in each encoding; each answers in its own.
  protocol::SyncRequest as_json = push;
  as_json.changes.resize(1);
  const HttpResponse json_push = PostJson("/v1/sync", protocol::ToJson(as_json), ana->token());
  ASSERT_EQ(json_push.status, 200) << json_push.body;
  EXPECT_EQ(json_push.content_type, "application/json");
  ASSERT_OK_AND_ASSIGN(auto json_reply, protocol::SyncResponseFromJson(Json::parse(json_push.body)));
  ASSERT_EQ(json_reply.results.size(), 1u);
  EXPECT_EQ(json_reply.results[0].outcome, protocol::Outcome::kApplied);
  protocol::SyncRequest as_binary = push;
  as_binary.changes.erase(as_binary.changes.begin());
  const HttpResponse binary_push =
      Post("/v1/sync", kBinary, protocol::EncodeBinary(as_binary), ana->token());
  ASSERT_EQ(binary_push.status, 200) << binary_push.body;
  EXPECT_EQ(binary_push.content_type, kBinary);
  ASSERT_OK_AND_ASSIGN(auto binary_reply, protocol::DecodeBinaryResponse(binary_push.body));
  ASSERT_EQ(binary_reply.results.size(), 1u);
  EXPECT_EQ(binary_reply.results[0].outcome, protocol::Outcome::kApplied);

  // A teammate's pull in either encoding: the same records, cursor and server time.
  ASSERT_OK_AND_ASSIGN(auto ben, server_->Enrol("ben"));
  const protocol::SyncRequest pull;
  const HttpResponse json_pull = PostJson("/v1/sync", protocol::ToJson(pull), ben.token);
  const HttpResponse binary_pull = Post("/v1/sync", kBinary, protocol::EncodeBinary(pull), ben.token);
  ASSERT_EQ(json_pull.status, 200);
  ASSERT_EQ(binary_pull.status, 200);
  ASSERT_OK_AND_ASSIGN(auto from_json, protocol::SyncResponseFromJson(Json::parse(json_pull.body)));
  ASSERT_OK_AND_ASSIGN(auto from_binary, protocol::DecodeBinaryResponse(binary_pull.body));
  EXPECT_EQ(from_json.records.size(), 2u);
  EXPECT_EQ(from_json, from_binary);
}

TEST_F(RouterEncodingTest, MalformedBodiesAre400) {
  const std::string valid = protocol::EncodeBinary(protocol::SyncRequest{});
  for (const std::string& body :
       {std::string(), std::string("hello"), RequestHeader('\1'), RequestHeader('\1') + "not zstd",
        valid.substr(0, valid.size() - 2), valid + "x",
        RequestHeader('\1') + ZerosFrame(64)}) {
    SCOPED_TRACE("binary body of " + std::to_string(body.size()) + " bytes");
    EXPECT_EQ(ErrorOf(Post("/v1/sync", kBinary, body, enrolled_.token), 400), "malformed_body");
  }
  for (const std::string& body : {std::string("{not json"), std::string("[]"), std::string("{}"),
                                  std::string(R"({"protocol":"1.0","changes":"all"})"),
                                  std::string(R"({"protocol":"1.0","page_size":-1})"),
                                  std::string(R"({"protocol":"1.0","changes":[{"id":1}]})")}) {
    SCOPED_TRACE("JSON body " + body);
    EXPECT_EQ(ErrorOf(Post("/v1/sync", "application/json", body, enrolled_.token), 400),
              "malformed_body");
  }
}

TEST_F(RouterEncodingTest, AnotherMajorProtocolVersionIsUnsupported) {
  std::string binary = protocol::EncodeBinary(protocol::SyncRequest{});
  binary[4] = '\2';
  EXPECT_EQ(ErrorOf(Post("/v1/sync", kBinary, binary, enrolled_.token), 400), "unsupported_protocol");
  EXPECT_EQ(ErrorOf(PostJson("/v1/sync", Json{{"protocol", "2.0"}, {"cursor", ""}}, enrolled_.token), 400),
            "unsupported_protocol");
  EXPECT_EQ(ErrorOf(PostJson("/v1/enrol", Json{{"protocol", "2.0"}, {"code", "x"}, {"device_id", "y"}}), 400),
            "unsupported_protocol");
  // A newer minor of the same major is served.
  binary[4] = '\1';
  binary[5] = '\7';
  EXPECT_EQ(Post("/v1/sync", kBinary, binary, enrolled_.token).status, 200);
  EXPECT_EQ(PostJson("/v1/sync", Json{{"protocol", "1.3"}}, enrolled_.token).status, 200);
}

TEST_F(RouterEncodingTest, BodyDecompressingPastTheLimitIs413) {
  const std::size_t limit = kMaxDecompressedRequestBytes;
  const std::string bomb = RequestHeader('\1') + ZerosFrame(limit + (1 << 20));
  ASSERT_LT(bomb.size(), 1u << 20) << "small on the wire";
  EXPECT_EQ(ErrorOf(Post("/v1/sync", kBinary, bomb, enrolled_.token), 413), "body_too_large");
  // The server is fine afterwards.
  EXPECT_EQ(Post("/v1/sync", kBinary, protocol::EncodeBinary(protocol::SyncRequest{}), enrolled_.token).status,
            200);
}

}  // namespace
}  // namespace outreach::server::testing
