#include "director/ctl/ipvsadm_edit_args.h"

#include <array>
#include <charconv>
#include <map>
#include <optional>
#include <sstream>

#include "common/ip_address.h"

namespace ha::director {
namespace {

namespace pb = directord::admin;

// Long options as ipvsadm names them; the value is the short form they stand for.
const std::map<std::string_view, std::string_view>& longOptions() {
  static const std::map<std::string_view, std::string_view> names = {
      {"--add-service", "-A"},  {"--edit-service", "-E"},   {"--delete-service", "-D"},
      {"--add-server", "-a"},   {"--edit-server", "-e"},    {"--delete-server", "-d"},
      {"--save", "-S"},         {"--restore", "-R"},        {"--tcp-service", "-t"},
      {"--udp-service", "-u"},  {"--real-server", "-r"},    {"--weight", "-w"},
      {"--scheduler", "-s"},    {"--persistent", "-p"},     {"--gatewaying", "-g"},
      {"--masquerading", "-m"}, {"--ipip", "-i"},           {"--fullnat", "-b"},
      {"--numeric", "-n"},      {"--fwmark-service", "-f"},
  };
  return names;
}

constexpr std::string_view kCommands = "AEDaedSR";
constexpr std::string_view kFlags = "AEDaedSRgmibn";  // short options without a value

std::optional<uint32_t> number(std::string_view text) {
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

struct HostPort {
  IpAddress address;
  uint32_t port = 0;  // 0: not given
};

// "192.0.2.1:80", "[2001:db8::1]:80", and (reals) "198.51.100.11" or "[2001:db8::1]".
Result<HostPort> hostPort(std::string_view text, bool portRequired, std::string_view what) {
  std::string_view host = text;
  std::string_view port;
  if (text.starts_with("[")) {
    auto close = text.find(']');
    if (close == std::string_view::npos)
      return Error{std::string(what) + " '" + std::string(text) + "': no closing ']'"};
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(":"))
        return Error{std::string(what) + " '" + std::string(text) + "': expected ]:PORT"};
      port = rest.substr(1);
    }
  } else if (auto colon = text.rfind(':');
             colon != std::string_view::npos && text.find(':') == colon) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  auto address = IpAddress::parse(host);
  if (!address)
    return Error{std::string(what) + " '" + std::string(text) +
                 "': not an IP address (names are not resolved)"};
  HostPort out{*address, 0};
  if (port.empty()) {
    if (portRequired || text.ends_with(":"))
      return Error{std::string(what) + " '" + std::string(text) + "' needs a :PORT"};
    return out;
  }
  auto p = number(port);
  if (!p || *p == 0 || *p > UINT16_MAX)
    return Error{std::string(what) + " '" + std::string(text) + "': port must be 1-65535"};
  out.port = *p;
  return out;
}

// "-Sn" -> "-S" "-n"; "--weight=3" -> "--weight" "3"; long names -> their short form.
Result<std::vector<std::string>> normalize(const std::vector<std::string_view>& args) {
  std::vector<std::string> out;
  for (std::string_view a : args) {
    if (a.starts_with("--")) {
      std::string_view name = a;
      std::optional<std::string_view> value;
      if (auto eq = a.find('='); eq != std::string_view::npos) {
        name = a.substr(0, eq);
        value = a.substr(eq + 1);
      }
      auto it = longOptions().find(name);
      if (it == longOptions().end()) return Error{"unknown option " + std::string(a)};
      out.emplace_back(it->second);
      if (value) out.emplace_back(*value);
      continue;
    }
    if (a.size() > 2 && a[0] == '-' &&
        a.substr(1).find_first_not_of(kFlags) == std::string_view::npos) {
      for (char c : a.substr(1)) out.push_back(std::string("-") + c);
      continue;
    }
    out.emplace_back(a);
  }
  return out;
}

pb::Edit::Op opOf(char command) {
  switch (command) {
    case 'A':
      return pb::Edit::ADD_SERVICE;
    case 'E':
      return pb::Edit::EDIT_SERVICE;
    case 'D':
      return pb::Edit::DELETE_SERVICE;
    case 'a':
      return pb::Edit::ADD_REAL;
    case 'e':
      return pb::Edit::EDIT_REAL;
    default:
      return pb::Edit::DELETE_REAL;
  }
}

// Which options each command takes (ipvsadm.c's commands_v_options, for the ones we serve).
bool allowed(char command, char option) {
  switch (command) {
    case 'A':
    case 'E':
      return std::string_view("tufsp").find(option) != std::string_view::npos;
    case 'D':
      return option == 't' || option == 'u' || option == 'f';
    case 'a':
    case 'e':
      return std::string_view("tufrwgmib").find(option) != std::string_view::npos;
    case 'd':
      return std::string_view("tufr").find(option) != std::string_view::npos;
    case 'S':
      return option == 'n';
    default:
      return false;
  }
}

}  // namespace

bool isEditVerb(std::string_view arg) {
  if (arg == "--set") return true;
  if (arg.size() == 2 && arg[0] == '-' && kCommands.find(arg[1]) != std::string_view::npos)
    return true;
  if (auto it = longOptions().find(arg.substr(0, arg.find('='))); it != longOptions().end()) {
    return kCommands.find(it->second[1]) != std::string_view::npos;
  }
  // "-Sn": a command letter first, clustered with flags.
  return arg.size() > 2 && arg[0] == '-' && kCommands.find(arg[1]) != std::string_view::npos &&
         arg.substr(1).find_first_not_of(kFlags) == std::string_view::npos;
}

namespace {

// ipvsadm --set TCP TCPFIN UDP: seconds, 0 leaves a value unchanged (the node checks the range).
Result<EditCommand> parseSetTimeouts(const std::vector<std::string_view>& raw) {
  if (raw.size() != 4)
    return Error{"--set takes three values: TCP TCPFIN UDP (seconds, 0 = unchanged)"};
  EditCommand out;
  out.edit.set_op(pb::Edit::SET_TIMEOUTS);
  std::array<uint32_t, 3> values{};
  for (size_t k = 0; k < values.size(); ++k) {
    std::string_view text = raw[k + 1];
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, values[k]);
    if (text.empty() || ec != std::errc() || ptr != end) {
      return Error{"--set: '" + std::string(text) + "' is not a number of seconds"};
    }
  }
  out.edit.mutable_timeouts()->set_tcp(values[0]);
  out.edit.mutable_timeouts()->set_tcpfin(values[1]);
  out.edit.mutable_timeouts()->set_udp(values[2]);
  return out;
}

}  // namespace

Result<EditCommand> parseEditArgs(const std::vector<std::string_view>& raw) {
  if (!raw.empty() && raw.front() == "--set") return parseSetTimeouts(raw);
  auto normalized = normalize(raw);
  if (!normalized) return Error{normalized.error()};
  const auto& args = normalized.value();
  char command = 0;
  for (const auto& a : args) {
    if (a.size() == 2 && a[0] == '-' && kCommands.find(a[1]) != std::string_view::npos) {
      if (command != 0)
        return Error{"only one command at a time (-" + std::string(1, command) + " and " + a + ")"};
      command = a[1];
    }
  }
  if (command == 0) return Error{"no command (-A, -E, -D, -a, -e, -d, -S or -R)"};

  EditCommand out;
  out.verb = command == 'S'   ? EditCommand::Verb::kSave
             : command == 'R' ? EditCommand::Verb::kRestore
                              : EditCommand::Verb::kEdit;
  pb::Edit& e = out.edit;
  e.set_op(opOf(command));
  bool haveService = false;
  bool haveForwarding = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() != 2 || a[0] != '-') return Error{"unexpected argument '" + a + "'"};
    char option = a[1];
    if (kCommands.find(option) != std::string_view::npos) continue;
    if (!allowed(command, option)) {
      return Error{"option " + a + " cannot be used with -" + std::string(1, command)};
    }
    auto value = [&]() -> Result<std::string> {
      if (i + 1 == args.size()) return Error{"option " + a + " needs a value"};
      return args[++i];
    };
    switch (option) {
      case 't':
      case 'u': {
        if (haveService) return Error{"only one -t or -u"};
        auto v = value();
        if (!v) return Error{v.error()};
        auto service = hostPort(v.value(), true, "virtual service");
        if (!service) return Error{service.error()};
        e.mutable_service()->set_protocol(option == 't' ? "TCP" : "UDP");
        e.mutable_service()->set_vip(service->address.str());
        e.mutable_service()->set_port(service->port);
        haveService = true;
        break;
      }
      case 'f': {  // ipvsadm -f MARK: a service selected by the packet mark
        if (haveService) return Error{"only one -t, -u or -f"};
        auto v = value();
        if (!v) return Error{v.error()};
        auto mark = number(v.value());
        if (!mark || *mark == 0)
          return Error{"-f '" + v.value() + "': expected a mark 1-4294967295"};
        e.mutable_service()->set_fwmark(*mark);
        haveService = true;
        break;
      }
      case 's': {
        auto v = value();
        if (!v) return Error{v.error()};
        if (v.value().empty()) return Error{"-s needs a scheduler name"};
        e.set_scheduler(v.value());
        break;
      }
      case 'p': {
        // The value is optional (ipvsadm): taken only when the next word is a number.
        e.set_persistence_timeout(kDefaultPersistenceSec);
        if (i + 1 < args.size() && !args[i + 1].starts_with("-")) {
          auto seconds = number(args[i + 1]);
          if (!seconds || *seconds == 0)
            return Error{"-p '" + args[i + 1] + "': expected seconds, 1 or more"};
          e.set_persistence_timeout(*seconds);
          ++i;
        }
        break;
      }
      case 'r': {
        auto v = value();
        if (!v) return Error{v.error()};
        auto real = hostPort(v.value(), false, "real server");
        if (!real) return Error{real.error()};
        e.set_real_address(real->address.str());
        e.set_real_port(real->port);
        break;
      }
      case 'w': {
        auto v = value();
        if (!v) return Error{v.error()};
        auto weight = number(v.value());
        if (!weight || *weight > UINT16_MAX)
          return Error{"-w '" + v.value() + "': expected a weight 0-65535"};
        e.set_weight(*weight);
        break;
      }
      case 'g':
      case 'm':
      case 'i':
      case 'b':
        if (haveForwarding) return Error{"only one of -g, -m, -i, -b"};
        haveForwarding = true;
        e.set_forwarding(option == 'g'   ? "DR"
                         : option == 'm' ? "NAT"
                         : option == 'i' ? "TUN"
                                         : "FNAT");
        break;
      case 'n':
        out.numeric = true;
        break;
      default:
        return Error{"unknown option " + a};
    }
  }
  if (out.verb == EditCommand::Verb::kEdit) {
    if (!haveService) return Error{"-" + std::string(1, command) + " needs -t|-u VIP:PORT"};
    if (std::string_view("aed").find(command) != std::string_view::npos &&
        e.real_address().empty()) {
      return Error{"-" + std::string(1, command) + " needs -r RIP[:PORT]"};
    }
    // A real given without its port takes the service's, as in ipvsadm.
    if (!e.real_address().empty() && e.real_port() == 0) e.set_real_port(e.service().port());
  }
  return out;
}

Result<pb::EditBatch> parseRestore(std::istream& in) {
  pb::EditBatch batch;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::istringstream words(line);
    std::vector<std::string> owned;
    for (std::string w; words >> w;) owned.push_back(w);
    if (owned.empty() || owned[0].starts_with("#")) continue;
    std::vector<std::string_view> args(owned.begin(), owned.end());
    auto parsed = parseEditArgs(args);
    if (!parsed) return Error{"line " + std::to_string(number) + ": " + parsed.error()};
    if (parsed->verb != EditCommand::Verb::kEdit) {
      return Error{"line " + std::to_string(number) +
                   ": only -A, -E, -D, -a, -e, -d lines can be restored"};
    }
    *batch.add_edits() = parsed->edit;
  }
  if (batch.edits_size() == 0) return Error{"nothing to restore: no edit lines on stdin"};
  return batch;
}

namespace {

std::string_view modeFlag(const std::string& mode) {
  if (mode == "DR") return "-g";
  if (mode == "TUN") return "-i";
  if (mode == "FNAT") return "-b";
  return "-m";
}

std::string endpoint(const std::string& address, uint32_t port) {
  auto parsed = IpAddress::parse(address);
  if (!parsed) return address + ":" + std::to_string(port);
  return formatEndpoint(*parsed, static_cast<uint16_t>(port));
}

}  // namespace

std::string formatSave(const pb::ServiceList& list) {
  std::string out;
  for (const auto& s : list.services()) {
    // A virtual_server_group lives in the configuration only (-A cannot create one).
    if (!s.group().empty()) continue;
    const std::string service =
        s.fwmark() != 0 ? "-f " + std::to_string(s.fwmark())
                        : (s.protocol() == "UDP" ? "-u " : "-t ") + endpoint(s.vip(), s.port());
    out += "-A " + service + " -s " + s.scheduler();
    if (s.persistence_timeout() != 0) out += " -p " + std::to_string(s.persistence_timeout());
    out += "\n";
    for (const auto& r : s.reals()) {
      // The weight as configured or edited, not the one health or inhibition lowered for now.
      out += "-a " + service + " -r " + endpoint(r.address(), r.port()) + " " +
             std::string(modeFlag(s.mode())) + " -w " + std::to_string(r.configured_weight()) +
             "\n";
    }
  }
  return out;
}

}  // namespace ha::director
