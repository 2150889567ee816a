// directord-real: prepares a real server of directord (TUN decapsulation, TOA client addresses).
// Exit 0 done, 1 failed (nothing half-done is left), 2 usage. docs/real-servers.md
#include <cstdio>
#include <string>
#include <variant>
#include <vector>

#include "director/real/real_args.h"
#include "director/real/status.h"
#include "director/real/toa.h"
#include "director/real/tun.h"

namespace {

ha::Result<std::string> run(const ha::real::Command& command) {
  using namespace ha::real;
  if (const auto* up = std::get_if<TunUp>(&command)) return tunUp(*up);
  if (std::holds_alternative<TunDown>(command)) return tunDown();
  if (const auto* attach = std::get_if<ToaAttach>(&command)) return toaAttach(attach->cgroup);
  if (const auto* detach = std::get_if<ToaDetach>(&command)) return toaDetach(detach->cgroup);
  if (std::holds_alternative<ShowStatus>(command)) return statusReport();
  return usage();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto command = ha::real::parseArgs(args);
  if (!command) {
    std::fprintf(stderr, "directord-real: %s\n%s", command.error().c_str(),
                 ha::real::usage().c_str());
    return 2;
  }
  auto result = run(*command);
  if (!result) {
    std::fprintf(stderr, "directord-real: %s\n", result.error().c_str());
    return 1;
  }
  std::fputs(result->c_str(), stdout);
  if (!result->empty() && result->back() != '\n') std::fputc('\n', stdout);
  return 0;
}
