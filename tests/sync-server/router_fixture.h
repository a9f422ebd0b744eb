// RouterFixture: the server's endpoints called through Router::Handle with plain HttpRequest
// structs, over the same real store and service as the other sync tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/protocol/json_codec.h"
#include "sync-server/api/metrics.h"
#include "sync-server/api/router.h"
#include "tests/sync-server/sync_fixture.h"

namespace outreach::server::testing {

class RouterFixture : public SyncFixture {
 protected:
  void SetUp() override {
    SyncFixture::SetUp();
    router_ = std::make_unique<Router>(&server_->service(), &server_->store(), &server_->schemas(),
                                       &metrics_);
  }

  HttpResponse Get(const std::string& target, const std::string& token = {}) {
    return router_->Handle(HttpRequest{"GET", target, "", "", Bearer(token), "", "127.0.0.1"});
  }
  HttpResponse Post(const std::string& target, const std::string& content_type,
                    const std::string& body, const std::string& token = {}) {
    return router_->Handle(
        HttpRequest{"POST", target, content_type, "", Bearer(token), body, "127.0.0.1"});
  }
  HttpResponse PostJson(const std::string& target, const model::Json& body,
                        const std::string& token = {}) {
    return Post(target, std::string(protocol::kJsonContentType), body.dump(), token);
  }

  // The response is an error with `status` and a JSON body naming it; returns the code.
  static std::string ErrorOf(const HttpResponse& response, int status) {
    EXPECT_EQ(response.status, status) << response.body;
    EXPECT_EQ(response.content_type, "application/json");
    const model::Json body = model::Json::parse(response.body, nullptr, false);
    EXPECT_TRUE(body.is_object() && body.contains("error") && body["error"].is_string())
        << response.body;
    return body.is_object() && body.contains("error") && body["error"].is_string()
               ? body["error"].get<std::string>()
               : std::string();
  }

  static std::string Bearer(const std::string& token) {
    return token.empty() ? std::string() : "Bearer " + token;
  }

  Metrics metrics_;
  std::unique_ptr<Router> router_;
};

}  // namespace outreach::server::testing
