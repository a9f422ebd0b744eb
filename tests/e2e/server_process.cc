#include "tests/e2e/server_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace outreach::testing {
namespace {

std::string Quote(const std::string& text) { return "'" + text + "'"; }

}  // namespace

ServerProcess::ServerProcess(const std::string& dir, ServerLimits limits)
    : dir_(dir), data_dir_(dir + "/server-data"), config_file_(dir + "/server.json") {
  std::filesystem::create_directories(dir + "/tls");
  certificates_ = MakeTestCertificates(dir + "/tls");
  std::ofstream(config_file_)
      << "{\"address\": \"127.0.0.1\", \"threads\": 2,"
      << " \"tls\": {\"certificate\": \"" << certificates_.server_chain_file << "\","
      << " \"private_key\": \"" << certificates_.server_key_file << "\"},"
      << " \"limits\": {\"max_body_bytes\": " << limits.max_body_bytes
      << ", \"max_changes_per_push\": " << limits.max_changes_per_push
      << ", \"read_timeout_ms\": 5000}}";
  Start();
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Kill();
}

void ServerProcess::Start() {
  std::filesystem::remove(data_dir_ + "/port");
  const std::string port = std::to_string(port_);
  pid_ = ::fork();
  if (pid_ == 0) {
    const std::string log = dir_ + "/server.log";
    std::freopen(log.c_str(), "a", stderr);
    std::freopen("/dev/null", "w", stdout);
    ::execl(OUTREACH_SERVER_BINARY, OUTREACH_SERVER_BINARY, "serve", "--data", data_dir_.c_str(),
            "--config", config_file_.c_str(), "--port", port.c_str(), "--schemas",
            schemas_dir_.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Ready once it has written the port it bound.
  for (int i = 0; i < 600; ++i) {
    std::ifstream file(data_dir_ + "/port");
    unsigned short bound = 0;
    if (file >> bound && bound != 0) {
      port_ = bound;
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("outreach-server exited at start; see " + dir_ + "/server.log");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("outreach-server did not start in 30 s");
}

int ServerProcess::Stop() {
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void ServerProcess::Kill() {
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void ServerProcess::Restart() {
  if (pid_ > 0) Kill();
  // The old socket may linger in TIME_WAIT; the server binds with SO_REUSEADDR, but retry
  // briefly in case the kernel has not released it yet.
  for (int attempt = 0;; ++attempt) {
    try {
      Start();
      return;
    } catch (const std::runtime_error&) {
      if (attempt == 20) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
}

std::string ServerProcess::Admin(const std::vector<std::string>& args) const {
  std::string command = std::string(OUTREACH_SERVER_BINARY) + " admin --data " + Quote(data_dir_) +
                        " --schemas " + Quote(schemas_dir_);
  for (const std::string& arg : args) command += " " + Quote(arg);
  command += " 2>>" + Quote(dir_ + "/admin.log");
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) throw std::runtime_error("cannot run outreach-server admin");
  std::string output;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe.get()) != nullptr) output += buffer;
  const int status = ::pclose(pipe.release());
  if (status != 0) throw std::runtime_error("outreach-server admin failed: " + args.front());
  return output;
}

std::string ServerProcess::NewUserCode(const std::string& team, const std::string& user,
                                       const std::string& role, bool create_team) {
  if (create_team) Admin({"create-team", team});
  Admin({"create-user", user, "--team", team, "--role", role});
  std::string output = Admin({"enrolment-code", user});
  while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
  return output.substr(output.rfind(' ') + 1);
}

}  // namespace outreach::testing
