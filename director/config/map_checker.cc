// Checker blocks of a real_server: keepalived 2.2.7's TCP_CHECK, HTTP_GET, SSL_GET, UDP_CHECK,
// MISC_CHECK, SMTP_CHECK, DNS_CHECK and PING_CHECK (check_api.c, check_http.c, check_udp.c,
// check_misc.c, check_smtp.c, check_dns.c, check_ping.c), plus our `rise` and `verify_peer`;
// FILE_CHECK is map_track_file.cc's. The probe's target and kind-specific fields are settled here;
// timing, which may be inherited from keywords written later, by resolveHealth().
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include "director/config/command_statement.h"
#include "director/config/health_mapping.h"
#include "director/config/node_rules.h"
#include "director/config/value_parsers.h"
#include "director/config/vrrp_statements.h"

namespace ha::director::config {
namespace {

using healthcheck::CheckKind;

constexpr uint64_t kMaxMiscTimeoutSec = 86400;
constexpr uint64_t kMaxReplyLength = UINT16_MAX;  // keepalived's bound for min/max_reply_length

// The one keepalived checker we do not build: it reads the session state of keepalived's own BFD
// process (`bfd_instance`), which directord does not run. Skipping it would keep in service a real
// that keepalived would take out.
constexpr std::string_view kBfdRefusal =
    "not supported: BFD_CHECK follows a bfd_instance session of keepalived's BFD daemon, and "
    "directord has no BFD daemon integration; check the real with PING_CHECK or TCP_CHECK";

// keepalived's DNS_CHECK types (check_dns.c DNS_TYPE), matched without regard to case.
constexpr std::array<std::pair<std::string_view, uint16_t>, 9> kDnsTypes = {{{"A", 1},
                                                                             {"NS", 2},
                                                                             {"CNAME", 5},
                                                                             {"SOA", 6},
                                                                             {"MX", 15},
                                                                             {"TXT", 16},
                                                                             {"AAAA", 28},
                                                                             {"RRSIG", 46},
                                                                             {"DNSKEY", 48}}};

// MISC_CHECK runs a program: keepalived installs none of the connection keywords for it.
constexpr std::array<std::string_view, 7> kConnectionKeywords = {
    "connect_ip", "connect_port", "bindto", "bind_port", "bind_if", "fwmark", "connect_timeout"};

// Inside `url`: they change whether a response passes, so ignoring one would pass a real that
// keepalived fails.
constexpr std::array<std::string_view, 6> kUrlRegexKeywords = {
    "regex",       "regex_no_match",   "regex_options",
    "regex_stack", "regex_min_offset", "regex_max_offset"};

template <size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view keyword) {
  return std::find(list.begin(), list.end(), keyword) != list.end();
}

std::optional<CheckKind> checkKindOf(std::string_view keyword) {
  if (keyword == "TCP_CHECK") return CheckKind::kTcp;
  if (keyword == "HTTP_GET") return CheckKind::kHttp;
  if (keyword == "SSL_GET") return CheckKind::kHttps;
  if (keyword == "UDP_CHECK") return CheckKind::kUdp;
  if (keyword == "MISC_CHECK") return CheckKind::kMisc;
  if (keyword == "SMTP_CHECK") return CheckKind::kSmtp;
  if (keyword == "DNS_CHECK") return CheckKind::kDns;
  if (keyword == "PING_CHECK") return CheckKind::kPing;
  return std::nullopt;
}

// fe80::/10 (RFC 4291 §2.5.6): meaningful only with an interface.
bool isLinkLocal(const IpAddress& a) {
  return !a.isV4() && a.bytes()[0] == 0xfe && (a.bytes()[1] & 0xc0) == 0x80;
}

bool isHttp(CheckKind kind) { return kind == CheckKind::kHttp || kind == CheckKind::kHttps; }

struct CheckerBlock {
  PendingChecker pending;
  RealHealth& real;
  std::string owner;  // "HTTP_GET of real_server 10.0.0.1:80", for messages
  std::string_view kindName;
  std::optional<IpAddress> connectIp;
  std::optional<uint16_t> connectPort;
  SourceLocation bindToWhere;
  DiagnosticSink& sink;
  bool connectionWritten = false;  // any connection keyword (SMTP_CHECK's host rule below)
  bool dnsTypeSet = false;
  bool dnsNameSet = false;
  std::vector<CheckerBlock> hosts;  // SMTP_CHECK `host { ... }` blocks

  healthcheck::ProbeSpec& probe() { return pending.config.probe; }
  void ignored(const Node& node, std::string_view why) {
    sink.warning(node.where,
                 "keyword '" + node.keyword + "' in " + owner + " ignored: " + std::string(why));
  }
  void notSupported(const Node& node, std::string_view why) {
    sink.error(node.where, "keyword '" + node.keyword + "' in " + owner +
                               " not supported: " + std::string(why));
  }
  bool once(const Node& node, bool alreadySet) {
    if (alreadySet) sink.error(node.where, "'" + node.keyword + "' given twice in " + owner);
    return !alreadySet;
  }
};

bool mapConnectionKeyword(const Node& node, CheckerBlock& b) {
  const std::string& k = node.keyword;
  if (contains(kConnectionKeywords, k)) b.connectionWritten = true;
  if (k == "connect_ip" || k == "bindto") {
    if (!checkStatement(node, 1, 1, k + " ADDR", b.sink)) return true;
    auto address = addressArg(node, 0, b.sink);
    if (!address) return true;
    if (k == "connect_ip") {
      b.connectIp = address;
    } else {
      b.probe().bindTo = address;
      b.bindToWhere = node.where;
    }
  } else if (k == "connect_port" || k == "bind_port") {
    if (!checkStatement(node, 1, 1, k + " 1..65535", b.sink)) return true;
    auto port = portArg(node, 0, 1, b.sink);
    if (!port) return true;
    if (b.probe().kind == CheckKind::kPing) {
      b.ignored(node, "ICMP echo has no port");
      return true;
    }
    if (k == "connect_port") {
      b.connectPort = port;
    } else {
      b.probe().bindPort = *port;
    }
  } else if (k == "bind_if") {
    b.notSupported(node,
                   "probes leave by the route to their target (a link-local bindto needs it)");
  } else if (k == "fwmark") {
    b.notSupported(node, "probes are not marked, so mark-based routing would not apply to them");
  } else {
    return false;
  }
  return true;
}

void mapUrlKeyword(const Node& node, healthcheck::UrlCheck& url, bool& hasPath, CheckerBlock& b) {
  const std::string& k = node.keyword;
  if (k == "path") {
    auto path = httpWordArg(node, b.owner, b.sink);
    if (path && b.once(node, hasPath)) {
      url.path = *path;
      hasPath = true;
    }
  } else if (k == "digest") {
    if (!checkStatement(node, 1, 1, "digest MD5HEX", b.sink) ||
        !b.once(node, !url.digest.empty())) {
      return;
    }
    if (auto digest = parseMd5Hex(node.args[0])) {
      url.digest = *digest;
    } else {
      b.sink.error(node.where, "invalid digest '" + node.args[0] + "' in " + b.owner +
                                   ": expected 32 hex digits (an MD5 as genhash prints it)");
    }
  } else if (k == "status_code") {
    if (!checkArgs(node, 1, SIZE_MAX, "status_code N|N-M ...", b.sink) ||
        !checkNoBlock(node, b.sink)) {
      return;
    }
    for (const auto& word : node.args) {
      if (auto range = parseStatusRange(word)) {
        url.statusCodes.push_back(*range);
      } else {
        b.sink.error(node.where, "invalid status_code '" + word + "' in " + b.owner +
                                     ": expected N or N-M with 100 <= N <= M <= 599");
      }
    }
  } else if (k == "virtualhost") {
    b.notSupported(node, "set virtualhost in the " + std::string(b.kindName) +
                             " block (it applies to every url)");
  } else if (contains(kUrlRegexKeywords, k)) {
    b.notSupported(node, "body regular expressions are not matched; use digest or status_code");
  } else if (k == "tls_compliant") {
    b.ignored(node, "TLS sessions always end with close_notify");
  } else {
    b.sink.error(node.where, "unknown keyword '" + k + "' in url of " + b.owner);
  }
}

void mapUrl(const Node& block, CheckerBlock& b) {
  if (!checkArgs(block, 0, 0, "url { path PATH ... }", b.sink) || !checkHasBlock(block, b.sink)) {
    return;
  }
  healthcheck::UrlCheck url;
  bool hasPath = false;
  for (const Node& child : block.children) mapUrlKeyword(child, url, hasPath, b);
  if (!hasPath) {
    // keepalived drops such a url; an HTTP check that silently lost its url checks less.
    b.sink.error(block.where, "url in " + b.owner + " has no path");
    return;
  }
  b.probe().urls.push_back(std::move(url));
}

bool mapHttpKeyword(const Node& node, CheckerBlock& b) {
  const std::string& k = node.keyword;
  bool tls = b.probe().kind == CheckKind::kHttps;
  if (k == "url") {
    mapUrl(node, b);
  } else if (k == "virtualhost") {
    if (auto host = httpWordArg(node, b.owner, b.sink)) b.pending.own.virtualhost = *host;
  } else if (k == "nb_get_retry") {
    if (!checkStatement(node, 1, 1, "nb_get_retry N", b.sink)) return true;
    b.sink.warning(node.where, "'nb_get_retry' is deprecated (keepalived); read as 'retry'");
    if (auto retry = numberArg(node, 0, 0, kMaxRetry, b.sink)) {
      b.pending.own.retry = static_cast<uint32_t>(*retry);
    }
  } else if (k == "enable_sni" || k == "verify_peer") {
    auto on = boolArg(node, b.sink);
    if (!on) return true;
    if (!tls) {
      b.ignored(node, "HTTP_GET speaks no TLS");
    } else {
      (k == "enable_sni" ? b.probe().enableSni : b.probe().verifyPeer) = *on;
    }
  } else if (k == "http_protocol") {
    if (!checkStatement(node, 1, 1, "http_protocol 1.0|1.0C|1.1", b.sink)) return true;
    const std::string& v = node.args[0];
    if (v == "1.0" || v == "1.0C" || v == "1.0c" || v == "1.1") {
      b.ignored(node, "the HTTP checker writes its own request line and closes after one response");
    } else {
      b.sink.error(node.where, "invalid value '" + v +
                                   "' for 'http_protocol': expected 1.0, "
                                   "1.0C or 1.1");
    }
  } else if (k == "fast_recovery") {
    if (boolArg(node, b.sink)) {
      b.ignored(node,
                "every url is checked in one probe, so a recovering real never waits "
                "delay_loop between urls");
    }
  } else if (k == "tls_compliant") {
    if (boolArg(node, b.sink)) b.ignored(node, "TLS sessions always end with close_notify");
  } else if (k == "sni_name") {
    b.notSupported(node, "the SNI name is the virtualhost (enable_sni)");
  } else {
    return false;
  }
  return true;
}

bool mapUdpKeyword(const Node& node, CheckerBlock& b) {
  const std::string& k = node.keyword;
  if (k == "payload" || k == "require_reply") {
    bool payload = k == "payload";
    if (!checkArgs(node, payload ? 1 : 0, SIZE_MAX, k + (payload ? " HEX..." : " [HEX...]"),
                   b.sink) ||
        !checkNoBlock(node, b.sink) ||
        !b.once(node, payload ? !b.probe().payload.empty() : b.probe().requireReply.has_value())) {
      return true;
    }
    std::string bytes;
    for (const auto& word : node.args) {
      if (appendHexBytes(word, bytes)) continue;
      bool masked = !payload && word.find_first_of("xX") != std::string::npos;
      b.sink.error(node.where, "invalid hex '" + word + "' for '" + k + "' in " + b.owner +
                                   (masked ? ": masked nibbles (x) are not supported"
                                           : ": expected hex digits"));
      return true;
    }
    (payload ? b.probe().payload : b.probe().requireReply.emplace()) = std::move(bytes);
  } else if (k == "min_reply_length" || k == "max_reply_length") {
    if (!checkStatement(node, 1, 1, k + " N", b.sink)) return true;
    if (numberArg(node, 0, 0, kMaxReplyLength, b.sink)) {
      b.ignored(node,
                "a reply passes when it begins with the require_reply bytes, whatever its "
                "length");
    }
  } else {
    return false;
  }
  return true;
}

bool mapMiscKeyword(const Node& node, CheckerBlock& b) {
  const std::string& k = node.keyword;
  if (k == "misc_path") {
    auto line = miscPathArg(node, b.owner, b.sink);
    if (line && b.once(node, !b.probe().miscPath.empty())) b.probe().miscPath = *line;
  } else if (k == "misc_timeout") {
    if (!checkStatement(node, 1, 1, "misc_timeout SECONDS", b.sink)) return true;
    if (auto seconds = numberArg(node, 0, 0, kMaxMiscTimeoutSec, b.sink)) {
      b.pending.miscTimeout = std::chrono::seconds(static_cast<int64_t>(*seconds));
    }
  } else if (k == "misc_dynamic") {
    if (!checkStatement(node, 0, 0, "misc_dynamic", b.sink)) return true;
    b.probe().miscDynamic = true;
    if (b.real.dynamicMisc) {
      b.sink.warning(node.where,
                     "second misc_dynamic MISC_CHECK on the same real_server: each "
                     "one's exit code overwrites the weight the other set, as in "
                     "keepalived");
    }
    b.real.dynamicMisc = true;
  } else if (k == "user") {
    b.ignored(node, "directord runs scripts as root");
  } else {
    return false;
  }
  return true;
}

bool sameLetters(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// One word of printable ASCII: it goes into a protocol line or name verbatim.
bool isPrintableWord(std::string_view word) {
  return !word.empty() &&
         std::all_of(word.begin(), word.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

void mapCheckerKeyword(const Node& node, CheckerBlock& b);

// keepalived 2.2.7 still reads SMTP_CHECK's deprecated `host { connect_ip ... }` blocks, each one
// a checker of its own with the block's helo_name (check_smtp.c WITH_HOST_ENTRIES). Its timing
// keywords other than connect_timeout set the whole SMTP_CHECK's, as there.
void mapSmtpHost(const Node& node, CheckerBlock& b) {
  if (!checkArgs(node, 0, 0, "host { connect_ip ADDR ... }", b.sink) ||
      !checkHasBlock(node, b.sink)) {
    return;
  }
  CheckerBlock host{{},         b.real,       "host block of " + b.owner,
                    b.kindName, std::nullopt, std::nullopt,
                    {},         b.sink,       false,
                    false,      false,        {}};
  host.pending.config.location = node.where.str();
  host.probe().kind = CheckKind::kSmtp;
  for (const Node& child : node.children) {
    const std::string& k = child.keyword;
    if (k == "connect_timeout") {
      mapCheckTiming(child, host.pending.own, b.sink);
    } else if (mapConnectionKeyword(child, host)) {
      continue;
    } else if (mapCheckTiming(child, b.pending.own, b.sink)) {
      continue;
    } else if (k == "helo_name" || k == "host") {
      b.sink.error(child.where, "keyword '" + k + "' is not valid in " + host.owner +
                                    ": write it in the SMTP_CHECK block");
    } else {
      mapCheckerKeyword(child, host);
    }
  }
  b.hosts.push_back(std::move(host));
}

bool mapSmtpKeyword(const Node& node, CheckerBlock& b) {
  const std::string& k = node.keyword;
  if (k == "helo_name") {
    if (!checkStatement(node, 1, 1, "helo_name NAME", b.sink) ||
        !b.once(node, !b.probe().heloName.empty())) {
      return true;
    }
    if (!isPrintableWord(node.args[0])) {
      b.sink.error(node.where, "invalid helo_name '" + node.args[0] + "' in " + b.owner +
                                   ": expected one word of printable characters");
      return true;
    }
    b.probe().heloName = node.args[0];
  } else if (k == "host") {
    mapSmtpHost(node, b);
  } else {
    return false;
  }
  return true;
}

// keepalived's dns_name_handler: no empty label. We also hold it to RFC 1035 §2.3.4's sizes
// (labels of 63 bytes, names of 255 on the wire), which the query must fit.
std::optional<std::string> dnsNameArg(const Node& node, CheckerBlock& b) {
  const std::string& name = node.args[0];
  auto invalid = [&](const std::string& why) {
    b.sink.error(node.where, "invalid DNS_CHECK name '" + name + "' in " + b.owner + ": " + why);
    return std::nullopt;
  };
  if (!isPrintableWord(name)) return invalid("expected one word of printable characters");
  if (name == ".") return std::string();
  std::string_view rest = name;
  if (rest.ends_with('.')) rest.remove_suffix(1);
  size_t wire = 1;
  for (size_t start = 0;;) {
    size_t dot = rest.find('.', start);
    size_t length = (dot == std::string_view::npos ? rest.size() : dot) - start;
    if (length == 0) return invalid("it has an empty label");
    if (length > 63) return invalid("a label is longer than 63 characters");
    wire += length + 1;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (wire > 255) return invalid("it is longer than 255 bytes in a query");
  return std::string(rest);
}

bool mapDnsKeyword(const Node& node, CheckerBlock& b, bool& typeSet, bool& nameSet) {
  const std::string& k = node.keyword;
  if (k == "type") {
    if (!checkStatement(node, 1, 1, "type A|NS|CNAME|SOA|MX|TXT|AAAA|RRSIG|DNSKEY", b.sink) ||
        !b.once(node, typeSet)) {
      return true;
    }
    auto it = std::find_if(kDnsTypes.begin(), kDnsTypes.end(),
                           [&](const auto& t) { return sameLetters(node.args[0], t.first); });
    if (it == kDnsTypes.end()) {
      b.sink.error(node.where, "unknown DNS_CHECK type '" + node.args[0] + "' in " + b.owner +
                                   ": expected A, NS, CNAME, SOA, MX, TXT, AAAA, RRSIG or DNSKEY");
      return true;
    }
    typeSet = true;
    b.probe().dnsType = it->second;
  } else if (k == "name") {
    if (!checkStatement(node, 1, 1, "name DOMAIN", b.sink) || !b.once(node, nameSet)) return true;
    nameSet = true;
    if (auto name = dnsNameArg(node, b)) b.probe().dnsName = *name;
  } else {
    return false;
  }
  return true;
}

void mapCheckerKeyword(const Node& node, CheckerBlock& b) {
  const std::string& k = node.keyword;
  CheckKind kind = b.probe().kind;
  if (kind == CheckKind::kMisc && contains(kConnectionKeywords, k)) {
    b.sink.error(node.where, "keyword '" + k + "' is not valid in " + b.owner +
                                 ": MISC_CHECK runs a program and opens no connection");
    return;
  }
  if (mapCheckTiming(node, b.pending.own, b.sink) || mapConnectionKeyword(node, b)) return;
  if (isHttp(kind) && mapHttpKeyword(node, b)) return;
  if (kind == CheckKind::kUdp && mapUdpKeyword(node, b)) return;
  if (kind == CheckKind::kMisc && mapMiscKeyword(node, b)) return;
  if (kind == CheckKind::kSmtp && mapSmtpKeyword(node, b)) return;
  if (kind == CheckKind::kDns && mapDnsKeyword(node, b, b.dnsTypeSet, b.dnsNameSet)) return;
  if (k == "alpha") {
    b.notSupported(node, "alpha applies to a whole virtual_server; write it there");
  } else if (k == "log_all_failures") {
    if (boolArg(node, b.sink)) b.ignored(node, "every failure is counted and shown by directorctl");
  } else {
    b.sink.error(node.where, "unknown keyword '" + k + "' in " + b.owner);
  }
}

// What the block as a whole must hold, and the probe's target; false if the checker is unusable.
bool finishChecker(const Node& node, const RealServerConfig& real, bool targetKnown,
                   CheckerBlock& b) {
  healthcheck::ProbeSpec& probe = b.probe();
  if (isHttp(probe.kind) && probe.urls.empty()) {
    b.sink.error(node.where, b.owner + " has no url: add url { path /PATH }");
    return false;
  }
  if (probe.kind == CheckKind::kMisc && probe.miscPath.empty()) {
    b.sink.error(node.where, b.owner + " has no misc_path");
    return false;
  }
  probe.address = b.connectIp.value_or(real.address);
  probe.port = b.connectPort.value_or(real.port);
  // The DNS port when the real has none (a DR real on port 0); ICMP has no port at all, and a
  // PING_CHECK keeps 0 so equal pings are one probe.
  if (probe.kind == CheckKind::kDns && probe.port == 0) probe.port = 53;
  if (probe.kind == CheckKind::kPing) probe.port = 0;
  if (probe.kind == CheckKind::kSmtp && probe.heloName.empty()) {
    probe.heloName = healthcheck::kDefaultHeloName;
  }
  if (probe.kind == CheckKind::kMisc || !targetKnown) return true;
  if (probe.port == 0 && probe.kind != CheckKind::kPing) {
    b.sink.error(node.where, b.owner + " needs connect_port: the real_server's port is 0");
    return false;
  }
  if (isLinkLocal(probe.address)) {
    // keepalived requires bind_if for it (check_conn_opts); we have no bind_if.
    b.sink.error(node.where, b.owner + " cannot probe link-local " + probe.address.str() +
                                 ": it needs bind_if, which is not supported");
    return false;
  }
  if (probe.bindTo && isLinkLocal(*probe.bindTo)) {
    b.sink.error(b.bindToWhere, "bindto " + probe.bindTo->str() + " in " + b.owner +
                                    " is link-local: it needs bind_if, which is not supported");
    return false;
  }
  if (probe.bindTo && probe.bindTo->family() != probe.address.family()) {
    b.sink.error(b.bindToWhere, "bindto " + probe.bindTo->str() + " in " + b.owner +
                                    " is not of the family of the address it connects to (" +
                                    probe.address.str() + ")");
    return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> httpWordArg(const Node& node, std::string_view owner,
                                       DiagnosticSink& sink) {
  if (!checkStatement(node, 1, 1, node.keyword + " VALUE", sink)) return std::nullopt;
  const std::string& value = node.args[0];
  if (value.empty() || value.find_first_of(" \t") != std::string::npos) {
    sink.error(node.where, "invalid value '" + value + "' for '" + node.keyword + "' in " +
                               std::string(owner) + ": expected one word without spaces");
    return std::nullopt;
  }
  return value;
}

bool mapCheckerBlock(const Node& node, const RealServerConfig& real, RealHealth& health,
                     bool targetKnown, DiagnosticSink& sink) {
  const std::string& k = node.keyword;
  const std::string of =
      " of real_server " + (targetKnown ? formatEndpoint(real.address, real.port) : "?");
  if (k == "BFD_CHECK") {
    // Never skipped silently: a skipped checker would keep in service a real that is down.
    sink.error(node.where, "checker BFD_CHECK" + of + " " + std::string(kBfdRefusal));
    return true;
  }
  if (k == "FILE_CHECK") {
    mapFileCheck(node, real, health, sink);
    return true;
  }
  auto kind = checkKindOf(k);
  if (!kind) return false;
  size_t errorsBefore = sink.errorCount();
  CheckerBlock b{{}, health, k + of, k,     std::nullopt, std::nullopt,
                 {}, sink,   false,  false, false,        {}};
  b.pending.config.location = node.where.str();
  b.probe().kind = *kind;
  bool shapeOk = checkArgs(node, 0, 0, k + " { ... }", sink) && checkHasBlock(node, sink);
  for (const Node& child : node.children) mapCheckerKeyword(child, b);
  if (!shapeOk) return true;
  // SMTP_CHECK with host blocks (keepalived's smtp_check_end_handler): each host is a checker;
  // the block's own target is one too only if a connection keyword was written in it.
  std::vector<CheckerBlock*> blocks;
  if (b.hosts.empty() || b.connectionWritten) blocks.push_back(&b);
  for (CheckerBlock& host : b.hosts) {
    const healthcheck::ProbeSpec target = host.probe();
    const CheckDefaults own = host.pending.own;
    host.pending.config.probe = b.probe();
    host.pending.own = b.pending.own;
    host.probe().bindTo = target.bindTo;
    host.probe().bindPort = target.bindPort;
    if (own.connectTimeout) host.pending.own.connectTimeout = own.connectTimeout;
    blocks.push_back(&host);
  }
  for (CheckerBlock* block : blocks) {
    if (!finishChecker(node, real, targetKnown, *block)) return true;
  }
  if (sink.errorCount() != errorsBefore) return true;
  for (CheckerBlock* block : blocks) health.checkers.push_back(std::move(block->pending));
  return true;
}

}  // namespace ha::director::config
