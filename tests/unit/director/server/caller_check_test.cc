// Who may edit: root always; others only through admin_group, as their primary or a
// supplementary group; every refusal says who and why.
#include "director/server/caller_check.h"

#include <gtest/gtest.h>

namespace ha::director {
namespace {

// Root may edit whatever admin_group says.
TEST(CallerCheck, RootMayEdit) {
  EXPECT_FALSE(whyMayNotEdit({0, 0, 1, {}}, "", std::nullopt));
  EXPECT_FALSE(whyMayNotEdit({0, 0, 1, {}}, "ops", 4242));
}

// A member of admin_group, by primary or supplementary group, may edit.
TEST(CallerCheck, AdminGroupMembersMayEdit) {
  EXPECT_FALSE(whyMayNotEdit({1000, 4242, 7, {}}, "ops", 4242));
  EXPECT_FALSE(whyMayNotEdit({1000, 1000, 7, {27, 4242}}, "ops", 4242));
}

// Anyone else is refused, with the uid, the pid and the reason.
TEST(CallerCheck, OthersAreRefusedWithTheReason) {
  EXPECT_EQ(whyMayNotEdit({65534, 65534, 42, {}}, "", std::nullopt),
            "uid 65534 (pid 42) is not root, and no admin_group is configured");
  EXPECT_EQ(whyMayNotEdit({65534, 65534, 42, {100}}, "ops", 4242),
            "uid 65534 (pid 42) is not root and not in admin_group ops");
  EXPECT_EQ(whyMayNotEdit({65534, 65534, 42, {}}, "ghosts", std::nullopt),
            "uid 65534 (pid 42) is not root, and admin_group ghosts does not exist on this host");
}

// A peer that is not one of our accepted connections is never trusted.
TEST(CallerCheck, UnknownPeersAreNotTrusted) {
  EXPECT_FALSE(peerCredentials("unix:/run/directord.sock", "/run/directord.sock"));
  EXPECT_FALSE(peerCredentials("fd:x", "/run/directord.sock"));
  EXPECT_FALSE(peerCredentials("fd:0", "/run/directord.sock"));  // stdin is no connection to it
}

}  // namespace
}  // namespace ha::director
