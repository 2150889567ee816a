#include "director/real/tun_state.h"

#include <sstream>

namespace ha::real {

namespace {

const char* decapName(DecapMode mode) { return mode == DecapMode::kIpip ? "ipip" : "bpf"; }

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

std::string formatTunState(const TunState& state) {
  std::ostringstream out;
  out << "# directord-real tun up: what tun down removes\n";
  out << "device " << state.device << "\n";
  out << "decap " << decapName(state.decap) << "\n";
  for (const auto& v : state.vips) out << "vip " << v.str() << "\n";
  for (const auto& d : state.directors) out << "director " << d.str() << "\n";
  for (const auto& a : state.addedToLo) out << "added-to-lo " << a.str() << "\n";
  for (const auto& s : state.sysctls)
    out << "sysctl " << s.path << " " << s.before << " " << s.after << "\n";
  for (const auto& l : state.linksUp) out << "link-up " << l << "\n";
  return out.str();
}

Result<TunState> parseTunState(std::string_view text) {
  TunState state;
  std::istringstream in{std::string(text)};
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    auto w = words(line);
    if (w.empty() || w[0][0] == '#') continue;
    auto bad = [&](const std::string& why) {
      return Error{"tun state line " + std::to_string(number) + ": " + why};
    };
    const std::string& key = w[0];
    if (key == "sysctl") {
      if (w.size() != 4) return bad("sysctl needs PATH BEFORE AFTER");
      state.sysctls.push_back({w[1], w[2], w[3]});
      continue;
    }
    if (w.size() != 2) return bad("'" + key + "' needs one value");
    const std::string& value = w[1];
    if (key == "device") {
      state.device = value;
    } else if (key == "decap") {
      if (value != "bpf" && value != "ipip") return bad("unknown decap '" + value + "'");
      state.decap = value == "ipip" ? DecapMode::kIpip : DecapMode::kBpf;
    } else if (key == "link-up") {
      state.linksUp.push_back(value);
    } else if (key == "vip" || key == "director" || key == "added-to-lo") {
      auto address = IpAddress::parse(value);
      if (!address) return bad("'" + value + "' is not an IP address");
      auto& list = key == "vip"        ? state.vips
                   : key == "director" ? state.directors
                                       : state.addedToLo;
      list.push_back(*address);
    } else {
      return bad("unknown key '" + key + "'");
    }
  }
  if (state.device.empty()) return Error{"tun state: no device line"};
  return state;
}

}  // namespace ha::real
