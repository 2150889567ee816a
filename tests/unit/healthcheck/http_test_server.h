#pragma once
// Scripted HTTP(S) peers for the HTTP checker tests: blocking sockets on 127.0.0.1, port 0, each
// on its own thread, so the checker's io_context runs alone on the test thread. A script gets
// every accepted connection in turn; every socket has 3 s send/receive timeouts so a script can
// never hang a test. Self-signed certificates are made with the OpenSSL API, no files or CLI.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "healthcheck/checkers.h"

namespace ha::healthcheck::test_server {

using namespace std::chrono_literals;

// How late a loaded CI machine may run a timer. The scripted peers hold a connection for 3 s
// (their socket timeouts) or more, so connect_timeout + this still tells our deadline from theirs.
constexpr std::chrono::milliseconds kSchedulingSlack = 2200ms;

// What the scripts saw (requests, SNI names, how the client closed), read by the test thread.
class Notes {
 public:
  void add(std::string note) {
    std::lock_guard lock(mutex_);
    notes_.push_back(std::move(note));
    changed_.notify_all();
  }
  std::vector<std::string> all() const {
    std::lock_guard lock(mutex_);
    return notes_;
  }
  bool waitFor(size_t count, std::chrono::milliseconds timeout = 3s) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return notes_.size() >= count; });
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<std::string> notes_;
};

inline sockaddr_in loopback(uint16_t port, const char* address = "127.0.0.1") {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  ::inet_pton(AF_INET, address, &sa.sin_addr);
  return sa;
}

inline uint16_t localPort(int fd) {
  sockaddr_in sa{};
  socklen_t length = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &length);
  return ntohs(sa.sin_port);
}

// A bound socket that does not listen: a connect to its port is answered with an RST, and the
// port stays ours while it is open.
class RefusingPort {
 public:
  RefusingPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    const sockaddr_in sa = loopback(0);
    ::bind(fd_, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
  }
  ~RefusingPort() { ::close(fd_); }
  uint16_t port() const { return localPort(fd_); }

 private:
  int fd_;
};

// A listener whose accept queue is full (backlog 0 plus one unaccepted connection), so Linux
// drops the next SYN and a connect neither succeeds nor fails: a peer that never answers.
class SilentListener {
 public:
  SilentListener() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    const sockaddr_in sa = loopback(0);
    ::bind(fd_, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
    ::listen(fd_, 0);
    const sockaddr_in self = loopback(port());
    for (int& filler : fillers_) {
      filler = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      ::connect(filler, reinterpret_cast<const sockaddr*>(&self), sizeof self);
    }
    std::this_thread::sleep_for(20ms);  // the handshakes complete and fill the queue
  }
  ~SilentListener() {
    for (int filler : fillers_) ::close(filler);
    ::close(fd_);
  }
  uint16_t port() const { return localPort(fd_); }

 private:
  int fd_;
  int fillers_[2] = {-1, -1};
};

class TestServer {
 public:
  using Script = std::function<void(int fd, const std::string& peer)>;

  explicit TestServer(Script script) : script_(std::move(script)) {
    std::signal(SIGPIPE, SIG_IGN);  // OpenSSL writes with write(2); a reset peer must not kill us
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int on = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    const sockaddr_in sa = loopback(0);
    ::bind(fd_, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
    ::listen(fd_, 16);
    port_ = localPort(fd_);
    thread_ = std::thread([this] { run(); });
  }
  ~TestServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  int connections() const { return connections_; }

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      sockaddr_in peer{};
      socklen_t length = sizeof peer;
      const int fd = ::accept(fd_, reinterpret_cast<sockaddr*>(&peer), &length);
      if (fd < 0) continue;
      ++connections_;
      const timeval limit{3, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
      char address[INET_ADDRSTRLEN] = {};
      ::inet_ntop(AF_INET, &peer.sin_addr, address, sizeof address);
      script_(fd, std::string(address) + ":" + std::to_string(ntohs(peer.sin_port)));
      ::close(fd);
    }
  }

  Script script_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// Reads up to the blank line ending a request (or whatever came before EOF/timeout).
inline std::string readRequest(int fd) {
  std::string request;
  char buffer[1024];
  while (request.find("\r\n\r\n") == std::string::npos) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    request.append(buffer, static_cast<size_t>(n));
  }
  return request;
}

inline bool sendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// How the client ended the connection: "reset" (RST), "fin", or "open" after the timeout.
inline std::string awaitClose(int fd) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) continue;
    if (n == 0) return "fin";
    return errno == ECONNRESET ? "reset" : "open";
  }
}

// Ends the connection with an RST from the server's side.
inline void resetConnection(int fd) {
  const linger abort{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
}

struct Certificate {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{nullptr, EVP_PKEY_free};
  std::unique_ptr<X509, decltype(&X509_free)> cert{nullptr, X509_free};

  std::string pem() const {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_X509(bio.get(), cert.get());
    std::string text(BIO_ctrl_pending(bio.get()), '\0');
    BIO_read(bio.get(), text.data(), static_cast<int>(text.size()));
    return text;
  }
};

// A self-signed EC P-256 certificate for `dnsName` (CN and subjectAltName), valid for a day.
inline Certificate selfSigned(const std::string& dnsName) {
  Certificate c;
  c.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  c.cert.reset(X509_new());
  X509* x = c.cert.get();
  X509_set_version(x, 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, c.key.get());
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(dnsName.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx{};
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  const std::string san = "DNS:" + dnsName;
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(x, c.key.get(), EVP_sha256());
  return c;
}

// A file removed with the test.
class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("http_checker_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) +
             ".pem");
    std::ofstream(path_) << contents;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// How a TLS server ends after its response: wait for the client to close, send close_notify
// and close, or close TCP without close_notify (what many servers do).
enum class TlsEnding : uint8_t { kWaitForClient, kCloseNotify, kDropTcp };

// A TLS server's SSL_CTX for one certificate; it records the SNI each client sent.
class TlsServerContext {
 public:
  explicit TlsServerContext(const Certificate& certificate)
      : ctx_(SSL_CTX_new(TLS_server_method()), SSL_CTX_free) {
    SSL_CTX_use_certificate(ctx_.get(), certificate.cert.get());
    SSL_CTX_use_PrivateKey(ctx_.get(), certificate.key.get());
  }
  // Handshake, note "sni:<name>", read the request, send `response`, end as told (and note how
  // the client closed when waiting for it).
  void serve(int fd, const std::string& response, Notes& notes,
             TlsEnding ending = TlsEnding::kWaitForClient) const {
    std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx_.get()), SSL_free);
    SSL_set_fd(ssl.get(), fd);
    if (SSL_accept(ssl.get()) != 1) {
      notes.add("handshake failed");
      return;
    }
    const char* sni = SSL_get_servername(ssl.get(), TLSEXT_NAMETYPE_host_name);
    notes.add(std::string("sni:") + (sni != nullptr ? sni : ""));
    std::string request;
    char buffer[1024];
    while (request.find("\r\n\r\n") == std::string::npos) {
      const int n = SSL_read(ssl.get(), buffer, sizeof buffer);
      if (n <= 0) break;
      request.append(buffer, static_cast<size_t>(n));
    }
    notes.add(request);
    SSL_write(ssl.get(), response.data(), static_cast<int>(response.size()));
    if (ending == TlsEnding::kCloseNotify) SSL_shutdown(ssl.get());
    if (ending == TlsEnding::kWaitForClient) notes.add(awaitClose(fd));
  }

 private:
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx_;
};

inline ProbeSpec httpSpec(uint16_t port, std::vector<UrlCheck> urls = {UrlCheck{}}) {
  ProbeSpec spec;
  spec.kind = CheckKind::kHttp;
  spec.address = *IpAddress::parse("127.0.0.1");
  spec.port = port;
  spec.connectTimeout = 2000ms;
  spec.urls = std::move(urls);
  return spec;
}

inline UrlCheck url(std::string path, std::string digest = "") {
  UrlCheck u;
  u.path = std::move(path);
  u.digest = std::move(digest);
  return u;
}

// One probe on a fresh io_context run to exhaustion: `done` must come exactly once, and not
// from inside probe().
inline ProbeResult runProbe(const ProbeSpec& spec) {
  boost::asio::io_context io;
  auto checker = makeHttpChecker(io);
  int calls = 0;
  ProbeResult result;
  checker->probe(spec, [&](ProbeResult r) {
    ++calls;
    result = std::move(r);
  });
  EXPECT_EQ(calls, 0) << "done ran inside probe()";
  io.run_for(10s);
  EXPECT_EQ(calls, 1);
  return result;
}

}  // namespace ha::healthcheck::test_server
