#pragma once
// Who may change things through the admin API: root, or a member of global_defs admin_group.
// The caller is known from the kernel (SO_PEERCRED / SO_PEERGROUPS on the accepted unix
// connection), never from anything the client says. Reading stays open to anyone who can reach
// the socket, as `ipvsadm -L` needs no more than the table.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace ha::director {

struct PeerCredentials {
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t pid = 0;
  std::vector<gid_t> groups;  // supplementary groups (SO_PEERGROUPS)
};

// Pure. nullopt: allowed; else why not ("uid 65534 (pid 42) is not root and not in group
// directord-admin"). `groupGid` is admin_group's gid, nullopt when the group is unset or unknown.
std::optional<std::string> whyMayNotEdit(const PeerCredentials& peer, const std::string& groupName,
                                         std::optional<gid_t> groupGid);

// The credentials of the connection gRPC calls `peer` ("fd:N": connections we accepted
// ourselves and handed to gRPC), checked to be a unix connection to `socketPath`.
Result<PeerCredentials> peerCredentials(const std::string& peer, const std::string& socketPath);

// getgrnam_r: nullopt when the group does not exist on this host.
std::optional<gid_t> groupId(const std::string& name);

}  // namespace ha::director
