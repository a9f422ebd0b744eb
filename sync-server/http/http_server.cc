// HttpServer on Boost.Asio C++20 coroutines with Beast's request parser. Each connection is a
// Session coroutine on its own strand: TLS handshake, then per request: read under a deadline,
// call the handler, write the response; loop while keep-alive. The parser enforces the header and
// body limits; one timer per session enforces the time limits by cancelling the socket.
// Responses are plain bytes from http_wire (one stream type to instantiate, less to compile).
#include "sync-server/http/http_server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cassert>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "sync-server/http/internal/http_wire.h"

namespace outreach::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 16 * 1024;  // one TLS record
// After a final response the client gets this long (at most read_timeout) to take it before the
// socket closes; the unread rest of a refused upload is drained meanwhile, because closing with
// unread bytes sends a reset that can destroy the response in flight. The time bounds what a
// client can make us read; the byte cap is generous, so that a client that sent a large upload
// blind (no "Expect: 100-continue", or its wait ran out) still reads its 413.
constexpr auto kMaxLinger = std::chrono::seconds(2);
constexpr std::size_t kMaxDrainBytes = std::size_t{256} << 20;
// Draining reads this much at a time: many MiB of a refused upload cost a few hundred reads,
// not thousands. On the heap, and only while a session lingers.
constexpr std::size_t kDrainChunk = 64 * 1024;
// Connections past max_connections are answered 503 (a client can tell busy from down), up to
// this many at once; beyond that they are closed unanswered, so a flood costs no handshakes.
constexpr std::size_t kMaxRefusedConnections = 64;
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(50);
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::string ToString(beast::string_view text) { return std::string(text.data(), text.size()); }

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

HttpResponse InternalErrorResponse() {
  return detail::JsonErrorResponse(500, "internal", "the server failed to handle the request");
}

HttpResponse OverloadedResponse() {
  HttpResponse response = detail::JsonErrorResponse(
      503, "overloaded", "the server has too many connections; retry later");
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

HttpResponse TimeoutResponse() {
  return detail::JsonErrorResponse(408, "request_timeout", "the request did not arrive in time");
}

HttpResponse ParseErrorResponse(const error_code& ec, const HttpLimits& limits) {
  if (ec == http::error::body_limit) {
    return detail::JsonErrorResponse(
        413, "body_too_large",
        "the request body exceeds " + std::to_string(limits.max_body_bytes) + " bytes");
  }
  if (ec == http::error::header_limit) {
    return detail::JsonErrorResponse(
        431, "header_too_large",
        "the request header exceeds " + std::to_string(limits.max_header_bytes) + " bytes");
  }
  return detail::JsonErrorResponse(400, "bad_request", "malformed HTTP request: " + ec.message());
}

HttpRequest ToHttpRequest(http::request<http::string_body>&& message, const std::string& remote) {
  HttpRequest request;
  request.method = ToString(message.method_string());
  request.target = ToString(message.target());
  request.content_type = detail::MediaTypeOf(ToString(message[http::field::content_type]));
  request.accept = ToString(message[http::field::accept]);
  request.authorization = ToString(message[http::field::authorization]);
  request.body = std::move(message.body());
  request.remote_address = remote;
  return request;
}

// The bytes under HTTP: TLS over TCP, or TCP alone (development on loopback).
class Transport {
 public:
  virtual ~Transport() = default;
  virtual asio::awaitable<error_code> Handshake() = 0;
  virtual asio::awaitable<std::tuple<error_code, std::size_t>> ReadSome(asio::mutable_buffer) = 0;
  virtual asio::awaitable<error_code> Write(asio::const_buffer bytes) = 0;
  // Sends TLS close_notify, so the client can tell a complete response from a cut one.
  virtual asio::awaitable<void> SayGoodbye() = 0;
  virtual tcp::socket& Socket() = 0;
};

class PlainTransport final : public Transport {
 public:
  explicit PlainTransport(tcp::socket socket) : socket_(std::move(socket)) {}
  asio::awaitable<error_code> Handshake() override { co_return error_code(); }
  asio::awaitable<std::tuple<error_code, std::size_t>> ReadSome(asio::mutable_buffer into) override {
    co_return co_await socket_.async_read_some(into, kAsTuple);
  }
  asio::awaitable<error_code> Write(asio::const_buffer bytes) override {
    auto [ec, written] = co_await asio::async_write(socket_, bytes, kAsTuple);
    co_return ec;
  }
  asio::awaitable<void> SayGoodbye() override { co_return; }
  tcp::socket& Socket() override { return socket_; }

 private:
  tcp::socket socket_;
};

class TlsTransport final : public Transport {
 public:
  TlsTransport(tcp::socket socket, ssl::context& context) : stream_(std::move(socket), context) {}
  asio::awaitable<error_code> Handshake() override {
    auto [ec] = co_await stream_.async_handshake(ssl::stream_base::server, kAsTuple);
    co_return ec;
  }
  asio::awaitable<std::tuple<error_code, std::size_t>> ReadSome(asio::mutable_buffer into) override {
    co_return co_await stream_.async_read_some(into, kAsTuple);
  }
  asio::awaitable<error_code> Write(asio::const_buffer bytes) override {
    auto [ec, written] = co_await asio::async_write(stream_, bytes, kAsTuple);
    co_return ec;
  }
  asio::awaitable<void> SayGoodbye() override {
    // Marked as if the client's close_notify had come, async_shutdown only sends ours instead
    // of waiting for a reply that many clients never send; the lingering close waits for FIN.
    SSL_set_shutdown(stream_.native_handle(), SSL_RECEIVED_SHUTDOWN);
    [[maybe_unused]] auto outcome = co_await stream_.async_shutdown(kAsTuple);
  }
  tcp::socket& Socket() override { return stream_.next_layer(); }

 private:
  ssl::stream<tcp::socket> stream_;
};

class Session;

class ServerImpl final : public HttpServer {
 public:
  ServerImpl(const HttpServerOptions& options, HttpHandler handler, HttpObserver observer)
      : options_(options), handler_(std::move(handler)), observer_(std::move(observer)) {}
  ~ServerImpl() override { Shutdown(std::chrono::milliseconds(0)); }

  // Loads the TLS files, binds and listens, and queues the accept loop (threads not started).
  Status Open();
  void StartThreads();

  unsigned short port() const override { return port_; }
  void Shutdown(std::chrono::milliseconds grace) override;
  void RunUntilSignal(std::chrono::milliseconds grace) override;

  // For sessions, from any pool thread.
  const HttpLimits& limits() const { return options_.limits; }
  const HttpHandler& handler() const { return handler_; }
  // Frees what an answer retained on whichever pool thread is free, while its connection writes
  // the answer and reads the next request.
  void FreeOnPool(std::shared_ptr<const void> retained) {
    if (retained) asio::post(io_context_, [freed = std::move(retained)] {});
  }
  bool stopping() const { return stopping_.load(); }
  bool grace_over() const { return grace_over_.load(); }
  void Observe(const std::string& method, const std::string& path, int status,
               double seconds) const noexcept;
  void OnSessionEnded(Session* session);

 private:
  Status LoadTlsContext();
  asio::awaitable<void> AcceptLoop();
  void StartSession(tcp::socket socket);
  // Posts `notice` to each live session's strand.
  void NotifySessions(void (Session::*notice)());
  bool WaitForSessions(Clock::time_point deadline);
  [[maybe_unused]] bool OnPoolThread() const;  // for an assert
  void RunIoContext();

  const HttpServerOptions options_;
  const HttpHandler handler_;
  const HttpObserver observer_;

  // Declared before io_context_: a session still queued in it when it is destroyed reports here.
  std::mutex sessions_mutex_;
  std::condition_variable sessions_ended_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;  // guarded by sessions_mutex_
  std::atomic<std::size_t> connection_count_{0};
  std::atomic<bool> stopping_{false};
  // Read without the strand: a handler finishing after the grace period must not write even if
  // its session's ForceClose notice is still queued behind it.
  std::atomic<bool> grace_over_{false};

  std::optional<ssl::context> tls_context_;  // unset in plain mode
  asio::io_context io_context_;
  // Without it the pool could run out of work while Shutdown still posts notices (the acceptor
  // closed, the last session finishing), stop on its own, and leave those notices, and the
  // sessions they hold, unrun for ever.
  asio::executor_work_guard<asio::io_context::executor_type> keep_running_ =
      asio::make_work_guard(io_context_);
  tcp::acceptor acceptor_{asio::make_strand(io_context_)};  // used on its strand only
  unsigned short port_ = 0;
  std::vector<std::thread> threads_;

  std::mutex lifecycle_mutex_;
  std::condition_variable lifecycle_changed_;
  bool shutdown_started_ = false;  // guarded by lifecycle_mutex_
  bool signal_received_ = false;   // guarded by lifecycle_mutex_
  // Created by RunUntilSignal only, so merely starting a server never takes over SIGINT/SIGTERM.
  std::optional<asio::signal_set> signals_;  // guarded by lifecycle_mutex_
};

// One connection. Reads one request at a time (pipelined requests wait in the socket, not in
// memory), answers it, and keeps the connection while the client asks for keep-alive. The
// coroutine, the deadline timer and the server's notices all run on the connection's strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(ServerImpl& server, std::unique_ptr<Transport> transport, std::string remote_address,
          bool refuse_with_503)
      : server_(server),
        transport_(std::move(transport)),
        executor_(transport_->Socket().get_executor()),
        deadline_timer_(executor_),
        remote_address_(std::move(remote_address)),
        refuse_with_503_(refuse_with_503) {}
  ~Session() { server_.OnSessionEnded(this); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  static asio::awaitable<void> Run(std::shared_ptr<Session> self) { co_await self->Serve(); }
  const asio::any_io_executor& executor() const { return executor_; }

  // Shutdown has begun: an idle keep-alive connection closes now; others finish their request.
  void OnServerStopping() {
    if (phase_ == Phase::kAwaitingRequest) CancelIo();
  }
  // The grace period is over.
  void ForceClose() {
    error_code ignored;
    transport_->Socket().close(ignored);
  }

 private:
  enum class Phase { kStarting, kAwaitingRequest, kReadingRequest, kHandling, kWriting, kClosing };
  using Parser = http::request_parser<http::string_body>;
  // What reading produced: a request to handle, a refusal to send before closing (400, 408,
  // 413, 431), or nothing to answer (client gone, idle timeout, shutdown of an idle connection).
  struct ReadOutcome {
    enum class Kind { kRequest, kRefusal, kGone } kind;
    HttpResponse refusal;
  };

  asio::awaitable<void> Serve();
  asio::awaitable<ReadOutcome> ReadRequest(Parser& parser, bool first_request);
  void StartRequest(bool first_request);
  HttpResponse Respond(Parser& parser);
  asio::awaitable<bool> WriteResponse(const HttpResponse& response, bool keep_alive,
                                      bool include_body, const std::string& method,
                                      const std::string& path);
  asio::awaitable<void> LingeringClose();
  void CloseNow();

  void SetDeadline(Clock::duration after);
  void ClearDeadline();
  void CancelIo() {
    error_code ignored;
    transport_->Socket().cancel(ignored);
  }

  ServerImpl& server_;
  const std::unique_ptr<Transport> transport_;
  const asio::any_io_executor executor_;  // the connection's strand
  asio::steady_timer deadline_timer_;
  beast::flat_buffer buffer_;  // bytes read but not parsed yet (pipelining)
  const std::string remote_address_;
  const bool refuse_with_503_;
  Phase phase_ = Phase::kStarting;
  Clock::time_point request_started_ = Clock::now();
  std::uint64_t deadline_generation_ = 0;  // tells a stale timer completion from the current one
  bool timed_out_ = false;                 // the current deadline passed; I/O was cancelled
};

asio::awaitable<void> Session::Serve() {
  SetDeadline(server_.limits().read_timeout);  // the TLS handshake and the first request
  if (error_code ec = co_await transport_->Handshake(); ec || timed_out_) {
    CloseNow();
    co_return;
  }
  for (bool first_request = true; !server_.stopping(); first_request = false) {
    Parser parser;
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
        server_.limits().max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser.body_limit(server_.limits().max_body_bytes);
    ReadOutcome outcome = co_await ReadRequest(parser, first_request);
    if (outcome.kind == ReadOutcome::Kind::kGone) break;

    const std::string method = ToString(parser.get().method_string());
    const std::string path(detail::PathOf(ToString(parser.get().target())));
    const bool include_body = parser.get().method() != http::verb::head;
    bool keep_alive = false;
    HttpResponse response;
    if (outcome.kind == ReadOutcome::Kind::kRefusal) {
      // The parser's state is unknown after an error: never reuse the connection.
      response = std::move(outcome.refusal);
    } else {
      keep_alive = parser.get().keep_alive() && !refuse_with_503_;
      response = Respond(parser);
      keep_alive = keep_alive && !server_.stopping();
    }
    // Freed by another pool thread while this one writes: not held for a slow reader.
    server_.FreeOnPool(std::move(response.retained));
    if (!co_await WriteResponse(response, keep_alive, include_body, method, path)) break;
    if (!keep_alive) {
      co_await LingeringClose();
      co_return;
    }
  }
  CloseNow();
}

asio::awaitable<Session::ReadOutcome> Session::ReadRequest(Parser& parser, bool first_request) {
  using Kind = ReadOutcome::Kind;
  phase_ = Phase::kAwaitingRequest;
  // Between requests the client may think for idle_timeout; once it starts one, it has
  // read_timeout to finish it (slowloris).
  if (!first_request) SetDeadline(server_.limits().idle_timeout);
  bool header_handled = false;
  while (true) {
    if (buffer_.size() > 0) {
      if (phase_ == Phase::kAwaitingRequest) StartRequest(first_request);
      error_code ec;
      const std::size_t parsed = parser.put(buffer_.data(), ec);
      buffer_.consume(parsed);
      if (ec && ec != http::error::need_more) {
        co_return ReadOutcome{Kind::kRefusal, ParseErrorResponse(ec, server_.limits())};
      }
      if (parser.is_header_done() && !header_handled) {
        header_handled = true;
        // Refused before its body is read: the body need not cross the network at all.
        if (refuse_with_503_) co_return ReadOutcome{Kind::kRequest, {}};
        const bool expects_continue =
            beast::iequals(parser.get()[http::field::expect], "100-continue");
        // Without it a client such as curl waits a second before sending a large body.
        if (!parser.is_done() && expects_continue &&
            (co_await transport_->Write(asio::buffer(kContinue)) || timed_out_)) {
          co_return ReadOutcome{Kind::kGone, {}};
        }
      }
      if (parser.is_done()) co_return ReadOutcome{Kind::kRequest, {}};
      if (!ec && parsed > 0 && buffer_.size() > 0) continue;  // the body follows in the buffer
    }
    auto [ec, received] = co_await transport_->ReadSome(buffer_.prepare(kReadChunk));
    buffer_.commit(received);
    if (timed_out_) {
      if (phase_ == Phase::kReadingRequest) co_return ReadOutcome{Kind::kRefusal, TimeoutResponse()};
      co_return ReadOutcome{Kind::kGone, {}};  // nothing was asked: close without a word
    }
    if (ec) co_return ReadOutcome{Kind::kGone, {}};  // client left, or an idle close at shutdown
  }
}

void Session::StartRequest(bool first_request) {
  phase_ = Phase::kReadingRequest;
  request_started_ = Clock::now();
  // The first request shares the deadline set at accept, so a handshake cannot stall forever.
  if (!first_request) SetDeadline(server_.limits().read_timeout);
}

HttpResponse Session::Respond(Parser& parser) {
  if (refuse_with_503_) return OverloadedResponse();
  phase_ = Phase::kHandling;
  ClearDeadline();  // the handler's time is not the client's
  try {
    HttpResponse response = server_.handler()(ToHttpRequest(parser.release(), remote_address_));
    if (!detail::IsSendable(response)) return InternalErrorResponse();
    return response;  // moved, not copied as a conditional expression would
  } catch (...) {
    // A handler bug costs one request, never the server.
    return InternalErrorResponse();
  }
}

asio::awaitable<bool> Session::WriteResponse(const HttpResponse& response, bool keep_alive,
                                             bool include_body, const std::string& method,
                                             const std::string& path) {
  if (server_.grace_over()) co_return false;
  phase_ = Phase::kWriting;
  // A client that stops reading must not hold the session: the write shares the read deadline.
  SetDeadline(server_.limits().read_timeout);
  const std::string bytes = detail::SerializeResponse(response, keep_alive, include_body);
  const error_code ec = co_await transport_->Write(asio::buffer(bytes));
  server_.Observe(method, path, response.status, SecondsSince(request_started_));
  co_return !ec && !timed_out_;
}

asio::awaitable<void> Session::LingeringClose() {
  phase_ = Phase::kClosing;
  SetDeadline(std::min<Clock::duration>(server_.limits().read_timeout, kMaxLinger));
  co_await transport_->SayGoodbye();
  tcp::socket& socket = transport_->Socket();
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);  // the client reads to the end now
  std::vector<char> sink(kDrainChunk);
  for (std::size_t drained = 0; !timed_out_ && drained < kMaxDrainBytes;) {
    auto [ec, received] = co_await socket.async_read_some(asio::buffer(sink), kAsTuple);
    if (ec) break;  // the client closed too (or the linger deadline passed)
    drained += received;
  }
  CloseNow();
}

void Session::CloseNow() {
  phase_ = Phase::kClosing;
  ClearDeadline();
  error_code ignored;
  transport_->Socket().shutdown(tcp::socket::shutdown_both, ignored);
  transport_->Socket().close(ignored);
}

void Session::SetDeadline(Clock::duration after) {
  timed_out_ = false;
  const std::uint64_t generation = ++deadline_generation_;
  deadline_timer_.expires_after(after);
  deadline_timer_.async_wait([self = shared_from_this(), generation](const error_code& ec) {
    // A completion already queued when the deadline moved carries no error: the generation
    // tells it apart.
    if (ec || generation != self->deadline_generation_) return;
    self->timed_out_ = true;
    self->CancelIo();
  });
}

void Session::ClearDeadline() {
  ++deadline_generation_;
  deadline_timer_.cancel();
}

Status ServerImpl::LoadTlsContext() {
  const TlsFiles& files = options_.tls_files;
  tls_context_.emplace(ssl::context::tls_server);
  SSL_CTX* native = tls_context_->native_handle();
  // TLS 1.2 is the floor (DESIGN.md 5); no compression (CRIME), no renegotiation.
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE);
  // An encrypted key must fail here, not wait for a passphrase on a terminal nobody watches.
  SSL_CTX_set_default_passwd_cb(native, [](char*, int, int, void*) { return 0; });
  Status status;
  error_code ec;
  if (tls_context_->use_certificate_chain_file(files.certificate_chain_pem, ec); ec) {
    status = InvalidArgumentError("cannot load the certificate chain " +
                                  files.certificate_chain_pem + ": " + ec.message());
  } else if (tls_context_->use_private_key_file(files.private_key_pem, ssl::context::pem, ec);
             ec) {
    status = InvalidArgumentError("cannot load the private key " + files.private_key_pem + ": " +
                                  ec.message());
  } else if (SSL_CTX_check_private_key(native) != 1) {
    status = InvalidArgumentError("the private key " + files.private_key_pem +
                                  " does not match the certificate " +
                                  files.certificate_chain_pem);
  }
  ERR_clear_error();  // leave no stale error for the next OpenSSL user on this thread
  return status;
}

Status ServerImpl::Open() {
  if (options_.tls) OUTREACH_RETURN_IF_ERROR(LoadTlsContext());
  error_code ec;
  const asio::ip::address address = asio::ip::make_address(options_.address, ec);
  if (ec) return InvalidArgumentError("'" + options_.address + "' is not an IP address");
  const tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  // Lets a restarted server bind while old connections linger in TIME_WAIT; a live listener on
  // the port still makes bind fail.
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return IoError("cannot listen on " + options_.address + ":" + std::to_string(options_.port) +
                   ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint(ec).port();
  asio::co_spawn(acceptor_.get_executor(), AcceptLoop(), asio::detached);
  return Status::Ok();
}

void ServerImpl::StartThreads() {
  for (int thread_index = 0; thread_index < options_.threads; ++thread_index) {
    threads_.emplace_back([this] { RunIoContext(); });
  }
}

void ServerImpl::RunIoContext() {
  // Coroutine exceptions end in `detached`; this guards against any other stray one, so a pool
  // thread never dies with the server still up.
  while (true) {
    try {
      io_context_.run();
      return;
    } catch (...) {
    }
  }
}

asio::awaitable<void> ServerImpl::AcceptLoop() {
  asio::steady_timer retry_timer(acceptor_.get_executor());
  while (acceptor_.is_open()) {
    tcp::socket socket(asio::make_strand(io_context_));
    auto [ec] = co_await acceptor_.async_accept(socket, kAsTuple);
    if (ec == asio::error::operation_aborted || stopping()) co_return;
    if (ec) {
      // Out of file descriptors and the like: pause rather than spin; the listener lives on.
      retry_timer.expires_after(kAcceptRetryDelay);
      co_await retry_timer.async_wait(kAsTuple);
      continue;
    }
    // Without it, a TLS 1.3 handshake's second small write (the session tickets) waits for
    // the client's delayed ACK: ~40 ms added to every new connection's first request.
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    StartSession(std::move(socket));
  }
}

void ServerImpl::StartSession(tcp::socket socket) {
  const std::size_t connections = ++connection_count_;
  error_code ec;
  const tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec || connections > options_.limits.max_connections + kMaxRefusedConnections) {
    --connection_count_;
    return;  // the socket closes here
  }
  const asio::any_io_executor executor = socket.get_executor();
  std::unique_ptr<Transport> transport;
  if (tls_context_) {
    transport = std::make_unique<TlsTransport>(std::move(socket), *tls_context_);
  } else {
    transport = std::make_unique<PlainTransport>(std::move(socket));
  }
  auto session = std::make_shared<Session>(*this, std::move(transport), remote.address().to_string(),
                                           connections > options_.limits.max_connections);
  {
    // Registered before it runs, and it checks stopping() before each request: Shutdown either
    // finds it here or it sees the flag.
    std::lock_guard lock(sessions_mutex_);
    sessions_.emplace(session.get(), session);
  }
  asio::co_spawn(executor, Session::Run(std::move(session)), asio::detached);
}

void ServerImpl::OnSessionEnded(Session* session) {
  {
    std::lock_guard lock(sessions_mutex_);
    sessions_.erase(session);
  }
  --connection_count_;
  sessions_ended_.notify_all();
}

void ServerImpl::Observe(const std::string& method, const std::string& path, int status,
                         double seconds) const noexcept {
  if (!observer_) return;
  try {
    observer_(method, path, status, seconds);
  } catch (...) {
    // Metrics must never break serving.
  }
}

void ServerImpl::NotifySessions(void (Session::*notice)()) {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(sessions_mutex_);
    for (const auto& [raw, weak] : sessions_) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (auto& session : live) {
    const asio::any_io_executor executor = session->executor();
    asio::post(executor, [session = std::move(session), notice] { ((*session).*notice)(); });
  }
}

bool ServerImpl::WaitForSessions(Clock::time_point deadline) {
  std::unique_lock lock(sessions_mutex_);
  return sessions_ended_.wait_until(lock, deadline, [this] { return sessions_.empty(); });
}

bool ServerImpl::OnPoolThread() const {
  return std::any_of(threads_.begin(), threads_.end(), [](const std::thread& thread) {
    return thread.get_id() == std::this_thread::get_id();
  });
}

void ServerImpl::Shutdown(std::chrono::milliseconds grace) {
  assert(!OnPoolThread() && "Shutdown from a handler would wait for itself");
  {
    std::lock_guard lock(lifecycle_mutex_);
    if (shutdown_started_) return;
    shutdown_started_ = true;
    if (signals_) {
      asio::post(signals_->get_executor(), [this] {
        error_code ignored;
        signals_->cancel(ignored);
      });
    }
  }
  lifecycle_changed_.notify_all();
  const Clock::time_point deadline = Clock::now() + grace;
  stopping_ = true;  // before the notices: a session registered later sees the flag instead
  asio::post(acceptor_.get_executor(), [this] {
    error_code ignored;
    acceptor_.close(ignored);
  });
  NotifySessions(&Session::OnServerStopping);
  if (!WaitForSessions(deadline)) {
    grace_over_ = true;
    NotifySessions(&Session::ForceClose);
    // A handler still running cannot be interrupted; its session ends when it returns.
    std::unique_lock lock(sessions_mutex_);
    sessions_ended_.wait(lock, [this] { return sessions_.empty(); });
  }
  keep_running_.reset();
  io_context_.stop();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  // The posted close may not have run before stop(); with the pool gone this thread may touch
  // the acceptor, and the port must be free once Shutdown returns.
  error_code ignored;
  acceptor_.close(ignored);
  // Gives SIGINT/SIGTERM back to their default now, not when the object dies.
  std::lock_guard lock(lifecycle_mutex_);
  signals_.reset();
}

void ServerImpl::RunUntilSignal(std::chrono::milliseconds grace) {
  {
    std::unique_lock lock(lifecycle_mutex_);
    if (!shutdown_started_) {
      signals_.emplace(asio::make_strand(io_context_), SIGINT, SIGTERM);
      signals_->async_wait([this](const error_code& ec, int) {
        {
          std::lock_guard signal_lock(lifecycle_mutex_);
          if (!ec) signal_received_ = true;
        }
        lifecycle_changed_.notify_all();
      });
      lifecycle_changed_.wait(lock, [this] { return signal_received_ || shutdown_started_; });
    }
  }
  Shutdown(grace);
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      HttpHandler handler,
                                                      HttpObserver observer) {
  if (!handler) return InvalidArgumentError("an HTTP server needs a handler");
  if (options.threads < 1) return InvalidArgumentError("an HTTP server needs a thread or more");
  const HttpLimits& limits = options.limits;
  if (limits.max_connections == 0 || limits.read_timeout.count() <= 0 ||
      limits.idle_timeout.count() <= 0) {
    return InvalidArgumentError("HTTP limits need at least one connection and positive timeouts");
  }
  auto server = std::make_unique<ServerImpl>(options, std::move(handler), std::move(observer));
  OUTREACH_RETURN_IF_ERROR(server->Open());
  server->StartThreads();
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace outreach::server
