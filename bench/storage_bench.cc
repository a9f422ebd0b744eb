// storage_bench: the encrypted store against plain SQLite, same settings, same run.
// Prints one JSON line per workload: {"bench":..., "plain_s":..., "encrypted_s":..., "ratio":...}.
//   (a) storage.insert: 100,000 ~1 KB rows in transactions of 1,000
//   (b) storage.point_read: 100,000 random reads by primary key
//   (c) storage.commit_per_row: 5,000 rows, one commit each, synchronous=NORMAL
//   storage.unlock: opening with the default Argon2id cost.
// Each workload runs --repeat times (default 3), alternating plain and encrypted; medians.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/storage/database.h"
#include "core/storage/database_internal.h"

namespace {

using outreach::storage::Database;
using outreach::storage::KdfParams;
using outreach::storage::KeySource;
using outreach::storage::OpenOptions;
using outreach::storage::Synchronous;
using Clock = std::chrono::steady_clock;

constexpr int kRows = 100'000;
constexpr int kRowsPerTxn = 1'000;
constexpr int kReads = 100'000;
constexpr int kCommitRows = 5'000;
constexpr int kRowBytes = 1'000;
constexpr int kCacheKib = 8192;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "storage_bench: %s\n", what.c_str());
  std::exit(1);
}

// The same statements run on both stores; only the connection differs.
class Store {
 public:
  virtual ~Store() = default;
  virtual void Exec(const std::string& sql) = 0;
  virtual sqlite3* handle() = 0;
};

class PlainStore : public Store {
 public:
  // The store's own settings: WAL, 4 KiB pages, no mmap, same cache, same locking mode.
  PlainStore(const std::string& path, const char* synchronous) {
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      Die("cannot open plain database");
    }
    Exec("PRAGMA page_size=4096; PRAGMA journal_mode=WAL; PRAGMA temp_store=MEMORY;"
         " PRAGMA mmap_size=0; PRAGMA cache_size=-" + std::to_string(kCacheKib) +
         "; PRAGMA synchronous=" + synchronous +
         "; PRAGMA wal_autocheckpoint=" +
         std::to_string(outreach::storage::OpenOptions{}.wal_autocheckpoint_pages));
  }
  ~PlainStore() override { sqlite3_close(db_); }
  void Exec(const std::string& sql) override {
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      Die(std::string("plain: ") + sqlite3_errmsg(db_));
    }
  }
  sqlite3* handle() override { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

class EncryptedStore : public Store {
 public:
  EncryptedStore(const std::string& path, Synchronous synchronous) {
    OpenOptions options;
    options.kdf = KdfParams::FastForTests();  // unlock cost is measured on its own
    options.synchronous = synchronous;
    options.cache_size_kib = kCacheKib;
    const KeySource key = KeySource::Passcode("bench passcode");
    auto db = std::filesystem::exists(path) ? Database::Open(path, key, options)
                                            : Database::Create(path, key, options);
    if (!db.ok()) Die("encrypted: " + db.status().ToString());
    db_ = std::move(db).value();
  }
  void Exec(const std::string& sql) override {
    auto status = db_->Exec(sql);
    if (!status.ok()) Die("encrypted: " + status.ToString());
  }
  sqlite3* handle() override { return outreach::storage::DatabaseInternal::Handle(*db_); }

 private:
  std::unique_ptr<Database> db_;
};

sqlite3_stmt* Prepare(Store& store, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(store.handle(), sql, -1, &stmt, nullptr) != SQLITE_OK) Die("prepare");
  return stmt;
}

// Row bodies are made before any timing starts (generating text would dominate the insert
// workload); each row still differs, by its number at the front.
const std::vector<std::string>& BodyPool() {
  static const std::vector<std::string> pool = [] {
    static const char kLetters[] = "abcdefghijklmnopqrstuvwxyz ";
    std::mt19937_64 rng(42);
    std::vector<std::string> bodies(997, std::string(kRowBytes, ' '));
    for (std::string& body : bodies) {
      for (char& c : body) c = kLetters[rng() % (sizeof(kLetters) - 1)];
    }
    return bodies;
  }();
  return pool;
}

void FillBody(int row, std::string& body) {
  body = BodyPool()[static_cast<std::size_t>(row) % BodyPool().size()];
  const std::string number = std::to_string(row);
  body.replace(0, number.size(), number);
}

void InsertRows(Store& store, int rows, int rows_per_txn) {
  store.Exec("CREATE TABLE IF NOT EXISTS contact(id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  sqlite3_stmt* insert = Prepare(store, "INSERT INTO contact(body) VALUES (?)");
  std::string body;
  for (int row = 0; row < rows; ++row) {
    if (row % rows_per_txn == 0) store.Exec("BEGIN");
    FillBody(row, body);
    sqlite3_bind_text(insert, 1, body.data(), static_cast<int>(body.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(insert) != SQLITE_DONE) Die("insert");
    sqlite3_reset(insert);
    if (row % rows_per_txn == rows_per_txn - 1 || row == rows - 1) store.Exec("COMMIT");
  }
  sqlite3_finalize(insert);
}

void ReadRandomRows(Store& store, int reads, int rows) {
  std::mt19937_64 rng(7);
  sqlite3_stmt* select = Prepare(store, "SELECT body FROM contact WHERE id = ?");
  std::size_t bytes = 0;
  for (int read = 0; read < reads; ++read) {
    sqlite3_bind_int64(select, 1, static_cast<sqlite3_int64>(rng() % rows) + 1);
    if (sqlite3_step(select) != SQLITE_ROW) Die("point read found no row");
    bytes += static_cast<std::size_t>(sqlite3_column_bytes(select, 0));
    sqlite3_reset(select);
  }
  sqlite3_finalize(select);
  if (bytes == 0) Die("read nothing");
}

double Seconds(const std::function<void()>& work) {
  const auto start = Clock::now();
  work();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

struct Pair {
  std::vector<double> plain;
  std::vector<double> encrypted;
};

void Report(const char* name, const Pair& pair, double target) {
  const double plain = Median(pair.plain);
  const double encrypted = Median(pair.encrypted);
  const double ratio = encrypted / plain;
  std::printf("{\"bench\":\"%s\",\"plain_s\":%.4f,\"encrypted_s\":%.4f,\"ratio\":%.3f,"
              "\"target_ratio\":%.2f,\"meets_target\":%s,\"runs\":%zu}\n",
              name, plain, encrypted, ratio, target, ratio <= target ? "true" : "false",
              pair.plain.size());
  std::fflush(stdout);
}

void RemoveDatabase(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", ".key"}) std::filesystem::remove(path + suffix);
}

void RunInsertAndPointReads(const std::string& plain_path, const std::string& sealed_path,
                            const std::string& only, Pair& insert, Pair& point_read) {
  RemoveDatabase(plain_path);
  RemoveDatabase(sealed_path);
  insert.plain.push_back(Seconds([&] {
    PlainStore store(plain_path, "FULL");
    InsertRows(store, kRows, kRowsPerTxn);
  }));
  insert.encrypted.push_back(Seconds([&] {
    EncryptedStore store(sealed_path, Synchronous::kFull);
    InsertRows(store, kRows, kRowsPerTxn);
  }));
  if (!only.empty() && only != "point_read") return;
  // Fresh connections: SQLite's page cache starts cold, the OS cache warm for both.
  {
    PlainStore store(plain_path, "FULL");
    point_read.plain.push_back(Seconds([&] { ReadRandomRows(store, kReads, kRows); }));
  }
  {
    EncryptedStore store(sealed_path, Synchronous::kFull);
    point_read.encrypted.push_back(Seconds([&] { ReadRandomRows(store, kReads, kRows); }));
  }
}

void RunCommitPerRow(const std::string& plain_path, const std::string& sealed_path,
                     Pair& commit_per_row) {
  RemoveDatabase(plain_path);
  RemoveDatabase(sealed_path);
  commit_per_row.plain.push_back(Seconds([&] {
    PlainStore store(plain_path, "NORMAL");
    InsertRows(store, kCommitRows, 1);
  }));
  commit_per_row.encrypted.push_back(Seconds([&] {
    EncryptedStore store(sealed_path, Synchronous::kNormal);
    InsertRows(store, kCommitRows, 1);
  }));
}

}  // namespace

int main(int argc, char** argv) {
  int repeat = 3;
  std::string only;  // profile one workload: insert, point_read or commit_per_row
  std::string folder = (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--repeat=", 0) == 0) repeat = std::max(1, std::atoi(arg.c_str() + 9));
    else if (arg.rfind("--dir=", 0) == 0) folder = arg.substr(6);
    else if (arg.rfind("--only=", 0) == 0) only = arg.substr(7);
    else Die("usage: storage_bench [--repeat=N] [--dir=FOLDER] [--only=WORKLOAD]");
  }
  BodyPool();
  folder += "/storage-bench-" + std::to_string(::getpid());
  std::filesystem::create_directories(folder);
  const std::string plain_path = folder + "/plain.db";
  const std::string sealed_path = folder + "/sealed.db";

  Pair insert, point_read, commit_per_row;
  for (int run = 0; run < repeat; ++run) {
    // Point reads need the inserted databases; only commit_per_row can skip the inserts.
    if (only != "commit_per_row") {
      RunInsertAndPointReads(plain_path, sealed_path, only, insert, point_read);
    }
    if (only.empty() || only == "commit_per_row") {
      RunCommitPerRow(plain_path, sealed_path, commit_per_row);
    }
  }
  if (only.empty() || only == "insert") Report("storage.insert", insert, 1.5);
  if (only.empty() || only == "point_read") Report("storage.point_read", point_read, 1.25);
  if (only.empty() || only == "commit_per_row") {
    Report("storage.commit_per_row", commit_per_row, 1.10);
  }
  if (!only.empty()) {
    std::filesystem::remove_all(folder);
    return 0;
  }

  // Unlock with the default Argon2id cost (what a worker waits for after typing the passcode).
  RemoveDatabase(sealed_path);
  {
    OpenOptions options;
    auto created = Database::Create(sealed_path, KeySource::Passcode("bench passcode"), options);
    if (!created.ok()) Die(created.status().ToString());
  }
  std::vector<double> unlock;
  for (int run = 0; run < repeat; ++run) {
    unlock.push_back(Seconds([&] {
      auto db = Database::Open(sealed_path, KeySource::Passcode("bench passcode"));
      if (!db.ok()) Die(db.status().ToString());
    }));
  }
  const KdfParams defaults = KdfParams::Default();
  std::printf("{\"bench\":\"storage.unlock\",\"seconds\":%.4f,\"argon2id_t\":%u,"
              "\"argon2id_m_mib\":%llu,\"runs\":%d}\n",
              Median(unlock), defaults.opslimit,
              static_cast<unsigned long long>(defaults.memlimit_bytes >> 20), repeat);
  std::filesystem::remove_all(folder);
  return 0;
}
