#pragma once
// The libnl pieces every rtnetlink user here needs: a connected NETLINK_ROUTE socket that frees
// itself, and libnl's error codes in the words `ip` would use.
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

struct nl_sock;

namespace ha {

struct NlSocketCloser {
  void operator()(nl_sock* sock) const;
};
using RouteSocket = std::unique_ptr<nl_sock, NlSocketCloser>;

Result<RouteSocket> connectRouteSocket();

inline constexpr std::string_view kNoSuchDevice = "No such device";
// libnl folds errno into its own codes; "Object not found" would hide the usual ENODEV wording.
std::string nlError(int rc);

}  // namespace ha
