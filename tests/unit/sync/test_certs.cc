#include "test_certs.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace ha::sync::test {
namespace {

void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test_certs: ") + what);
}

EVP_PKEY* newKey() {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  require(ctx != nullptr, "EVP_PKEY_CTX_new_from_name");
  EVP_PKEY* key = nullptr;
  require(EVP_PKEY_keygen_init(ctx) == 1, "keygen_init");
  require(EVP_PKEY_CTX_set_group_name(ctx, "P-256") == 1, "set_group_name");
  require(EVP_PKEY_generate(ctx, &key) == 1, "EVP_PKEY_generate");
  EVP_PKEY_CTX_free(ctx);
  return key;
}

void addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  require(ext != nullptr, "X509V3_EXT_conf_nid");
  require(X509_add_ext(cert, ext, -1) == 1, "X509_add_ext");
  X509_EXTENSION_free(ext);
}

// Self-signed when issuer/issuerKey are null.
X509* newCertificate(const std::string& commonName, EVP_PKEY* key, X509* issuer,
                     EVP_PKEY* issuerKey, long serial, bool ca) {
  X509* cert = X509_new();
  require(cert != nullptr, "X509_new");
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24L * 3600);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(commonName.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509_set_pubkey(cert, key);
  X509* signer = issuer != nullptr ? issuer : cert;
  if (ca) {
    addExtension(cert, signer, NID_basic_constraints, "critical,CA:TRUE");
    addExtension(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    addExtension(cert, signer, NID_basic_constraints, "critical,CA:FALSE");
    addExtension(cert, signer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    addExtension(cert, signer, NID_ext_key_usage, "serverAuth,clientAuth");
    addExtension(cert, signer, NID_subject_alt_name, "DNS:" + commonName);
  }
  require(X509_sign(cert, issuerKey != nullptr ? issuerKey : key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

void writeCert(const std::string& path, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  require(f != nullptr, "fopen");
  const bool ok = PEM_write_X509(f, cert) == 1;
  std::fclose(f);
  require(ok, "PEM_write_X509");
}

void writeKey(const std::string& path, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  require(f != nullptr, "fopen");
  const bool ok = PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(f);
  require(ok, "PEM_write_PrivateKey");
}

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/ha-sync-test-XXXXXX";
  require(mkdtemp(tmpl.data()) != nullptr, "mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

struct TestCa::Keys {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
};

TestCa::TestCa(const std::string& dir, const std::string& label)
    : dir_(dir), label_(label), caFile_(dir + "/" + label + "-ca.pem"), keys_(new Keys) {
  keys_->key = newKey();
  keys_->cert = newCertificate(label + " test CA", keys_->key, nullptr, nullptr, serial_++, true);
  writeCert(caFile_, keys_->cert);
}

TestCa::~TestCa() {
  X509_free(keys_->cert);
  EVP_PKEY_free(keys_->key);
  delete keys_;
}

CertFiles TestCa::issue(const std::string& name) {
  EVP_PKEY* key = newKey();
  X509* cert = newCertificate(name, key, keys_->cert, keys_->key, serial_++, false);
  CertFiles files{dir_ + "/" + label_ + "-" + name + ".pem",
                  dir_ + "/" + label_ + "-" + name + "-key.pem"};
  writeCert(files.cert, cert);
  writeKey(files.key, key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return files;
}

}  // namespace ha::sync::test
