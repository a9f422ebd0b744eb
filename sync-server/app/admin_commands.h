// `outreach-server admin --data DIR <command>`: administration on the store directly (the
// server may be running: SQLite in WAL mode lets both in). Each prints plain lines a script
// can read; ids and names only, never record contents.
#pragma once

#include <string>
#include <vector>

namespace outreach::server {

struct AdminRequest {
  std::string data_dir;
  std::string schemas_dir;
  // create-team, create-user, enrolment-code, revoke, devices, conflicts, stats
  std::string command;
  std::string name;     // team, user or device named by the command
  std::string team;     // create-user --team
  std::string role;     // create-user --role
};

// Returns the process exit code: 0 done, 1 refused (message on stderr), 2 store trouble.
int RunAdmin(const AdminRequest& request);

}  // namespace outreach::server
