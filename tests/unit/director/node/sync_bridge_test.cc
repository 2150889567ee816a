#include "director/node/sync_bridge.h"

#include <gtest/gtest.h>

#include <string>

#include "director/config/config_loader.h"

namespace ha::director {
namespace {

// Every FULLNAT service admits a peer's flow on any local address of the node, from ONE shared
// set: a copy per service grew with services x addresses (1k services x 8k addresses ~ 650 MB).
TEST(SyncBridge, FullnatServicesShareOneLocalAddressSet) {
  std::string text = "local_address_group A {\n  198.51.100.200-209\n}\n";
  for (int i = 0; i < 50; ++i) {
    text += "virtual_server 192.0.2." + std::to_string(i + 1) +
            " 80 {\n  lb_kind FNAT\n  laddr_group_name A\n  real_server 198.51.100.11 80 {\n  }\n}\n";
  }
  auto loaded = loadConfigText(text, "test.conf");
  ASSERT_FALSE(loaded.hasErrors());
  auto catalog = syncCatalogOf(loaded.config, assignServiceIds({}, loaded.config));
  ASSERT_EQ(catalog.size(), 50u);
  const auto& shared = catalog.begin()->second.localAddresses;
  ASSERT_TRUE(shared);
  EXPECT_EQ(shared->size(), 10u);
  for (const auto& [key, service] : catalog) EXPECT_EQ(service.localAddresses.get(), shared.get());
}

}  // namespace
}  // namespace ha::director
