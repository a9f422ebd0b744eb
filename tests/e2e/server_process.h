// ServerProcess: a real `outreach-server serve` child process for end-to-end tests, on
// 127.0.0.1 with TLS from a CA made for the test run, its data under a temp folder. Can be
// stopped (SIGTERM), killed (SIGKILL) and restarted on the same data and port.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/testing/test_ca.h"

namespace outreach::testing {

struct ServerLimits {
  std::size_t max_body_bytes = 16 * 1024 * 1024;
  std::size_t max_changes_per_push = 5000;
};

class ServerProcess {
 public:
  // Makes the CA and config in `dir` and starts the server; throws std::runtime_error if it
  // does not come up.
  explicit ServerProcess(const std::string& dir, ServerLimits limits = {});
  ~ServerProcess();  // SIGKILL if still running
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  unsigned short port() const { return port_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  const TestCertificates& certificates() const { return certificates_; }
  const std::string& data_dir() const { return data_dir_; }

  // SIGTERM and wait: the exit status (0 for a clean stop).
  int Stop();
  void Kill();     // SIGKILL and reap
  void Restart();  // same data, same port
  bool running() const { return pid_ > 0; }

  // The folder of *.schema.json the server validates with from its next start (and admin
  // commands from now on); the repository's schemas/ until set.
  void UseSchemas(const std::string& schemas_dir) { schemas_dir_ = schemas_dir; }

  // `outreach-server admin --data DIR args...`: its stdout; throws on a non-zero exit.
  std::string Admin(const std::vector<std::string>& args) const;
  // create-team, create-user and enrolment-code in one go: the code.
  std::string NewUserCode(const std::string& team, const std::string& user,
                          const std::string& role, bool create_team);

 private:
  void Start();

  std::string dir_;
  std::string data_dir_;
  std::string config_file_;
  std::string schemas_dir_ = OUTREACH_SCHEMA_DIR;
  TestCertificates certificates_;
  unsigned short port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace outreach::testing
