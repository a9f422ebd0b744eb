// outreach-server: the sync server (serve), its administration (admin) and version.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

#ifdef OUTREACH_WITH_MIMALLOC
#include <mimalloc.h>
#endif

#include "core/protocol/messages.h"
#include "sync-server/app/admin_commands.h"
#include "sync-server/app/serve_command.h"

namespace {

// Which allocator serves this process's malloc: "mimalloc <version>" only if a block malloc
// hands out is mimalloc's (the link replaced malloc), so a build that lost it says so.
std::string Allocator() {
#ifdef OUTREACH_WITH_MIMALLOC
  void* block = std::malloc(64);
  const bool ours = mi_is_in_heap_region(block);
  std::free(block);
  if (ours) {
    const int version = mi_version();
    return "mimalloc " + std::to_string(version / 100) + "." + std::to_string(version / 10 % 10) +
           "." + std::to_string(version % 10);
  }
#endif
  return "system";
}

// Memory freed is given back to the system only once unused for this long (mimalloc 2.0's
// default is 25 ms). A sync round frees most of what it allocated and the next comes within a
// few milliseconds; memory given back in between was mapped in again page by page, each page a
// fault: a 100,000-record push took about 8,000 more faults in the server, over a third of them
// (perf, sync_bench). Under load the server keeps its working set; idle, a thread gives back
// what it freed once it next allocates or frees. The environment variable, if set, decides.
void KeepFreedMemoryWarm() {
#ifdef OUTREACH_WITH_MIMALLOC
  constexpr long kDelayMs = 1000;
#if MI_MALLOC_VERSION >= 210  // 2.1 renamed decommit to purge
  if (std::getenv("MIMALLOC_PURGE_DELAY") == nullptr &&
      std::getenv("MIMALLOC_DECOMMIT_DELAY") == nullptr) {  // 2.1 still reads the old name
    mi_option_set(mi_option_purge_delay, kDelayMs);
  }
#else
  if (std::getenv("MIMALLOC_DECOMMIT_DELAY") == nullptr) {
    mi_option_set(mi_option_decommit_delay, kDelayMs);
  }
#endif
#endif
}

}  // namespace

int main(int argc, char** argv) {
  using namespace outreach::server;
  KeepFreedMemoryWarm();
  CLI::App app{"outreach-server: offline-first sync for outreach workers' records"};
  app.require_subcommand(1);

  ServeRequest serve;
  unsigned short port = 0;
  CLI::App* serve_command = app.add_subcommand("serve", "serve devices over HTTPS");
  serve_command->add_option("--data", serve.data_dir, "data folder")->required();
  CLI::Option* port_option = serve_command->add_option("--port", port, "port (0: any free one)");
  serve_command->add_option("--config", serve.config_file, "JSON config file");
  serve_command->add_option("--schemas", serve.schemas_dir, "folder of *.schema.json");
  serve_command->add_flag("--dev-http", serve.dev_http, "plain HTTP on 127.0.0.1 (development)");

  AdminRequest admin;
  admin.schemas_dir = OUTREACH_DEFAULT_SCHEMA_DIR;
  CLI::App* admin_command = app.add_subcommand("admin", "administer teams, users, devices");
  admin_command->add_option("--data", admin.data_dir, "data folder")->required();
  admin_command->add_option("--schemas", admin.schemas_dir, "folder of *.schema.json");
  admin_command->require_subcommand(1);
  admin_command->add_subcommand("create-team", "create a team")
      ->add_option("name", admin.name)->required();
  CLI::App* create_user = admin_command->add_subcommand("create-user", "create a user");
  create_user->add_option("name", admin.name)->required();
  create_user->add_option("--team", admin.team)->required();
  create_user->add_option("--role", admin.role, "worker, team_leader, office or admin")->required();
  admin_command->add_subcommand("enrolment-code", "a one-time code to enrol a device")
      ->add_option("user", admin.name)->required();
  admin_command->add_subcommand("revoke", "revoke a device (its next sync wipes it)")
      ->add_option("device", admin.name)->required();
  admin_command->add_subcommand("devices", "list devices");
  admin_command->add_subcommand("conflicts", "list open conflicts (fields, not values)");
  admin_command->add_subcommand(
      "stats", "records, remembered changes, last sequence, active devices, bytes on disk");

  app.add_subcommand("version", "print the version");
  CLI11_PARSE(app, argc, argv);

  if (app.got_subcommand("version")) {
    std::cout << "outreach-server " << OUTREACH_VERSION << " (protocol "
              << outreach::protocol::VersionString(outreach::protocol::kProtocolVersion)
              << "; allocator " << Allocator() << ")\n";
    return 0;
  }
  if (app.got_subcommand(serve_command)) {
    if (port_option->count() > 0) serve.port = port;
    return RunServe(serve);
  }
  admin.command = admin_command->get_subcommands().front()->get_name();
  return RunAdmin(admin);
}
