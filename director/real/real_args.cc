#include "director/real/real_args.h"

#include <algorithm>

namespace ha::real {

namespace {

bool isSeparator(char c) { return c == ',' || c == ' ' || c == '\t' || c == '\n'; }

// Appends the addresses of `text`, dropping repeats (a VIP named twice is one VIP).
Status appendAddresses(const std::string& option, const std::string& text,
                       std::vector<IpAddress>& out) {
  auto list = parseAddressList(text);
  if (!list) return Error{option + ": " + list.error()};
  for (const auto& a : *list) {
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  return okStatus();
}

// The value after args[i], advancing i; an error when the option is last.
Result<std::string> valueOf(const std::vector<std::string>& args, size_t& i) {
  if (i + 1 >= args.size()) return Error{args[i] + " needs a value"};
  return args[++i];
}

Result<Command> parseTunUp(const std::vector<std::string>& args, size_t i) {
  TunUp up;
  for (; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--vip" || word == "--director") {
      auto value = valueOf(args, i);
      if (!value) return Error{value.error()};
      auto& list = word == "--vip" ? up.vips : up.directors;
      if (auto st = appendAddresses(word, *value, list); !st) return Error{st.error()};
    } else if (word == "--device") {
      auto value = valueOf(args, i);
      if (!value) return Error{value.error()};
      if (!up.device.empty()) return Error{"--device given twice"};
      if (value->empty()) return Error{"--device: empty device name"};
      up.device = *value;
    } else if (word == "--decap") {
      auto value = valueOf(args, i);
      if (!value) return Error{value.error()};
      if (*value == "bpf") {
        up.decap = DecapMode::kBpf;
      } else if (*value == "ipip") {
        up.decap = DecapMode::kIpip;
      } else {
        return Error{"--decap: '" + *value + "' is neither bpf nor ipip"};
      }
    } else {
      return Error{"tun up: unknown argument '" + word + "'"};
    }
  }
  if (up.vips.empty()) return Error{"tun up: no --vip given"};
  if (up.device.empty()) return Error{"tun up: no --device given"};
  if (up.decap == DecapMode::kIpip && !up.directors.empty()) {
    return Error{"tun up: --director needs --decap bpf (the kernel's tunl0 has no allow-list)"};
  }
  return Command{up};
}

Result<Command> parseToa(const std::vector<std::string>& args, size_t i, bool attach) {
  std::string cgroup;
  bool given = false;
  for (; i < args.size(); ++i) {
    if (args[i] != "--cgroup") return Error{"toa: unknown argument '" + args[i] + "'"};
    auto value = valueOf(args, i);
    if (!value) return Error{value.error()};
    if (given) return Error{"--cgroup given twice"};
    given = true;
    cgroup = *value;
  }
  if (!given)
    return Error{std::string("toa ") + (attach ? "attach" : "detach") + ": no --cgroup given"};
  if (attach) return Command{ToaAttach{cgroup}};
  return Command{ToaDetach{cgroup}};
}

}  // namespace

Result<std::vector<IpAddress>> parseAddressList(const std::string& text) {
  std::vector<IpAddress> out;
  size_t i = 0;
  while (i < text.size()) {
    if (isSeparator(text[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < text.size() && !isSeparator(text[end])) ++end;
    std::string word = text.substr(i, end - i);
    auto address = IpAddress::parse(word);
    if (!address) return Error{"'" + word + "' is not an IP address"};
    out.push_back(*address);
    i = end;
  }
  return out;
}

Result<Command> parseArgs(const std::vector<std::string>& args) {
  if (args.empty()) return Error{"no command given"};
  const std::string& first = args[0];
  if (first == "-h" || first == "--help" || first == "help") return Command{ShowHelp{}};
  if (first == "status") {
    if (args.size() > 1) return Error{"status: unknown argument '" + args[1] + "'"};
    return Command{ShowStatus{}};
  }
  if (args.size() < 2) return Error{first + ": missing subcommand"};
  const std::string& verb = args[1];
  if (first == "tun" && verb == "up") return parseTunUp(args, 2);
  if (first == "tun" && verb == "down") {
    if (args.size() > 2) return Error{"tun down: unknown argument '" + args[2] + "'"};
    return Command{TunDown{}};
  }
  if (first == "toa" && (verb == "attach" || verb == "detach")) {
    return parseToa(args, 2, verb == "attach");
  }
  return Error{"unknown command '" + first + " " + verb + "'"};
}

std::string usage() {
  return "usage: directord-real tun up --vip ADDR[,ADDR...] --device DEV [--director "
         "ADDR[,ADDR...]]\n"
         "                             [--decap bpf|ipip]\n"
         "       directord-real tun down\n"
         "       directord-real toa attach --cgroup PATH\n"
         "       directord-real toa detach --cgroup PATH\n"
         "       directord-real status\n"
         "Prepares a real server of directord: TUN decapsulation with the VIPs on lo (tun), and "
         "the\n"
         "client address of FULLNAT's TOA option in accept()/getpeername() (toa). "
         "docs/real-servers.md\n";
}

}  // namespace ha::real
