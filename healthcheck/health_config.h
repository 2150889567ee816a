#pragma once
// What healthcheck/ needs from keepalived.conf: the checker blocks of each real_server
// (TCP_CHECK, HTTP_GET, SSL_GET, UDP_CHECK, MISC_CHECK, SMTP_CHECK, DNS_CHECK, PING_CHECK, and
// FILE_CHECK with the top-level track_file blocks), their timing, and the per-real and
// per-virtual-server health semantics (alpha, inhibit_on_failure, notify_up/down, quorum). The
// parser in director/config fills it (docs/style.md §4); defaults are keepalived 2.2.7's.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"

namespace ha::healthcheck {

using Millis = std::chrono::milliseconds;

enum class CheckKind : uint8_t { kTcp, kHttp, kHttps, kUdp, kMisc, kSmtp, kDns, kPing };

// keepalived's SMTP_CHECK default helo_name (check_smtp.h SMTP_DEFAULT_HELO).
inline constexpr std::string_view kDefaultHeloName = "smtpchecker.keepalived.org";
// DNS_CHECK defaults (check_dns.h): type SOA, name "." (the root).
inline constexpr uint16_t kDnsTypeSoa = 6;

// `url { path /x  status_code 200  digest <md5 hex> }` of HTTP_GET / SSL_GET.
struct UrlCheck {
  std::string path = "/";
  // Accepted status codes as inclusive ranges; empty = any 2xx (keepalived's default).
  std::vector<std::pair<uint16_t, uint16_t>> statusCodes;
  std::string digest;  // lowercase hex MD5 of the body (keepalived's genhash); empty = not checked
  auto operator<=>(const UrlCheck&) const = default;
};

// What one probe does. Two probes with equal specs (and equal timing) are the same probe: it runs
// once however many virtual servers use it (keepalived runs each copy).
struct ProbeSpec {
  CheckKind kind = CheckKind::kTcp;
  IpAddress address;  // connect_ip, default the real's address
  uint16_t port = 0;  // connect_port, default the real's port
  std::optional<IpAddress> bindTo;  // bindto
  uint16_t bindPort = 0;            // bind_port
  Millis connectTimeout{5000};      // connect_timeout: also bounds the whole exchange

  // HTTP_GET / SSL_GET: every url must pass.
  std::vector<UrlCheck> urls;
  std::string virtualhost;  // Host header (and SNI with enable_sni); empty = the address
  bool enableSni = false;   // enable_sni
  bool verifyPeer = false;  // our `verify_peer`: check the chain against `caFile` (else the
                            // system store) and the name against virtualhost when set
  std::string caFile;       // global SSL { ca }
  std::string certFile;     // global SSL { certificate }: client certificate
  std::string keyFile;      // global SSL { key }

  // UDP_CHECK
  std::string payload;                      // bytes sent (`payload` hex); empty = one zero byte
  std::optional<std::string> requireReply;  // `require_reply [hex]`: a reply must come and start
                                            // with these bytes; nullopt = only ICMP fails it
  // MISC_CHECK
  std::string miscPath;     // command line, split as keepalived does (common/child_process.h)
  Millis miscTimeout{0};    // misc_timeout; 0 = delay_loop
  bool miscDynamic = false; // misc_dynamic: exit 2..255 sets the weight to code - 2

  // SMTP_CHECK: `HELO <heloName>` after the 220 banner (keepalived's check_smtp.c)
  std::string heloName;
  // DNS_CHECK: one query of dnsType for dnsName (absolute, without the final dot; "" = root)
  uint16_t dnsType = kDnsTypeSoa;
  std::string dnsName;

  auto operator<=>(const ProbeSpec&) const = default;
};

// keepalived's checker timing, each inherited virtual_server -> real_server -> checker.
struct CheckTiming {
  Millis delayLoop{60000};        // delay_loop: between probes of a settled real
  Millis delayBeforeRetry{1000};  // delay_before_retry: between attempts while failing
  uint32_t retry = 1;             // retry (nb_get_retry): failed attempts beyond the first before
                                  // an up real goes down, i.e. fall = retry + 1
  uint32_t rise = 1;              // our `rise`: consecutive passes before a down real comes up
  Millis warmup{0};               // warmup: the first probe starts at a random point in [0, warmup]
                                  // (0: spread over [0, delay_loop) so probes never fire in bursts)
  auto operator<=>(const CheckTiming&) const = default;
};

struct CheckerConfig {
  std::string location;  // file:line of the checker block
  ProbeSpec probe;
  CheckTiming timing;
  bool operator==(const CheckerConfig&) const = default;
};

// A top-level `track_file NAME { file PATH  weight W [reverse]  init_file [VALUE] [overwrite] }`
// (keepalived's track_file.c): a file whose number FILE_CHECKs follow.
struct TrackFileConfig {
  std::string location;
  std::string name;
  std::string path;    // absolute, as written
  int64_t weight = 1;  // the FILE_CHECK default multiplier
  bool reverse = false;
  std::optional<int64_t> init;  // init_file: VALUE written at start when the file is missing
  bool overwrite = false;       // init_file ... overwrite: written at start even if it exists
  bool operator==(const TrackFileConfig&) const = default;
};

// `FILE_CHECK { track_file NAME  weight W [reverse] }` of a real_server (keepalived's
// check_file.c): value x weight (x -1 with reverse) is added to the real's weight; a product at
// or below -2^31 takes the real down. With weight 0: a non-zero value takes it down (reverse: a
// zero value), and the weight is left alone. A missing file reads as 0.
struct FileCheckConfig {
  std::string location;
  std::string trackName;
  std::string path;
  int64_t weight = 1;  // FILE_CHECK weight, else the track_file's
  bool reverse = false;
  bool operator==(const FileCheckConfig&) const = default;
};

// Names one real of one virtual server, as the director keys them.
struct RealKey {
  uint8_t protocol = 6;  // IPPROTO_TCP / IPPROTO_UDP of the virtual server
  IpAddress vip;
  uint16_t vport = 0;
  IpAddress address;
  uint16_t port = 0;
  uint32_t fwmark = 0;     // the virtual server is `fwmark N` (vip unspecified, vport 0)
  std::string group = {};  // the virtual server is `group NAME` (vip unspecified, vport 0)
  auto operator<=>(const RealKey&) const = default;
  std::string str() const;  // "TCP 192.0.2.1:80 -> 198.51.100.11:80" (inline, below)
};

struct ServiceKey {
  uint8_t protocol = 6;
  IpAddress vip;
  uint16_t vport = 0;
  uint32_t fwmark = 0;     // `virtual_server fwmark N`
  std::string group = {};  // `virtual_server group NAME`
  auto operator<=>(const ServiceKey&) const = default;
  std::string str() const;  // "TCP 192.0.2.1:80" (inline, below)
};

struct RealHealthConfig {
  std::string location;  // file:line of the real_server
  RealKey key;
  uint32_t weight = 1;                 // configured weight (quorum sums the weights of live reals)
  std::vector<CheckerConfig> checkers; // empty: always up; several: all must pass
  std::vector<FileCheckConfig> fileChecks;  // FILE_CHECK: watched, not probed
  bool inhibitOnFailure = false;       // forwarder keeps it at weight 0 instead of removing it
  std::string notifyUp;                // notify_up: run when it comes up
  std::string notifyDown;              // notify_down: run when it goes down
  bool operator==(const RealHealthConfig&) const = default;
};

struct VirtualServerHealthConfig {
  std::string location;
  ServiceKey key;
  bool alpha = false;  // alpha: every real starts down until its checks pass
  // quorum: the virtual server is up while the weights of its live reals sum to >= quorum; with
  // hysteresis it goes down below quorum - hysteresis and up again at quorum + hysteresis.
  uint32_t quorum = 1;
  uint32_t hysteresis = 0;
  std::string quorumUp;    // quorum_up script
  std::string quorumDown;  // quorum_down script
  std::vector<RealHealthConfig> reals;
  bool operator==(const VirtualServerHealthConfig&) const = default;
};

struct HealthConfig {
  std::vector<VirtualServerHealthConfig> virtualServers;
  std::vector<TrackFileConfig> trackFiles;  // the track_file blocks FILE_CHECKs name
  bool operator==(const HealthConfig&) const = default;
};

// Inline, as the rest of this header, so the config parser that fills these structs links no
// health-check code.
inline std::string protocolText(uint8_t protocol) {
  if (protocol == 6) return "TCP";
  if (protocol == 17) return "UDP";
  return "proto " + std::to_string(protocol);
}

// keepalived's FMT_VS: "TCP 192.0.2.1:80", "FWM 1", "TCP group NAME".
inline std::string serviceText(uint8_t protocol, const IpAddress& vip, uint16_t vport,
                               uint32_t fwmark, const std::string& group) {
  if (fwmark != 0) return "FWM " + std::to_string(fwmark) + (vip.isV4() ? "" : " IPv6");
  if (!group.empty()) return protocolText(protocol) + " group " + group;
  return protocolText(protocol) + " " + formatEndpoint(vip, vport);
}

inline std::string ServiceKey::str() const {
  return serviceText(protocol, vip, vport, fwmark, group);
}

inline std::string RealKey::str() const {
  return serviceText(protocol, vip, vport, fwmark, group) + " -> " + formatEndpoint(address, port);
}

// "TCP_CHECK", "HTTP_GET", ...: keepalived's keywords.
constexpr std::string_view checkKindName(CheckKind kind) {
  switch (kind) {
    case CheckKind::kTcp:
      return "TCP_CHECK";
    case CheckKind::kHttp:
      return "HTTP_GET";
    case CheckKind::kHttps:
      return "SSL_GET";
    case CheckKind::kUdp:
      return "UDP_CHECK";
    case CheckKind::kMisc:
      return "MISC_CHECK";
    case CheckKind::kSmtp:
      return "SMTP_CHECK";
    case CheckKind::kDns:
      return "DNS_CHECK";
    case CheckKind::kPing:
      return "PING_CHECK";
  }
  return "?";
}

}  // namespace ha::healthcheck
