#include "director/ctl/ipvsadm_args.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

namespace ha::director {
namespace {

// ipvsadm's edit and save/restore/zero commands: another parser's (ipvsadm's `commands` table).
constexpr std::string_view kEditShortVerbs = "AEDaedSRZ";
constexpr std::array<std::string_view, 10> kEditLongVerbs = {
    "--add-service",   "--edit-service", "--delete-service", "--add-server", "--edit-server",
    "--delete-server", "--save",         "--restore",        "--zero",       "--set"};

std::optional<uint16_t> parsePort(std::string_view text) {
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(value);
}

std::optional<CtlVerb> subcommand(std::string_view word) {
  if (word == "list") return CtlVerb::kList;
  if (word == "health") return CtlVerb::kHealth;
  if (word == "lookup") return CtlVerb::kLookup;
  if (word == "vrrp") return CtlVerb::kVrrp;
  if (word == "sync") return CtlVerb::kSync;
  if (word == "conntrack") return CtlVerb::kConntrack;
  if (word == "status") return CtlVerb::kStatus;
  return std::nullopt;
}

// The walk over argv: global options, ipvsadm's list flags, and at most one command.
class Parser {
 public:
  explicit Parser(const std::vector<std::string_view>& args) : args_(args) {}

  Result<CtlCommand> run() {
    for (i_ = 0; i_ < args_.size(); ++i_) {
      if (auto step = take(args_[i_]); !step) return Error{step.error()};
      if (done_) return command_;
    }
    return finish();
  }

 private:
  Status take(std::string_view arg) {
    if (arg == "--json") {
      command_.json = true;
      return okStatus();
    }
    if (arg == "--admin-socket") return value("--admin-socket", command_.socketPath);
    if (arg.starts_with("--admin-socket=")) {
      command_.socketPath = std::string(arg.substr(arg.find('=') + 1));
      return okStatus();
    }
    if (arg.starts_with("--")) return longOption(arg);
    if (arg.starts_with("-") && arg.size() > 1) return shortCluster(arg);
    return word(arg);
  }

  Status longOption(std::string_view arg) {
    std::string_view name = arg.substr(0, arg.find('='));
    std::optional<std::string_view> inlineValue;
    if (name.size() != arg.size()) inlineValue = arg.substr(name.size() + 1);
    if (std::find(kEditLongVerbs.begin(), kEditLongVerbs.end(), name) != kEditLongVerbs.end()) {
      return edit();
    }
    if (name == "--tcp-service" || name == "--udp-service") {
      return service(name == "--tcp-service" ? "TCP" : "UDP", name, inlineValue);
    }
    if (inlineValue) return Error{"option " + std::string(name) + " takes no value"};
    if (name == "--help") return finishWith(CtlVerb::kHelp);
    if (name == "--version") return finishWith(CtlVerb::kVersion);
    if (name == "--list") return setVerb(CtlVerb::kList, "--list");
    if (name == "--numeric") return flag(command_.numeric, name);
    if (name == "--stats") return flag(command_.stats, name);
    if (name == "--rate") return flag(command_.rate, name);
    if (name == "--exact") return flag(command_.exact, name);
    if (name == "--timeout") return flag(command_.timeout, name);
    if (name == "--connection") return flag(connection_, name);
    return Error{"unknown option " + std::string(arg)};
  }

  // popt's clusters: "-Lcn" is -L -c -n; a value-taking letter takes the rest ("-t1.2.3.4:80")
  // or the next argument.
  Status shortCluster(std::string_view arg) {
    for (size_t k = 1; k < arg.size(); ++k) {
      const char c = arg[k];
      const std::string option = std::string("-") + c;
      if (kEditShortVerbs.find(c) != std::string_view::npos) return edit();
      Status step = okStatus();
      switch (c) {
        case 'h':
          return finishWith(CtlVerb::kHelp);
        case 'L':
        case 'l':
          step = setVerb(CtlVerb::kList, option);
          break;
        case 'n':
          step = flag(command_.numeric, option);
          break;
        case 'c':
          step = flag(connection_, option);
          break;
        case 't':
        case 'u': {
          std::optional<std::string_view> attached;
          if (k + 1 < arg.size()) attached = arg.substr(k + 1);
          return service(c == 't' ? "TCP" : "UDP", option, attached);
        }
        default:
          return Error{"unknown option " + option +
                       (arg.size() > 2 ? " (in " + std::string(arg) + ")" : "")};
      }
      if (!step) return step;
    }
    return okStatus();
  }

  Status word(std::string_view arg) {
    if (verb_ == CtlVerb::kLookup && fromSubcommand_) {
      command_.operands.emplace_back(arg);
      return okStatus();
    }
    if (verb_) {
      return Error{fromSubcommand_ ? verbWord_ + " takes no argument \"" + std::string(arg) + "\""
                                   : "unexpected argument \"" + std::string(arg) + "\""};
    }
    auto named = subcommand(arg);
    if (!named) return Error{"unknown command " + std::string(arg)};
    fromSubcommand_ = true;
    return setVerb(*named, arg);
  }

  Status service(std::string_view protocol, std::string_view option,
                 std::optional<std::string_view> attached) {
    if (command_.service) return Error{"multiple -t/-u options given"};
    std::string_view text;
    if (attached) {
      text = *attached;
    } else if (i_ + 1 < args_.size()) {
      text = args_[++i_];
    } else {
      return Error{std::string(option) + " needs VIP:PORT"};
    }
    auto parsed = parseServiceAddress(protocol, text);
    if (!parsed) return Error{std::string(option) + ": " + parsed.error()};
    command_.service = std::move(parsed.value());
    return okStatus();
  }

  Status value(std::string_view option, std::string& out) {
    if (i_ + 1 >= args_.size()) return Error{std::string(option) + " needs a PATH"};
    out = std::string(args_[++i_]);
    return okStatus();
  }

  static Status flag(bool& target, std::string_view option) {
    if (target) return Error{"option " + std::string(option) + " given twice"};
    target = true;
    return okStatus();
  }

  Status setVerb(CtlVerb verb, std::string_view word) {
    if (verb_) return Error{"multiple commands given (" + std::string(word) + ")"};
    verb_ = verb;
    verbWord_ = std::string(word);
    return okStatus();
  }

  Status finishWith(CtlVerb verb) {
    command_.verb = verb;
    done_ = true;
    return okStatus();
  }

  Status edit() {
    command_.operands.assign(args_.begin(), args_.end());
    return finishWith(CtlVerb::kEdit);
  }

  bool anyListOption() const {
    return command_.numeric || command_.stats || command_.rate || command_.exact || connection_ ||
           command_.timeout || command_.service.has_value();
  }

  Result<CtlCommand> finish() {
    if (command_.socketPath.empty()) return Error{"--admin-socket PATH is empty"};
    // ipvsadm lists when given list options and no command.
    if (!verb_ && anyListOption()) verb_ = CtlVerb::kList;
    if (!verb_) return Error{"no command given"};
    command_.verb = *verb_;
    if (command_.verb == CtlVerb::kList) return finishList();
    if (anyListOption()) {
      return Error{verbWord_ + " takes no list options (-n, -c, -t, --stats, ...)"};
    }
    const size_t lookupWords = command_.operands.size();
    const bool withMark = lookupWords == 7 && command_.operands[5] == "fwmark";
    if (command_.verb == CtlVerb::kLookup && lookupWords != 5 && !withMark) {
      return Error{"lookup takes tcp|udp SRC SPORT VIP VPORT"};
    }
    return command_;
  }

  Result<CtlCommand> finishList() {
    // ipvsadm's commands_v_options: the output formats exclude each other.
    const int formats =
        int{command_.stats} + int{command_.rate} + int{connection_} + int{command_.timeout};
    if (formats > 1) {
      return Error{"--stats, --rate, --timeout and -c (--connection) exclude each other"};
    }
    if (command_.timeout && command_.service)
      return Error{"--timeout takes no -t/-u: the timeouts are global"};
    if (fromSubcommand_) command_.numeric = true;  // `list` always was numeric
    if (connection_) command_.verb = CtlVerb::kConnections;
    return command_;
  }

  const std::vector<std::string_view>& args_;
  size_t i_ = 0;
  CtlCommand command_;
  std::optional<CtlVerb> verb_;
  std::string verbWord_;
  bool fromSubcommand_ = false;
  bool connection_ = false;
  bool done_ = false;
};

}  // namespace

std::string ServiceSelector::str() const { return protocol + " " + formatEndpoint(vip, port); }

Result<ServiceSelector> parseServiceAddress(std::string_view protocol, std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with("[")) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Error{"\"" + std::string(text) + "\" is not [IPv6]:PORT"};
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return Error{"\"" + std::string(text) + "\" is not VIP:PORT (IPv6 as [VIP]:PORT)"};
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  auto address = IpAddress::parse(host);
  if (!address) {
    return Error{"\"" + std::string(host) + "\" is not an IP address (names are not resolved)"};
  }
  auto number = parsePort(port);
  if (!number) return Error{"port \"" + std::string(port) + "\" is not in 1-65535"};
  return ServiceSelector{std::string(protocol), *address, *number};
}

Result<CtlCommand> parseCtlArgs(const std::vector<std::string_view>& args) {
  return Parser(args).run();
}

}  // namespace ha::director
