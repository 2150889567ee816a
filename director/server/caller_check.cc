#include "director/server/caller_check.h"

#include <grp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>

namespace ha::director {

std::optional<std::string> whyMayNotEdit(const PeerCredentials& peer, const std::string& groupName,
                                         std::optional<gid_t> groupGid) {
  if (peer.uid == 0) return std::nullopt;
  if (groupGid && (peer.gid == *groupGid || std::find(peer.groups.begin(), peer.groups.end(),
                                                      *groupGid) != peer.groups.end())) {
    return std::nullopt;
  }
  std::string who = "uid " + std::to_string(peer.uid) + " (pid " + std::to_string(peer.pid) + ")";
  if (groupName.empty()) return who + " is not root, and no admin_group is configured";
  if (!groupGid)
    return who + " is not root, and admin_group " + groupName + " does not exist on this host";
  return who + " is not root and not in admin_group " + groupName;
}

Result<PeerCredentials> peerCredentials(const std::string& peer, const std::string& socketPath) {
  constexpr std::string_view kFdPrefix = "fd:";
  if (!std::string_view(peer).starts_with(kFdPrefix))
    return Error{"caller unknown: peer '" + peer + "'"};
  int fd = -1;
  const char* begin = peer.data() + kFdPrefix.size();
  const char* end = peer.data() + peer.size();
  if (auto [ptr, ec] = std::from_chars(begin, end, fd); ec != std::errc() || ptr != end || fd < 0) {
    return Error{"caller unknown: peer '" + peer + "'"};
  }
  // The descriptor must still be a connection to our socket (not a number reused by anything else).
  sockaddr_un local{};
  socklen_t localLen = sizeof local;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &localLen) != 0 ||
      local.sun_family != AF_UNIX || std::string_view(local.sun_path) != socketPath) {
    return Error{"caller unknown: " + peer + " is not a connection to " + socketPath};
  }
  ucred cred{};
  socklen_t credLen = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &credLen) != 0) {
    return Error{std::string("caller unknown: SO_PEERCRED: ") + std::strerror(errno)};
  }
  PeerCredentials out{cred.uid, cred.gid, cred.pid, {}};
  std::vector<gid_t> groups(64);
  for (int attempt = 0; attempt < 4; ++attempt) {
    auto len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) == 0) {
      groups.resize(len / sizeof(gid_t));
      out.groups = std::move(groups);
      return out;
    }
    if (errno != ERANGE) break;
    groups.resize(len / sizeof(gid_t) + 1);
  }
  return out;  // without supplementary groups: root and the primary group still decide
}

std::optional<gid_t> groupId(const std::string& name) {
  if (name.empty()) return std::nullopt;
  group entry{};
  group* found = nullptr;
  std::vector<char> buffer(4096);
  for (int attempt = 0; attempt < 6; ++attempt) {
    int rc = getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (rc == ERANGE) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (rc != 0 || found == nullptr) return std::nullopt;
    return found->gr_gid;
  }
  return std::nullopt;
}

}  // namespace ha::director
