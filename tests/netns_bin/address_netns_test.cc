// NetlinkAddressOwner against a real kernel. Run only by tests/netns/test_addresses.sh, inside a
// throwaway namespace holding dummy device HA_NETNS_DEV and pre-existing address HA_NETNS_FOREIGN.
#include <gtest/gtest.h>

#include <algorithm>
#include <net/if.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "common/netlink/netlink_address_owner.h"

namespace ha::director {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// `ip -o addr show dev DEV`: what an operator would look at.
std::string ipAddrShow(const std::string& dev) {
  std::string cmd = "ip -o addr show dev " + dev;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  if (!pipe) return out;
  char buf[512];
  while (fgets(buf, sizeof buf, pipe.get())) out += buf;
  return out;
}

std::string lineWith(const std::string& text, const std::string& needle) {
  size_t at = text.find(needle);
  if (at == std::string::npos) return "";
  size_t begin = text.rfind('\n', at);
  begin = begin == std::string::npos ? 0 : begin + 1;
  return text.substr(begin, text.find('\n', at) - begin);
}

OwnedAddress addr(const std::string& prefix, const std::string& dev,
                  const std::string& label = "") {
  return OwnedAddress{*IpPrefix::parse(prefix), dev, label};
}

class AddressOwnerNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    dev_ = env("HA_NETNS_DEV");
    foreign_ = env("HA_NETNS_FOREIGN");
    // Outside the fixture namespace this would edit the host's addresses.
    if (dev_.empty() || foreign_.empty()) GTEST_SKIP() << "run by tests/netns/test_addresses.sh";
    auto opened = NetlinkAddressOwner::open();
    ASSERT_TRUE(opened) << opened.error();
    owner_ = std::move(opened.value());
  }
  std::string dev_;
  std::string foreign_;
  std::unique_ptr<NetlinkAddressOwner> owner_;
};

// VIPs of both families appear on the device (IPv6 without DAD) and go when removed.
TEST_F(AddressOwnerNetns, AddsAndRemovesBothFamilies) {
  auto v4 = addr("192.0.2.1/32", dev_, dev_ + ":vip");
  auto v6 = addr("fd00:2::1/128", dev_);
  auto st4 = owner_->add(v4);
  ASSERT_TRUE(st4) << st4.error();
  auto st6 = owner_->add(v6);
  ASSERT_TRUE(st6) << st6.error();
  std::string shown = ipAddrShow(dev_);
  EXPECT_NE(shown.find("inet 192.0.2.1/32"), std::string::npos) << shown;
  EXPECT_NE(shown.find(dev_ + ":vip"), std::string::npos) << shown;
  EXPECT_NE(shown.find("inet6 fd00:2::1/128"), std::string::npos) << shown;
  std::string v6Line = lineWith(shown, "fd00:2::1/128");
  EXPECT_NE(v6Line.find("nodad"), std::string::npos) << v6Line;
  EXPECT_EQ(v6Line.find("tentative"), std::string::npos) << v6Line;  // usable at once
  EXPECT_EQ(owner_->owned().size(), 2u);

  ASSERT_TRUE(owner_->remove(v4));
  ASSERT_TRUE(owner_->remove(v6));
  shown = ipAddrShow(dev_);
  EXPECT_EQ(shown.find("192.0.2.1/"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("fd00:2::1/"), std::string::npos) << shown;
  EXPECT_TRUE(owner_->owned().empty());
}

// An address someone else put there is accepted on add but survives removeAll().
TEST_F(AddressOwnerNetns, LeavesForeignAddressOnRemoveAll) {
  auto foreign = addr(foreign_, dev_);
  auto ours = addr("192.0.2.2/32", dev_);
  ASSERT_TRUE(owner_->add(foreign));
  ASSERT_TRUE(owner_->add(ours));
  ASSERT_EQ(owner_->owned().size(), 1u);
  EXPECT_EQ(owner_->owned()[0], ours);
  ASSERT_TRUE(owner_->remove(foreign));  // not ours: a no-op
  auto all = owner_->removeAll();
  ASSERT_TRUE(all) << all.error();
  std::string shown = ipAddrShow(dev_);
  EXPECT_NE(shown.find("inet " + foreign_), std::string::npos) << shown;
  EXPECT_EQ(shown.find("192.0.2.2/"), std::string::npos) << shown;
}

// present() lists every address in the namespace, ours and others', with the labels set (the
// kernel's default label, the device name, reads as none): the start-up reclaim decides on it.
TEST_F(AddressOwnerNetns, ListsPresentAddresses) {
  auto ours = addr("192.0.2.4/32", dev_, dev_ + ":p");
  ASSERT_TRUE(owner_->add(ours));
  auto present = owner_->present();
  ASSERT_TRUE(present) << present.error();
  auto has = [&](const OwnedAddress& a) { return std::find(present->begin(), present->end(), a) != present->end(); };
  EXPECT_TRUE(has(ours));
  EXPECT_TRUE(has(addr(foreign_, dev_)));
  EXPECT_TRUE(has(addr("127.0.0.1/8", "lo")));
  ASSERT_TRUE(owner_->remove(ours));
  auto after = owner_->present();
  ASSERT_TRUE(after) << after.error();
  EXPECT_EQ(std::find(after->begin(), after->end(), ours), after->end());
}

// Refusals name the address and the device, and why.
TEST_F(AddressOwnerNetns, RefusalsExplainThemselves) {
  auto missing = owner_->add(addr("192.0.2.100/32", "nosuch0"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), "add 192.0.2.100/32 dev nosuch0: No such device");
  auto badLabel = owner_->add(addr("192.0.2.3/32", dev_, "eth9:x"));
  ASSERT_FALSE(badLabel);
  EXPECT_NE(badLabel.error().find("must start with the device name"), std::string::npos);
  auto v6Label = owner_->add(addr("fd00:2::3/128", dev_, dev_ + ":x"));
  ASSERT_FALSE(v6Label);
  EXPECT_NE(v6Label.error().find("only IPv4 has labels"), std::string::npos);
  EXPECT_TRUE(owner_->owned().empty());
}

// ifindex() agrees with the kernel and says which device is missing; a default-constructed
// owner (directord's) connects on first use.
TEST_F(AddressOwnerNetns, ResolvesInterfaceIndex) {
  auto index = owner_->ifindex(dev_);
  ASSERT_TRUE(index) << index.error();
  EXPECT_EQ(*index, if_nametoindex(dev_.c_str()));
  NetlinkAddressOwner lazy;
  auto lazyIndex = lazy.ifindex(dev_);
  ASSERT_TRUE(lazyIndex) << lazyIndex.error();
  EXPECT_EQ(*lazyIndex, *index);
  auto missing = owner_->ifindex("nosuch0");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), "device nosuch0: No such device");
}

}  // namespace
}  // namespace ha::director
