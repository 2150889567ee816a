// Mutual TLS for sync: one CA signs every director's certificate; each node's certificate
// (CN or DNS SAN = its node name) serves as both client and server certificate.
#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "sync/grpc_transport_core.h"
#include "sync/sync_codec.h"

namespace ha::sync::detail {
namespace {

// gRPC keepalive: a peer that stops answering (kill -9 and a cut link) is noticed in about
// kKeepaliveTime + kKeepaliveTimeout.
constexpr int kKeepaliveTimeMs = 1000;
constexpr int kKeepaliveTimeoutMs = 1000;
constexpr int kConnectTimeoutFloorMs = 1000;

Result<std::string> readFile(const std::string& path, const char* what) {
  if (path.empty()) return Error{std::string("connection_sync: no ") + what + " file configured"};
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{std::string("connection_sync: cannot read ") + what + " file " + path + ": " +
                 std::strerror(errno)};
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().empty()) {
    return Error{std::string("connection_sync: ") + what + " file " + path + " is empty"};
  }
  return text.str();
}

std::string sslError() {
  const unsigned long code = ERR_get_error();  // NOLINT(google-runtime-int): OpenSSL's type
  ERR_clear_error();
  if (code == 0) return "not PEM";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  return buffer;
}

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* x509) const { X509_free(x509); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

std::unique_ptr<BIO, BioFree> memoryBio(const std::string& pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

Result<std::unique_ptr<X509, X509Free>> parseCertificate(const std::string& pem,
                                                         const std::string& path,
                                                         const char* what) {
  auto bio = memoryBio(pem);
  std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    return Error{std::string("connection_sync: ") + what + " file " + path +
                 " holds no PEM certificate (" + sslError() + ")"};
  }
  return cert;
}

}  // namespace

Result<TlsPems> loadTls(const TlsConfig& tls) {
  TlsPems pems;
  auto ca = readFile(tls.caFile, "CA");
  if (!ca) return Error{ca.error()};
  auto cert = readFile(tls.certFile, "certificate");
  if (!cert) return Error{cert.error()};
  auto key = readFile(tls.keyFile, "key");
  if (!key) return Error{key.error()};

  ERR_clear_error();
  auto caCert = parseCertificate(*ca, tls.caFile, "CA");
  if (!caCert) return Error{caCert.error()};
  auto ownCert = parseCertificate(*cert, tls.certFile, "certificate");
  if (!ownCert) return Error{ownCert.error()};
  auto bio = memoryBio(*key);
  std::unique_ptr<EVP_PKEY, KeyFree> privateKey(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!privateKey) {
    return Error{"connection_sync: key file " + tls.keyFile +
                 " holds no unencrypted PEM private key (" + sslError() + ")"};
  }
  if (X509_check_private_key(ownCert->get(), privateKey.get()) != 1) {
    ERR_clear_error();
    return Error{"connection_sync: key file " + tls.keyFile + " does not belong to certificate " +
                 tls.certFile};
  }
  return TlsPems{std::move(*ca), std::move(*cert), std::move(*key)};
}

std::shared_ptr<grpc::ServerCredentials> serverCredentials(const TlsPems& pems) {
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = pems.ca;
  options.pem_key_cert_pairs.push_back({pems.key, pems.cert});
  return grpc::SslServerCredentials(options);
}

std::shared_ptr<grpc::Channel> peerChannel(const PeerConfig& peer, const TlsPems& pems) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = pems.ca;
  options.pem_private_key = pems.key;
  options.pem_cert_chain = pems.cert;
  grpc::ChannelArguments args;
  // The certificate names the node, not its address.
  args.SetSslTargetNameOverride(peer.name);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveTimeMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // We drive our own dial backoff; the channel's must not add much to it. gRPC also takes the
  // "min reconnect backoff" as the floor of each connect + TLS handshake deadline, so that one
  // stays at kConnectTimeoutFloorMs: 50 ms would fail handshakes on a busy node.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, kConnectTimeoutFloorMs);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, static_cast<int>(kDialBackoffMin.count()));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, static_cast<int>(kDialBackoffMax.count()));
  // The dialled side only ever answers with Acks.
  args.SetMaxReceiveMessageSize(static_cast<int>(kMaxEncodedAckBytes));
  // A channel of its own per peer, never a subchannel shared with another transport.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  const std::string target =
      (peer.address.isV4() ? "ipv4:" : "ipv6:") + formatEndpoint(peer.address, peer.port);
  return grpc::CreateCustomChannel(target, grpc::SslCredentials(options), args);
}

void configureServer(grpc::ServerBuilder& builder, const GrpcLimits& limits, size_t peers) {
  builder.SetMaxReceiveMessageSize(static_cast<int>(kMaxEncodedMessageBytes));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, limits.streamsPerConnection);
  grpc::ResourceQuota quota("connection-sync");
  quota.Resize(limits.memoryQuotaBaseBytes + limits.memoryQuotaPerPeerBytes * peers);
  builder.SetResourceQuota(quota);
  // Our peers ping every second, with or without calls: allow it (no ping strikes).
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             kKeepaliveTimeMs / 2);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // And notice a dead client as fast as it notices a dead server.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveTimeMs);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // SO_REUSEPORT would let a second directord bind the same port and split our peers' streams.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
}

}  // namespace ha::sync::detail
