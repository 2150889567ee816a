// The checker the service uses: one production checker per kind, each probe sent to the one its
// spec names. HTTP_GET and SSL_GET share one checker (TLS is a per-spec choice there).
#include <cstdlib>
#include <memory>

#include "healthcheck/checkers.h"

namespace ha::healthcheck {
namespace {

class CheckerSet final : public Checker {
 public:
  CheckerSet(boost::asio::io_context& io, const ProcessRunnerFactory& makeRunner)
      : tcp_(makeTcpChecker(io)),
        http_(makeHttpChecker(io)),
        udp_(makeUdpChecker(io)),
        misc_(makeMiscChecker(io, makeRunner(io))),
        smtp_(makeSmtpChecker(io)),
        dns_(makeDnsChecker(io)),
        ping_(makePingChecker(io)) {}

  void probe(const ProbeSpec& spec, Done done) override {
    checkerFor(spec.kind).probe(spec, std::move(done));
  }

 private:
  Checker& checkerFor(CheckKind kind) {
    switch (kind) {
      case CheckKind::kTcp:
        return *tcp_;
      case CheckKind::kHttp:
      case CheckKind::kHttps:
        return *http_;
      case CheckKind::kUdp:
        return *udp_;
      case CheckKind::kMisc:
        return *misc_;
      case CheckKind::kSmtp:
        return *smtp_;
      case CheckKind::kDns:
        return *dns_;
      case CheckKind::kPing:
        return *ping_;
    }
    std::abort();  // not a CheckKind: memory is corrupt
  }

  std::unique_ptr<Checker> tcp_;
  std::unique_ptr<Checker> http_;
  std::unique_ptr<Checker> udp_;
  std::unique_ptr<Checker> misc_;
  std::unique_ptr<Checker> smtp_;
  std::unique_ptr<Checker> dns_;
  std::unique_ptr<Checker> ping_;
};

}  // namespace

std::unique_ptr<Checker> makeCheckerSet(boost::asio::io_context& io,
                                        const ProcessRunnerFactory& makeRunner) {
  return std::make_unique<CheckerSet>(io, makeRunner);
}

}  // namespace ha::healthcheck
