#include "client-sdk/c_api/internal/open_stores.h"

#include <filesystem>
#include <mutex>
#include <set>

namespace outreach::c_api::detail {
namespace {

std::mutex open_stores_mutex;
std::set<std::string> open_stores;  // guarded by open_stores_mutex

// One spelling per folder ("./d", "d/" and "/abs/d" are the same store); the folder may not
// exist yet.
std::string StoreKey(const std::string& dir) {
  std::error_code error;
  std::filesystem::path path = std::filesystem::absolute(dir, error);
  if (error) return dir;
  std::filesystem::path canonical = std::filesystem::weakly_canonical(path, error);
  if (error) return path.lexically_normal().string();
  std::string key = canonical.string();
  while (key.size() > 1 && key.back() == '/') key.pop_back();
  return key;
}

}  // namespace

Result<std::string> ClaimStore(const std::string& dir) {
  std::string key = StoreKey(dir);
  std::lock_guard lock(open_stores_mutex);
  if (!open_stores.insert(key).second) {
    return FailedPreconditionError("this store is already open in this process");
  }
  return key;
}

void ReleaseStore(const std::string& key) {
  std::lock_guard lock(open_stores_mutex);
  open_stores.erase(key);
}

Status RequireStoreClosed(const std::string& dir) {
  const std::string key = StoreKey(dir);
  std::lock_guard lock(open_stores_mutex);
  if (open_stores.count(key) != 0) {
    return FailedPreconditionError("close this store's handle before wiping it");
  }
  return Status::Ok();
}

}  // namespace outreach::c_api::detail
