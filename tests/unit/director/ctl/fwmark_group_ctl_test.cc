// directorctl and fwmark / virtual_server_group services: ipvsadm's -f MARK, -L as ipvsadm prints
// a fwmark service ("FWM  1 rr") and a group as one service with its members, -S.
#include <gtest/gtest.h>

#include "director/ctl/ipvsadm_edit_args.h"
#include "director/ctl/ipvsadm_format.h"

namespace ha::director {
namespace {

namespace pb = directord::admin;

// -a -f MARK -r RIP: a ServiceRef by mark (no protocol, address or port); mark 0 is refused.
TEST(FwmarkCtl, EditByMark) {
  auto c = parseEditArgs({"-a", "-f", "42", "-r", "198.51.100.12", "-b"});
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->edit.service().fwmark(), 42u);
  EXPECT_TRUE(c->edit.service().vip().empty());
  EXPECT_EQ(c->edit.real_port(), 0u);
  auto zero = parseEditArgs({"-A", "-f", "0"});
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().find("expected a mark"), std::string::npos);
  EXPECT_FALSE(parseEditArgs({"-A", "-f", "1", "-t", "192.0.2.1:80"})) << "one service only";
}

pb::ServiceList sample() {
  pb::ServiceList list;
  auto* group = list.add_services();
  group->set_protocol("TCP");
  group->set_vip("0.0.0.0");
  group->set_group("web");
  group->set_scheduler("rr");
  group->add_members("192.0.2.110-192.0.2.111:80");
  group->add_members("FWM 7");
  auto* real = group->add_reals();
  real->set_address("198.51.100.11");
  real->set_port(80);
  real->set_weight(1);
  real->set_in_rotation(true);
  auto* mark = list.add_services();
  mark->set_protocol("TCP");
  mark->set_vip("0.0.0.0");
  mark->set_fwmark(5);
  mark->set_scheduler("rr");
  auto* plain = list.add_services();
  plain->set_protocol("TCP");
  plain->set_vip("192.0.2.1");
  plain->set_port(80);
  plain->set_scheduler("rr");
  return list;
}

// -L: address services first, then groups, then fwmark services (ipvs_cmp_services orders by
// fwmark first); a group shows its members before its reals.
TEST(FwmarkCtl, ListShowsMarkAndGroup) {
  ListFormat format{false, "0.1.0"};
  auto text = formatServiceList(sample(), format);
  auto plain = text.find("TCP  192.0.2.1:80 rr");
  auto group = text.find(
      "TCP  group web rr\n  members: 192.0.2.110-192.0.2.111:80 FWM 7\n  -> 198.51.100.11:80");
  auto mark = text.find("FWM  5 rr");
  ASSERT_NE(plain, std::string::npos) << text;
  ASSERT_NE(group, std::string::npos) << text;
  ASSERT_NE(mark, std::string::npos) << text;
  EXPECT_LT(plain, group);
  EXPECT_LT(group, mark);
}

// -S writes a fwmark service with -f and skips the group (configuration only).
TEST(FwmarkCtl, SaveWritesMarksAndSkipsGroups) {
  auto saved = formatSave(sample());
  EXPECT_NE(saved.find("-A -f 5 -s rr"), std::string::npos) << saved;
  EXPECT_EQ(saved.find("group"), std::string::npos) << saved;
  EXPECT_EQ(saved.find("0.0.0.0"), std::string::npos) << saved;
}

}  // namespace
}  // namespace ha::director
