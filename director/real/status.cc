#include "director/real/status.h"

#include <net/if.h>

#include <sstream>

#include "director/real/bpf_objects.h"
#include "director/real/host.h"
#include "director/real/real_abi.h"
#include "director/real/toa.h"
#include "director/real/tun_state.h"

namespace ha::real {

namespace {

constexpr const char* kDecapCounterNames[REAL_DECAP_COUNTER_MAX] = {
    "decapsulated", "refused-not-vip", "refused-director", "malformed", "failed"};
constexpr const char* kToaCounterNames[REAL_TOA_COUNTER_MAX] = {"option-found", "no-option",
                                                                "no-saved-syn", "peer-rewritten"};

std::string joined(const std::vector<IpAddress>& list) {
  std::string out;
  for (const auto& a : list) out += (out.empty() ? "" : " ") + a.str();
  return out.empty() ? "-" : out;
}

void tunReport(std::ostringstream& out, uint64_t netns) {
  auto text = readFile(netRunDir(netns) + "/tun.state");
  if (!text) {
    out << "tun: down\n";
    return;
  }
  auto state = parseTunState(*text);
  if (!state) {
    out << "tun: unreadable state: " << state.error() << "\n";
    return;
  }
  bool bpf = state->decap == DecapMode::kBpf;
  out << "tun: up on " << state->device << " decap " << (bpf ? "bpf" : "ipip") << "\n";
  out << "  vips: " << joined(state->vips) << "\n";
  out << "  added-to-lo: " << joined(state->addedToLo) << "\n";
  out << "  directors: " << (state->directors.empty() ? "any" : joined(state->directors)) << "\n";
  for (const auto& s : state->sysctls)
    out << "  sysctl " << s.path << " " << s.before << " -> " << s.after << "\n";
  if (!bpf) return;
  const std::string pinDir = netPinDir(netns);
  std::string attached = "no (no pinned link)";
  if (auto link = openPinned(pinDir + "/decap_link")) {
    auto program = linkProgramId(link->get());
    unsigned index = if_nametoindex(state->device.c_str());
    if (program && index != 0) {
      auto runs = tcxIngressRuns(index, *program);
      attached =
          runs && *runs ? "yes (program " + std::to_string(*program) + ")" : "no (link defunct)";
    }
  }
  out << "  attached: " << attached << "\n";
  if (auto map = openPinned(pinDir + "/real_decap_counters")) {
    if (auto counters = readCounters(map->get(), REAL_DECAP_COUNTER_MAX)) {
      for (uint32_t i = 0; i < REAL_DECAP_COUNTER_MAX; ++i) {
        out << "  " << kDecapCounterNames[i] << ": " << (*counters)[i] << "\n";
      }
    }
  }
}

}  // namespace

Result<std::string> statusReport() {
  auto netns = netnsInode();
  if (!netns) return Error{netns.error()};
  if (auto st = ensureBpffs(false); !st) return Error{st.error()};
  std::ostringstream out;
  out << "network namespace: " << *netns << "\n";
  tunReport(out, *netns);
  auto attachments = toaAttachments();
  if (attachments.empty()) out << "toa: not attached\n";
  for (const auto& a : attachments) {
    out << "toa: " << a.cgroup << (a.attached ? "" : " (defunct: the cgroup is gone)") << "\n";
    for (size_t i = 0; i < a.counters.size() && i < REAL_TOA_COUNTER_MAX; ++i) {
      out << "  " << kToaCounterNames[i] << ": " << a.counters[i] << "\n";
    }
  }
  return out.str();
}

}  // namespace ha::real
