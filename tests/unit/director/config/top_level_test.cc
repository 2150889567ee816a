// global_defs and the top-level keywords of later issues.
#include <gtest/gtest.h>

#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using testing::hasError;
using testing::hasNoErrors;
using testing::hasWarning;
using testing::isClean;
using testing::load;

// router_id and our lb_hash_seed (decimal or 0x hex, 32 bits) are read from global_defs.
TEST(ConfigGlobalDefs, RouterIdAndHashSeed) {
  auto r = load("global_defs {\n  router_id dir-a\n  lb_hash_seed 0xDEADbeef\n}\n");
  ASSERT_TRUE(isClean(r));
  EXPECT_EQ(r.config.globals.routerId, "dir-a");
  EXPECT_EQ(r.config.globals.hashSeed, 0xdeadbeefu);
  EXPECT_EQ(load("global_defs {\n  lb_hash_seed 4294967295\n}\n").config.globals.hashSeed,
            4294967295u);
  EXPECT_EQ(load("").config.globals.hashSeed, kDefaultHashSeed);
}

// Seeds that do not fit 32 bits, or are not numbers, are errors naming the token.
TEST(ConfigGlobalDefs, BadHashSeed) {
  auto r = load(
      "global_defs {\n  lb_hash_seed 4294967296\n  lb_hash_seed 0x1ffffffff\n  lb_hash_seed 0x\n"
      "  lb_hash_seed -1\n}\n");
  EXPECT_TRUE(hasError(r, 2, "invalid value '4294967296' for 'lb_hash_seed'"));
  EXPECT_TRUE(hasError(r, 3, "invalid value '0x1ffffffff' for 'lb_hash_seed'"));
  EXPECT_TRUE(hasError(r, 4, "invalid value '0x' for 'lb_hash_seed'"));
  EXPECT_TRUE(hasError(r, 5, "invalid value '-1' for 'lb_hash_seed'"));
}

// admin_group names who besides root may edit at runtime; unset means root only; a name that is
// no valid group name, or a missing one, is an error naming it.
TEST(ConfigGlobalDefs, AdminGroup) {
  EXPECT_EQ(load("").config.globals.adminGroup, "");
  auto ok = load("global_defs {\n  admin_group directord-admin\n}\n");
  ASSERT_TRUE(isClean(ok));
  EXPECT_EQ(ok.config.globals.adminGroup, "directord-admin");
  auto r = load("global_defs {\n  admin_group 0wheel\n  admin_group\n  admin_group a b\n}\n");
  EXPECT_TRUE(hasError(r, 2, "invalid group name '0wheel' for 'admin_group'"));
  EXPECT_TRUE(hasError(r, 3, "admin_group NAME"));
  EXPECT_TRUE(hasError(r, 4, "admin_group NAME"));
}

// nftables_owner picks who may change our tables; persist (owner-flagged, outliving a crash) is
// the default, and anything but persist|process|none is an error naming the value.
TEST(ConfigGlobalDefs, NftablesOwner) {
  EXPECT_EQ(load("").config.globals.tableOwnership, TableOwnership::kPersistent);
  EXPECT_EQ(load("global_defs {\n  nftables_owner process\n}\n").config.globals.tableOwnership,
            TableOwnership::kProcess);
  EXPECT_EQ(load("global_defs {\n  nftables_owner none\n}\n").config.globals.tableOwnership,
            TableOwnership::kNone);
  auto r = load("global_defs {\n  nftables_owner yes\n  nftables_owner\n}\n");
  EXPECT_TRUE(hasError(r, 2, "invalid value 'yes' for 'nftables_owner': expected persist, process or none"));
  EXPECT_TRUE(hasError(r, 3, "nftables_owner persist|process|none"));
  EXPECT_EQ(r.config.globals.tableOwnership, TableOwnership::kPersistent);
}

// metrics_listen ADDR PORT turns /metrics on (off without it); IPv6 works; a bad address or port,
// a missing argument or a second statement is an error at its line, and none is taken.
TEST(ConfigGlobalDefs, MetricsListen) {
  EXPECT_FALSE(load("").config.globals.metricsListen.has_value());
  auto v4 = load("global_defs {\n  metrics_listen 127.0.0.1 9101\n}\n");
  EXPECT_TRUE(hasNoErrors(v4)) << testing::dump(v4);
  ASSERT_TRUE(v4.config.globals.metricsListen.has_value());
  EXPECT_EQ(v4.config.globals.metricsListen->str(), "127.0.0.1:9101");
  EXPECT_EQ(v4.config.globals.metricsListen->where.line, 2);
  auto v6 = load("global_defs {\n  metrics_listen fd00::1 9101\n}\n");
  ASSERT_TRUE(v6.config.globals.metricsListen.has_value());
  EXPECT_EQ(v6.config.globals.metricsListen->str(), "[fd00::1]:9101");

  auto bad = load(
      "global_defs {\n"
      "  metrics_listen localhost 9101\n"
      "  metrics_listen 127.0.0.1 0\n"
      "  metrics_listen 127.0.0.1\n"
      "  metrics_listen 127.0.0.1 65536\n"
      "}\n");
  EXPECT_TRUE(hasError(bad, 2, "localhost")) << testing::dump(bad);
  EXPECT_TRUE(hasError(bad, 3, "0")) << testing::dump(bad);
  EXPECT_TRUE(hasError(bad, 4, "metrics_listen ADDR PORT")) << testing::dump(bad);
  EXPECT_TRUE(hasError(bad, 5, "65536")) << testing::dump(bad);
  EXPECT_FALSE(bad.config.globals.metricsListen.has_value());

  auto twice =
      load("global_defs {\n  metrics_listen 127.0.0.1 9101\n  metrics_listen 127.0.0.1 9102\n}\n");
  EXPECT_TRUE(hasError(twice, 3, "metrics_listen given twice (first at test.conf:2)"))
      << testing::dump(twice);
  EXPECT_EQ(twice.config.globals.metricsListen->port, 9101);
}

// Inside global_defs nothing changes forwarding, so unsupported and unknown keywords only warn.
TEST(ConfigGlobalDefs, UnsupportedKeywordsWarnByName) {
  auto r = load(
      "global_defs {\n"
      "  notification_email {\n    ops@example.com\n  }\n"
      "  notification_email_from lb@example.com\n"
      "  smtp_server 127.0.0.1\n"
      "  vrrp_priority -10\n"
      "  enable_script_security\n"
      "  router_idd typo\n"
      "}\n");
  EXPECT_TRUE(hasNoErrors(r));
  EXPECT_TRUE(
      hasWarning(r, 2, "keyword 'notification_email' in global_defs not supported yet; ignored"));
  EXPECT_TRUE(
      hasWarning(r, 5, "keyword 'notification_email_from' in global_defs not supported yet"));
  EXPECT_TRUE(hasWarning(r, 6, "keyword 'smtp_server'"));
  EXPECT_TRUE(hasWarning(r, 7, "keyword 'vrrp_priority' in global_defs not supported yet"));
  EXPECT_TRUE(hasWarning(r, 8, "keyword 'enable_script_security'"));
  EXPECT_TRUE(hasWarning(r, 9, "unknown keyword 'router_idd' in global_defs; ignored"));
  EXPECT_EQ(r.diagnostics.size(), 6u) << testing::dump(r);
}

// keepalived blocks we do not build change who holds addresses, so they are errors by name;
// connection_sync is parsed (sync_config_test.cc), so an empty one reports what it lacks instead,
// and static_routes / static_rules are built (routes_test.cc): empty ones are fine.
TEST(ConfigTopLevel, UnsupportedBlocksAreErrors) {
  auto r = load(
      "vrrp_track_file f {\n  file /run/x\n}\n"
      "garp_group {\n}\n"
      "connection_sync {\n}\n"
      "static_track_group web {\n}\n"
      "static_routes {\n}\n"
      "static_rules {\n}\n");
  EXPECT_TRUE(hasError(r, 1, "block 'vrrp_track_file' not supported yet"));
  EXPECT_TRUE(hasError(r, 4, "block 'garp_group' not supported yet"));
  EXPECT_TRUE(hasError(r, 6, "connection_sync: no 'listen ADDR PORT'"));
  EXPECT_TRUE(hasError(r, 8, "block 'static_track_group' not supported yet"));
  for (const auto& d : r.diagnostics) {
    EXPECT_EQ(d.message.find("connection_sync' not supported"), std::string::npos) << d.str();
  }
  // Their contents are not reported; the empty connection_sync lacks listen, peers and tls.
  EXPECT_EQ(r.diagnostics.size(), 6u) << testing::dump(r);
}

// An unknown top-level keyword is an error naming it; so is global_defs without a block.
TEST(ConfigTopLevel, UnknownKeywordIsAnError) {
  auto r = load("virtual_servr 192.0.2.1 80 {\n}\nglobal_defs\n");
  EXPECT_TRUE(hasError(r, 1, "unknown keyword 'virtual_servr'"));
  EXPECT_TRUE(hasError(r, 3, "'global_defs' needs a { } block"));
}

}  // namespace
}  // namespace ha::director
