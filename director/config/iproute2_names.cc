#include "director/config/iproute2_names.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace ha::director::config {
namespace {

std::optional<uint64_t> numberOf(std::string_view word) {
  if (word.empty() || word.size() > 20) return std::nullopt;
  const std::string text(word);
  if (text[0] == '-' || text[0] == '+') return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(text.c_str(), &end, 0);  // 0x.. as keepalived
  if (errno != 0 || end != text.c_str() + text.size()) return std::nullopt;
  return value;
}

void readInto(const std::filesystem::path& path, uint32_t max,
              std::map<std::string, uint32_t, std::less<>>& into) {
  std::ifstream in(path);
  if (!in) return;
  std::stringstream text;
  text << in.rdbuf();
  addIproute2Names(text.str(), max, into);
}

// FILE, then FILE.d/*.conf in name order (iproute2's order), under each base directory.
void readAll(std::string_view file, uint32_t max,
             std::map<std::string, uint32_t, std::less<>>& into) {
  for (const char* base : {"/usr/share/iproute2/", "/etc/iproute2/"}) {
    const std::filesystem::path path = std::string(base) + std::string(file);
    readInto(path, max, into);
    std::error_code ec;
    std::vector<std::filesystem::path> confs;
    for (const auto& e : std::filesystem::directory_iterator(path.string() + ".d", ec)) {
      if (e.path().extension() == ".conf") confs.push_back(e.path());
    }
    std::sort(confs.begin(), confs.end());
    for (const auto& conf : confs) readInto(conf, max, into);
  }
}

}  // namespace

Iproute2Names builtinIproute2Names() {
  Iproute2Names n;
  n.tables = {{"default", 253}, {"main", 254}, {"local", 255}};
  n.protocols = {{"none", 0},  {"unspec", 0}, {"redirect", 1}, {"kernel", 2},
                 {"boot", 3},  {"static", 4}, {"gated", 8},    {"ra", 9},
                 {"mrt", 10},  {"zebra", 11}, {"bird", 12},    {"dnrouted", 13},
                 {"xorp", 14}, {"ntk", 15},   {"dhcp", 16},    {"keepalived", 18},
                 {"babel", 42}};
  return n;
}

void addIproute2Names(std::string_view text, uint32_t max,
                      std::map<std::string, uint32_t, std::less<>>& into) {
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string id, name, extra;
    if (!(words >> id >> name) || (words >> extra)) continue;
    auto value = numberOf(id);
    if (!value || *value > max) continue;
    into[name] = static_cast<uint32_t>(*value);
  }
}

const Iproute2Names& hostIproute2Names() {
  static const Iproute2Names names = [] {
    Iproute2Names n = builtinIproute2Names();
    readAll("rt_tables", UINT32_MAX, n.tables);
    readAll("rt_protos", 255, n.protocols);
    return n;
  }();
  return names;
}

std::optional<uint32_t> iproute2Value(std::string_view word,
                                      const std::map<std::string, uint32_t, std::less<>>& names,
                                      uint32_t max) {
  if (auto value = numberOf(word)) {
    if (*value > max) return std::nullopt;
    return static_cast<uint32_t>(*value);
  }
  auto it = names.find(word);
  if (it == names.end() || it->second > max) return std::nullopt;
  return it->second;
}

}  // namespace ha::director::config
