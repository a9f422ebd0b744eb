// TransportTest: a scripted HTTPS server with a fresh test CA, and transport options that trust
// it, with generous timeouts (sanitizer builds are slow) but millisecond backoff (fast tests).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "client-sdk/transport/http_client.h"
#include "tests/testing/scripted_http_server.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_ca.h"

namespace outreach::client {

class TransportTest : public ::testing::Test {
 protected:
  TransportTest()
      : certificates_(testing::MakeTestCertificates(dir_.path())), server_(certificates_) {}

  TransportOptions Options(const std::string& base_url) const {
    TransportOptions options;
    options.base_url = base_url;
    options.ca_file = certificates_.ca_file;
    options.connect_timeout_ms = 5'000;
    options.transfer_timeout_ms = 20'000;
    options.max_attempts = 3;
    options.backoff_initial_ms = 10;
    options.backoff_max_ms = 2'000;
    return options;
  }
  TransportOptions Options() const { return Options(server_.BaseUrl()); }

  testing::TempDir dir_;
  testing::TestCertificates certificates_;
  testing::ScriptedHttpServer server_;
};

inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace outreach::client
