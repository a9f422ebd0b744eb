// sync_bench: a real outreach-server (SQLite store, encrypted) and SDK devices (encrypted
// stores) on loopback over TLS, as in production. Prints one JSON line per measurement:
//   (a) push of N contact records (~1 KB) from one device, records/s end to end;
//   (b) initial pull of the same to a fresh device, records/s, with the device's peak RSS
//       during the pull (the unlock's Argon2id peak, before it, reported apart);
//   (c) incremental sync after 1% of the records changed: push ms on one device, pull ms on
//       another;
//   (d) a no-op sync, median ms, on the N-record store and (--million) on a 1,000,000-record one;
//   (e) bytes on the wire per record for (a) and (b), against the records' JSON size, and the
//       server's peak RSS.
// Each device phase runs in a child process so its peak RSS is its own.
// (c) runs --rounds times (5), each on another 1%, and reports the median with min and max.
//   build/bin/sync_bench [--records=100000] [--rounds=5] [--million] [--keep]
//   build/bin/sync_bench --reuse=DIR [--rounds=K]: (c) alone, on what a --keep run left in DIR
//   build/bin/sync_bench --reuse-push=DIR [--rounds=K]: (a) alone, K times, on copies of the
//   server and the writer a --keep run saved before its push (same --records)
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/sync_bench_records.h"
#include "client-sdk/client.h"

namespace {

using outreach::Client;
using Clock = std::chrono::steady_clock;

// The server this process started and has not stopped: killed if the bench dies, so a failed
// run leaves no server holding its port.
pid_t running_server = -1;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "sync_bench: %s\n", what.c_str());
  if (running_server > 0 && running_server != getpid()) kill(running_server, SIGKILL);
  std::exit(1);
}

template <typename T>
T Must(outreach::Result<T> result, const char* what) {
  if (!result.ok()) Die(std::string(what) + ": " + result.status().ToString());
  return std::move(result).value();
}
void Must(const outreach::Status& status, const char* what) {
  if (!status.ok()) Die(std::string(what) + ": " + status.ToString());
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}


double ProcessPeakRssMib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double ProcessCpuSeconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces): utime and stime are 14th and 15th.
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU time the device (this process) and the server spent in one phase: with the wall time
// it tells where a phase's time goes (device, server, or neither: waiting on the disk).
struct CpuMeter {
  pid_t server;
  double device_start = SelfCpuSeconds();
  double server_start = ProcessCpuSeconds(server);

  explicit CpuMeter(pid_t server_pid) : server(server_pid) {}
  std::string Json() const {
    char text[96];
    std::snprintf(text, sizeof text, "\"device_cpu_s\":%.3f,\"server_cpu_s\":%.3f",
                  SelfCpuSeconds() - device_start, ProcessCpuSeconds(server) - server_start);
    return text;
  }
};

double PeakRssMib() { return ProcessPeakRssMib(getpid()); }

// Restarts this process's peak RSS (VmHWM) from its current RSS, so a phase's peak is its own:
// unlocking the store (Argon2id, 64 MiB by default) peaks before the sync starts.
void ResetPeakRss() {
  std::ofstream clear_refs("/proc/self/clear_refs");
  clear_refs << "5";
}

std::string Run(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) Die("cannot run " + command);
  std::string out;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe.get()) != nullptr) out += buffer;
  if (pclose(pipe.release()) != 0) Die("failed: " + command);
  return out;
}

struct Server {
  std::string data;
  pid_t pid = -1;
  unsigned short port = 0;

  // On `port`, or any free one (0).
  void Start(unsigned short on_port = 0) {
    const std::string port_arg = std::to_string(on_port);
    port = 0;  // known again once this server has written its port file
    std::filesystem::remove(data + "/port");
    pid = fork();
    if (pid == 0) {
      std::freopen((data + ".log").c_str(), "w", stderr);
      std::freopen("/dev/null", "w", stdout);
      execl(OUTREACH_SERVER_BINARY, OUTREACH_SERVER_BINARY, "serve", "--data", data.c_str(),
            "--port", port_arg.c_str(), "--schemas", OUTREACH_SCHEMA_DIR,
            static_cast<char*>(nullptr));
      _exit(127);
    }
    running_server = pid;
    for (int i = 0; i < 600 && port == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::ifstream(data + "/port") >> port;
    }
    if (port == 0) Die("the server did not start; see " + data + ".log");
  }
  std::string Admin(const std::string& args) const {
    return Run(std::string(OUTREACH_SERVER_BINARY) + " admin --data " + data + " --schemas " +
               OUTREACH_SCHEMA_DIR + " " + args + " 2>/dev/null");
  }
  std::string Code(const std::string& user) const {
    std::string out = Admin("enrolment-code " + user);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out.substr(out.rfind(' ') + 1);
  }
  void Stop() {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    running_server = -1;
  }
};

struct Bench {
  std::string dir;
  Server server;
  long records = 100'000;

  std::string Url() const { return "https://127.0.0.1:" + std::to_string(server.port); }

  std::unique_ptr<Client> Device(const std::string& name, const std::string& user) const {
    auto device = Must(Client::Open(dir + "/" + name, "bench passcode"), "open device");
    auto status = Must(device->GetStatus(), "status");
    if (!status.enrolled) {
      outreach::EnrolOptions enrol;
      enrol.ca_file = server.data + "/tls/cert.pem";
      Must(device->Enrol(Url(), server.Code(user), enrol), "enrol");
    }
    return device;
  }
};

// Runs `phase` in a child process (its own peak RSS); waits for it.
void InChild(const std::function<void()>& phase) {
  std::fflush(stdout);
  const pid_t child = fork();
  if (child == 0) {
    phase();
    std::fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) Die("a device phase failed");
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// One round of (c): `changed` records edited on the writer (every 100th, from `offset`) and
// pushed; then pulled by the reader, each device in a freshly opened process as a tablet
// syncing after its app starts. Returns {push ms, pull ms}.
std::pair<double, double> IncrementalRound(const Bench& bench, long changed, long offset) {
  std::pair<double, double> ms{0, 0};
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) Die("pipe");
  const auto report = [&](double value) {
    if (write(pipe_fds[1], &value, sizeof value) != sizeof value) Die("write");
  };
  InChild([&] {
    auto device = bench.Device("writer", "writer");
    auto contacts = Must(device->List("contact"), "list");
    for (long i = 0; i < changed; ++i) {
      const std::size_t at = static_cast<std::size_t>(i * 100 + offset) % contacts.size();
      const std::string place = "moved " + std::to_string(i) + "." + std::to_string(getpid());
      Must(device->Update(contacts[at]["id"].get<std::string>(),
                          outreach::model::Json{{"location_text", place}}),
           "edit");
    }
    const auto start = Clock::now();
    const auto summary = Must(device->Sync(), "incremental push");
    if (summary.pushed != changed) Die("pushed " + std::to_string(summary.pushed));
    report(Seconds(start) * 1000);
  });
  InChild([&] {
    auto device = bench.Device("reader", "reader");
    const auto start = Clock::now();
    const auto summary = Must(device->Sync(), "incremental pull");
    if (summary.pulled != changed) Die("pulled " + std::to_string(summary.pulled));
    report(Seconds(start) * 1000);
  });
  if (read(pipe_fds[0], &ms.first, sizeof ms.first) != sizeof ms.first ||
      read(pipe_fds[0], &ms.second, sizeof ms.second) != sizeof ms.second) {
    Die("read");
  }
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  return ms;
}

void IncrementalRounds(const Bench& bench, long changed, int rounds) {
  std::vector<double> push_ms, pull_ms;
  for (int round = 0; round < rounds; ++round) {
    const auto [push, pull] = IncrementalRound(bench, changed, round);
    push_ms.push_back(push);
    pull_ms.push_back(pull);
    std::printf("{\"bench\":\"sync.incremental_round\",\"round\":%d,\"push_ms\":%.1f,"
                "\"pull_ms\":%.1f}\n", round + 1, push, pull);
  }
  const auto print = [&](const char* name, const std::vector<double>& ms) {
    std::printf("{\"bench\":\"%s\",\"changed\":%ld,\"rounds\":%d,\"ms\":%.1f,\"min_ms\":%.1f,"
                "\"max_ms\":%.1f}\n",
                name, changed, rounds, Median(ms), *std::min_element(ms.begin(), ms.end()),
                *std::max_element(ms.begin(), ms.end()));
  };
  print("sync.incremental_push", push_ms);
  print("sync.incremental_pull", pull_ms);
}

// (a): syncs `device`, whose outbox holds `bench.records` creates, and prints the line.
void PushPhase(const Bench& bench, Client& device, double local_creates_per_s) {
  const long n = bench.records;
  const double json_bytes = outreach::bench::AverageContactJsonBytes();
  const auto start = Clock::now();
  const CpuMeter cpu(bench.server.pid);
  const auto summary = Must(device.Sync(), "push sync");
  const double s = Seconds(start);
  if (summary.pushed != n) Die("pushed " + std::to_string(summary.pushed));
  // The creates' rate only when this run made them (not on a --reuse-push copy).
  char creates[64] = "";
  if (local_creates_per_s > 0) {
    std::snprintf(creates, sizeof creates, "\"local_creates_per_s\":%.0f,", local_creates_per_s);
  }
  std::printf("{\"bench\":\"sync.push\",\"records\":%ld,\"seconds\":%.3f,\"records_per_s\":%.0f,"
              "\"bytes_sent_per_record\":%.1f,\"record_json_bytes\":%.1f,\"wire_ratio\":%.3f,"
              "\"device_peak_rss_mib\":%.1f,%s%s}\n",
              n, s, n / s, double(summary.bytes_sent) / n, json_bytes,
              double(summary.bytes_sent) / n / json_bytes, PeakRssMib(), creates,
              cpu.Json().c_str());
}

// --reuse-push: (a) alone, `rounds` times, each on fresh copies of the server and the writer as
// a --keep run left them before its push.
void PushRounds(Bench& bench, int rounds) {
  const std::string kept = bench.dir;
  unsigned short enrolled_on = 0;
  std::ifstream(kept + "/enrolled_port") >> enrolled_on;
  if (enrolled_on == 0 || !std::filesystem::exists(kept + "/push-writer")) {
    Die(kept + " holds no push copies: not a data set of --keep");
  }
  for (int round = 0; round < rounds; ++round) {
    const std::string copy = kept + "/push-round";
    std::filesystem::remove_all(copy);
    std::filesystem::create_directories(copy);
    const auto recursive = std::filesystem::copy_options::recursive;
    std::filesystem::copy(kept + "/push-server", copy + "/server", recursive);
    std::filesystem::copy(kept + "/push-writer", copy + "/writer", recursive);
    ::sync();  // the copies on disk, not written back while the push runs
    bench.dir = copy;
    bench.server.data = copy + "/server";
    bench.server.Start(enrolled_on);
    InChild([&] {
      auto device = bench.Device("writer", "writer");
      PushPhase(bench, *device, 0);
    });
    bench.server.Stop();
    std::filesystem::remove_all(copy);
  }
  bench.dir = kept;
}

// (b): `name`, a device of the reader's, syncs from nothing until it holds every record.
void InitialPull(const Bench& bench, const std::string& name) {
  InChild([&] {
    const double json_bytes = outreach::bench::AverageContactJsonBytes();  // before measuring
    auto device = bench.Device(name, "reader");
    const double unlock_rss = PeakRssMib();
    ResetPeakRss();
    const auto start = Clock::now();
    const CpuMeter cpu(bench.server.pid);
    const auto summary = Must(device->Sync(), "pull sync");
    const double s = Seconds(start);
    const long n = bench.records;
    if (summary.pulled != n) Die("pulled " + std::to_string(summary.pulled));
    std::printf("{\"bench\":\"sync.initial_pull\",\"records\":%ld,\"seconds\":%.3f,"
                "\"records_per_s\":%.0f,\"bytes_received_per_record\":%.1f,"
                "\"record_json_bytes\":%.1f,\"wire_ratio\":%.3f,\"device_peak_rss_mib\":%.1f,"
                "\"unlock_peak_rss_mib\":%.1f,%s}\n",
                n, s, n / s, double(summary.bytes_received) / n, json_bytes,
                double(summary.bytes_received) / n / json_bytes, PeakRssMib(), unlock_rss,
                cpu.Json().c_str());
  });
}

// (b) alone, `rounds` times, on the server an earlier --keep run left in bench.dir (run with
// the same --records): each round a new device of the reader's pulls every record, and is
// removed after. The server runs on the data set itself, which keeps each round's enrolment.
void PullRounds(Bench& bench, int rounds) {
  bench.server.data = bench.dir + "/server";
  unsigned short enrolled_on = 0;
  std::ifstream(bench.dir + "/enrolled_port") >> enrolled_on;
  if (enrolled_on == 0) Die(bench.dir + " holds no enrolled_port: not a data set of --keep");
  bench.server.Start(enrolled_on);
  for (int round = 0; round < rounds; ++round) {
    const std::string name = "pull-round";
    std::filesystem::remove_all(bench.dir + "/" + name);
    InitialPull(bench, name);
    std::filesystem::remove_all(bench.dir + "/" + name);
  }
  bench.server.Stop();
}

void NoOpSyncs(const Bench& bench, const char* name, long database_records) {
  InChild([&] {
    auto device = bench.Device("reader", "reader");
    (void)Must(device->Sync(), "catch-up sync");
    std::vector<double> ms;
    for (int i = 0; i < 21; ++i) {
      const auto start = Clock::now();
      (void)Must(device->Sync(), "no-op sync");
      ms.push_back(Seconds(start) * 1000);
    }
    std::printf("{\"bench\":\"%s\",\"database_records\":%ld,\"median_ms\":%.2f,\"max_ms\":%.2f}\n",
                name, database_records, Median(ms), *std::max_element(ms.begin(), ms.end()));
  });
}

}  // namespace

int main(int argc, char** argv) {
  Bench bench;
  bool million = false, keep = false;
  int rounds = 5;
  std::string reuse, reuse_push, reuse_pull;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--records=", 0) == 0) bench.records = std::stol(arg.substr(10));
    // Odd, so the median is a round's own figure.
    else if (arg.rfind("--rounds=", 0) == 0) rounds = std::max(1, std::stoi(arg.substr(9))) | 1;
    else if (arg.rfind("--reuse=", 0) == 0) reuse = arg.substr(8);
    else if (arg.rfind("--reuse-push=", 0) == 0) reuse_push = arg.substr(13);
    else if (arg.rfind("--reuse-pull=", 0) == 0) reuse_pull = arg.substr(13);
    else if (arg == "--million") million = true;
    else if (arg == "--keep") keep = true;
    else Die("usage: sync_bench [--records=N] [--rounds=K] [--million] [--keep] [--reuse=DIR]"
             " [--reuse-push=DIR] [--reuse-pull=DIR]");
  }
  if (!reuse_push.empty()) {
    bench.dir = reuse_push;
    PushRounds(bench, rounds);
    return 0;
  }
  if (!reuse_pull.empty()) {
    bench.dir = reuse_pull;
    PullRounds(bench, rounds);
    return 0;
  }
  if (!reuse.empty()) {
    // Only (c), on the store and devices an earlier --keep run left in DIR: for tuning (c)
    // without making the data set again.
    bench.dir = reuse;
    bench.server.data = bench.dir + "/server";
    unsigned short enrolled_on = 0;  // the devices know the server by its address
    std::ifstream(bench.dir + "/enrolled_port") >> enrolled_on;
    if (enrolled_on == 0) Die(reuse + " holds no enrolled_port: not a data set of --keep");
    bench.server.Start(enrolled_on);
    IncrementalRounds(bench, bench.records / 100, rounds);
    bench.server.Stop();
    return 0;
  }
  char tmpl[] = "/tmp/sync_bench.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) Die("mkdtemp");
  bench.dir = tmpl;
  bench.server.data = bench.dir + "/server";
  bench.server.Start();
  std::ofstream(bench.dir + "/enrolled_port") << bench.server.port << "\n";  // for --reuse
  bench.server.Admin("create-team bench");
  bench.server.Admin("create-user writer --team bench --role worker");
  bench.server.Admin("create-user reader --team bench --role worker");
  const long n = bench.records;

  // (a) push
  if (keep) {
    // For --reuse-push: the server as it is before the push (teams, users, the writer
    // enrolled), copied while it is stopped; then the writer's store after its creates.
    InChild([&] { (void)bench.Device("writer", "writer"); });
    bench.server.Stop();
    std::filesystem::copy(bench.server.data, bench.dir + "/push-server",
                          std::filesystem::copy_options::recursive);
    bench.server.Start(bench.server.port);
  }
  InChild([&] {
    auto device = bench.Device("writer", "writer");
    const auto create_start = Clock::now();
    for (long i = 0; i < n; ++i) {
      (void)Must(device->Create("contact", outreach::bench::BenchContact("writer", i)), "create");
    }
    const double create_s = Seconds(create_start);
    if (keep) {
      device.reset();  // closed, so its files are whole when copied
      std::filesystem::copy(bench.dir + "/writer", bench.dir + "/push-writer",
                            std::filesystem::copy_options::recursive);
      device = bench.Device("writer", "writer");
    }
    PushPhase(bench, *device, n / create_s);
  });
  // (b) initial pull
  InitialPull(bench, "reader");
  // (c) incremental, in rounds (one timing of 1,000 changes varies by tens of ms on a shared
  // machine): each round edits another 1% on the writer, pushes it, and the reader pulls it.
  IncrementalRounds(bench, n / 100, rounds);
  // (d) no-op syncs
  NoOpSyncs(bench, "sync.noop", n);
  if (million) {
    bench.server.Admin("create-team filler");
    bench.server.Admin("create-user filler --team filler --role worker");
    InChild([&] { outreach::bench::FillServer(bench.Url(), bench.server.data + "/tls/cert.pem",
                                              bench.server.Code("filler"), 1'000'000 - n); });
    NoOpSyncs(bench, "sync.noop", 1'000'000);
  }
  // (e) the server's peak memory
  std::printf("{\"bench\":\"sync.server\",\"server_peak_rss_mib\":%.1f}\n",
              ProcessPeakRssMib(bench.server.pid));
  bench.server.Stop();
  if (!keep) std::filesystem::remove_all(bench.dir);
  else std::fprintf(stderr, "sync_bench: data set kept in %s (--reuse=%s)\n", bench.dir.c_str(),
                    bench.dir.c_str());
  return 0;
}
