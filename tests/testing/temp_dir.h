// TempDir: a fresh folder under $TMPDIR (or /tmp) for one test, removed with its contents.
#pragma once

#include <string>

namespace outreach::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace outreach::testing
