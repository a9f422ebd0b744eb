#include "sync-server/app/serve_command.h"

#include <malloc.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/model/physical_clock.h"
#include "core/schema/schema_registry.h"
#include "sync-server/api/log.h"
#include "sync-server/api/metrics.h"
#include "sync-server/api/router.h"
#include "sync-server/app/server_config.h"
#include "sync-server/app/server_files.h"
#include "sync-server/http/http_server.h"
#include "sync-server/http/self_signed_certificate.h"
#include "sync-server/sync/sync_service.h"

namespace outreach::server {
namespace {

int Fail(int code, const Status& status) {
  LogEvent("serve_failed", {{"error", status.ToString()}});
  return code;
}

// The certificate the config names, or one made on first start under DIR/tls/.
Status PrepareTls(const std::string& data_dir, HttpServerOptions& http) {
  if (!http.tls_files.certificate_chain_pem.empty()) {
    auto fingerprint = CertificateFingerprint(http.tls_files.certificate_chain_pem);
    if (!fingerprint.ok()) return fingerprint.status();
    LogEvent("tls", {{"certificate", http.tls_files.certificate_chain_pem},
                     {"sha256_fingerprint", *fingerprint}});
    return Status::Ok();
  }
  const std::string dir = data_dir + "/tls";
  http.tls_files = TlsFiles{dir + "/cert.pem", dir + "/key.pem"};
  if (!std::filesystem::exists(http.tls_files.certificate_chain_pem)) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) return IoError("cannot create " + dir);
    auto made = MakeSelfSignedCertificate(http.tls_files.certificate_chain_pem,
                                          http.tls_files.private_key_pem,
                                          {"localhost", "127.0.0.1", http.address});
    if (!made.ok()) return made.status();
  }
  auto fingerprint = CertificateFingerprint(http.tls_files.certificate_chain_pem);
  if (!fingerprint.ok()) return fingerprint.status();
  auto pin = PublicKeyPin(http.tls_files.certificate_chain_pem);
  if (!pin.ok()) return pin.status();
  LogEvent("tls_self_signed", {{"certificate", http.tls_files.certificate_chain_pem},
                               {"sha256_fingerprint", *fingerprint},
                               {"pin", *pin}});
  std::cout << "self-signed certificate " << http.tls_files.certificate_chain_pem
            << "\n  SHA-256 fingerprint " << *fingerprint << "\n  devices trust it with --ca "
            << http.tls_files.certificate_chain_pem << " (and may also pin it), or by its key "
            << "alone with --pin " << *pin
            << std::endl;
  return Status::Ok();
}

// glibc's defaults hand freed memory back to the kernel as soon as 128 KiB is free at the top
// of a heap, and map blocks over 128 KiB afresh. A push decodes a few MiB of small objects and
// frees them all: with the defaults every request grew the heap again, and the kernel faulted
// in and zeroed those pages each time (about a tenth of the server's time on a push). So the
// server keeps what it freed, up to a bound: each thread's heap keeps up to 16 MiB, blocks
// up to 4 MiB (a batch's body and buffers) come from the heaps, and at most 4 heaps exist, so
// kept memory stays well within the server's budget.
void KeepFreedMemoryForTheNextRequest() {
#ifdef __GLIBC__
  constexpr int kKeepAtTop = 16 * 1024 * 1024;
  constexpr int kMapAbove = 4 * 1024 * 1024;
  constexpr int kHeaps = 4;
  mallopt(M_TRIM_THRESHOLD, kKeepAtTop);
  mallopt(M_MMAP_THRESHOLD, kMapAbove);
  mallopt(M_ARENA_MAX, kHeaps);
#endif
}

}  // namespace

int RunServe(const ServeRequest& request) {
  KeepFreedMemoryForTheNextRequest();
  ServerConfig config;
  if (!request.config_file.empty()) {
    auto loaded = LoadServerConfig(request.config_file);
    if (!loaded.ok()) return Fail(1, loaded.status());
    config = std::move(loaded).value();
  }
  if (request.port) config.http.port = *request.port;
  if (!request.schemas_dir.empty()) config.schemas_dir = request.schemas_dir;
  if (config.schemas_dir.empty()) config.schemas_dir = OUTREACH_DEFAULT_SCHEMA_DIR;
  if (request.dev_http) {
    // Plain HTTP carries tokens and records in the clear: loopback only, for development.
    if (config.http.address != "127.0.0.1") {
      return Fail(1, InvalidArgumentError("--dev-http serves on 127.0.0.1 only"));
    }
    config.http.tls = false;
  } else if (Status tls = PrepareTls(request.data_dir, config.http); !tls.ok()) {
    return Fail(1, tls);
  }

  auto schemas = schema::SchemaRegistry::LoadDirectory(config.schemas_dir);
  if (!schemas.ok()) return Fail(1, schemas.status());
  auto store = OpenDataStore(request.data_dir, /*create=*/true);
  if (!store.ok()) return Fail(2, store.status());
  model::SystemClock clock;
  SyncService service(store->get(), &*schemas, &clock, config.sync);
  Metrics metrics;
  Router router(&service, store->get(), &*schemas, &metrics);

  auto server = HttpServer::Start(
      config.http, [&](const HttpRequest& http) { return router.Handle(http); },
      [&](const std::string& method, const std::string& path, int status, double seconds) {
        metrics.ObserveRequest(method, path, status, seconds);
      });
  if (!server.ok()) return Fail(2, server.status());
  const unsigned short port = (*server)->port();
  {
    // Tests and scripts that asked for port 0 read the real one here.
    std::ofstream(request.data_dir + "/port") << port << "\n";
  }
  LogEvent("listening", {{"address", config.http.address}, {"port", port},
                         {"tls", config.http.tls}, {"schemas", schemas->Collections().size()}});
  (*server)->RunUntilSignal(std::chrono::seconds(10));
  LogEvent("stopped");
  return 0;
}

}  // namespace outreach::server
