#pragma once
// The names iproute2 gives routing tables and route protocols (`table vips`, `proto bird`), read
// as keepalived (lib/rttables.c) and `ip` read them: built-in names, then /etc/iproute2/rt_tables
// and rt_protos, their .d/*.conf, and /usr/share/iproute2/ (where newer iproute2 keeps the
// defaults). A number (decimal or 0x hex) is always accepted.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ha::director::config {

struct Iproute2Names {
  std::map<std::string, uint32_t, std::less<>> tables;
  std::map<std::string, uint32_t, std::less<>> protocols;
};

// local, main, default; none, redirect, kernel, boot, static, ... keepalived (18).
Iproute2Names builtinIproute2Names();
// Adds the "ID NAME" lines of one file ('#' starts a comment); lines that are not that, or whose
// ID passes `max`, are skipped as iproute2 skips them.
void addIproute2Names(std::string_view text, uint32_t max,
                      std::map<std::string, uint32_t, std::less<>>& into);
// The built-in names plus the files on this host, read once.
const Iproute2Names& hostIproute2Names();

// A number (at most `max`) or a name of `names`.
std::optional<uint32_t> iproute2Value(std::string_view word,
                                      const std::map<std::string, uint32_t, std::less<>>& names,
                                      uint32_t max);

}  // namespace ha::director::config
