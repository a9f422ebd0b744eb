#include "core/storage/internal/vfs_context.h"

#include <sodium.h>

#include <unordered_map>

namespace outreach::storage::detail {
namespace {

struct Registry {
  std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<DatabaseContext>> by_token;  // guarded by mu
};

Registry& TheRegistry() {
  static Registry* registry = new Registry();  // never destroyed: SQLite may close files late
  return *registry;
}

}  // namespace

void DatabaseContext::RecordPageFailure(const PageFailure& failure) {
  // Recorded before poisoned is seen: a write refused for it finds what to report.
  if (shares_failures_with_) shares_failures_with_->RecordPageFailure(failure);
  {
    std::lock_guard lock(mu_);
    page_failure_ = failure;
  }
  poisoned_.store(true);
}

void DatabaseContext::RecordRefusal(std::string reason) {
  std::lock_guard lock(mu_);
  refusal_ = std::move(reason);
}

std::optional<PageFailure> DatabaseContext::TakePageFailure() {
  std::lock_guard lock(mu_);
  return std::exchange(page_failure_, std::nullopt);
}

std::optional<std::string> DatabaseContext::TakeRefusal() {
  std::lock_guard lock(mu_);
  return std::exchange(refusal_, std::nullopt);
}

std::string RegisterContext(std::shared_ptr<DatabaseContext> context) {
  unsigned char random[16];
  randombytes_buf(random, sizeof(random));
  char hex[sizeof(random) * 2 + 1];
  sodium_bin2hex(hex, sizeof(hex), random, sizeof(random));
  std::string token(hex);
  Registry& registry = TheRegistry();
  std::lock_guard lock(registry.mu);
  registry.by_token.emplace(token, std::move(context));
  return token;
}

void UnregisterContext(const std::string& token) {
  Registry& registry = TheRegistry();
  std::lock_guard lock(registry.mu);
  registry.by_token.erase(token);
}

std::shared_ptr<DatabaseContext> FindContext(const std::string& token) {
  Registry& registry = TheRegistry();
  std::lock_guard lock(registry.mu);
  const auto found = registry.by_token.find(token);
  return found == registry.by_token.end() ? nullptr : found->second;
}

}  // namespace outreach::storage::detail
