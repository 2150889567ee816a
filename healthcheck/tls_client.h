#pragma once
// TLS for SSL_GET, on OpenSSL through boost::asio::ssl. keepalived's semantics: without
// verify_peer any certificate is accepted (a health check proves the service answers, not who it
// is); with verify_peer the chain must verify against `ca` (else the system store) and, when a
// virtualhost is set, the certificate must name it (RFC 6125 via X509_VERIFY_PARAM_set1_host).
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>

#include "common/result.h"
#include "healthcheck/checker.h"

namespace ha::healthcheck {

// One SSL_CTX per distinct (verify_peer, ca, certificate, key), shared by every probe using it:
// parsing a CA bundle costs more than a probe, and the checker may run thousands a second. A file
// is read when its context is first needed; a changed file is read again only by a new checker.
class TlsContextCache {
 public:
  Result<std::shared_ptr<boost::asio::ssl::context>> get(const ProbeSpec& spec);

 private:
  using Key = std::tuple<bool, std::string, std::string, std::string>;
  std::map<Key, std::shared_ptr<boost::asio::ssl::context>> contexts_;
};

// The host part of a virtualhost that may carry a port ("www.example:8443", "[fd00::1]:443").
std::string_view hostWithoutPort(std::string_view virtualhost);

// Per connection, before the handshake: SNI with enable_sni (only for a DNS name: RFC 6066 §3
// forbids address literals) and, with verify_peer, the name or address the certificate must carry.
Status prepareTlsClient(SSL* ssl, const ProbeSpec& spec);

// A failed handshake: kTlsVerify when verify_peer refused the certificate, else kTlsHandshake.
ProbeResult tlsHandshakeFailure(SSL* ssl, const ProbeSpec& spec,
                                const boost::system::error_code& error);

}  // namespace ha::healthcheck
