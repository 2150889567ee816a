#include "healthcheck/tls_client.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

#include "common/ip_address.h"

namespace ha::healthcheck {
namespace {

namespace ssl = boost::asio::ssl;

Result<std::shared_ptr<ssl::context>> makeContext(const ProbeSpec& spec) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code error;
  // OpenSSL's own buffers are freed while a connection idles: thousands of probes may be
  // waiting on slow peers at once.
  SSL_CTX_set_mode(context->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  if (spec.verifyPeer) {
    context->set_verify_mode(ssl::verify_peer, error);
    if (spec.caFile.empty()) {
      context->set_default_verify_paths(error);
      if (error) return Error{"system CA store: " + error.message()};
    } else {
      context->load_verify_file(spec.caFile, error);
      if (error) return Error{"CA file " + spec.caFile + ": " + error.message()};
    }
  } else {
    context->set_verify_mode(ssl::verify_none, error);
  }
  if (!spec.certFile.empty()) {
    context->use_certificate_chain_file(spec.certFile, error);
    if (error) return Error{"client certificate " + spec.certFile + ": " + error.message()};
    // keepalived reads the key from the certificate file when no key file is given.
    const std::string& keyFile = spec.keyFile.empty() ? spec.certFile : spec.keyFile;
    context->use_private_key_file(keyFile, ssl::context::pem, error);
    if (error) return Error{"client key " + keyFile + ": " + error.message()};
  }
  return context;
}

std::string handshakeErrorText(const boost::system::error_code& error) {
  if (error == boost::asio::error::eof || error == ssl::error::stream_truncated) {
    return "the peer closed the connection";
  }
  return error.message();
}

}  // namespace

Result<std::shared_ptr<ssl::context>> TlsContextCache::get(const ProbeSpec& spec) {
  Key key{spec.verifyPeer, spec.caFile, spec.certFile, spec.keyFile};
  if (auto it = contexts_.find(key); it != contexts_.end()) return it->second;
  auto context = makeContext(spec);
  if (context) contexts_.emplace(std::move(key), *context);
  return context;
}

std::string_view hostWithoutPort(std::string_view virtualhost) {
  if (virtualhost.starts_with('[')) {
    const size_t close = virtualhost.find(']');
    return close == std::string_view::npos ? virtualhost : virtualhost.substr(1, close - 1);
  }
  const size_t colon = virtualhost.find(':');
  if (colon == std::string_view::npos ||
      virtualhost.find(':', colon + 1) != std::string_view::npos) {
    return virtualhost;  // no port, or an unbracketed IPv6 address
  }
  const std::string_view port = virtualhost.substr(colon + 1);
  const bool digits = !port.empty() && std::all_of(port.begin(), port.end(),
                                                   [](char c) { return c >= '0' && c <= '9'; });
  return digits ? virtualhost.substr(0, colon) : virtualhost;
}

Status prepareTlsClient(SSL* ssl, const ProbeSpec& spec) {
  const std::string host(hostWithoutPort(spec.virtualhost));
  if (host.empty()) return okStatus();
  const bool isAddress = IpAddress::parse(host).has_value();
  // SSL_set_tlsext_host_name() is a macro that casts away const; this is its expansion.
  if (spec.enableSni && !isAddress &&
      SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(host.c_str())) != 1) {
    return Error{"SNI " + host + " refused by OpenSSL"};
  }
  if (!spec.verifyPeer) return okStatus();
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const int set = isAddress ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                            : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  if (set != 1) return Error{"certificate name check for " + host + " refused by OpenSSL"};
  return okStatus();
}

ProbeResult tlsHandshakeFailure(SSL* ssl, const ProbeSpec& spec,
                                const boost::system::error_code& error) {
  const std::string peer = formatEndpoint(spec.address, spec.port);
  // Only with verify_peer does a verification error end the handshake; without it the result
  // is set but ignored, so it cannot be why the handshake failed.
  const long verify = SSL_get_verify_result(ssl);
  if (spec.verifyPeer && verify != X509_V_OK) {
    return ProbeResult::fail(
        FailureReason::kTlsVerify,
        "TLS certificate of " + peer + " refused: " + X509_verify_cert_error_string(verify));
  }
  return ProbeResult::fail(FailureReason::kTlsHandshake,
                           "TLS handshake with " + peer + ": " + handshakeErrorText(error));
}

}  // namespace ha::healthcheck
