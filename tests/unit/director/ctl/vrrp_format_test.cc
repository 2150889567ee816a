#include "director/ctl/vrrp_format.h"

#include <gtest/gtest.h>

namespace ha::director {
namespace {

namespace pb = directord::admin;

// One instance block names state, priority (base in brackets when tracking moved it), the master
// (marked when it is us), the last transition with its age, addresses and drops by reason.
TEST(VrrpFormat, ShowsInstanceBlock) {
  pb::VrrpList list;
  list.set_received(12);
  auto* i = list.add_instances();
  i->set_name("VI_1");
  i->set_interface("lan0");
  i->set_vrid(51);
  i->set_version(3);
  i->set_state("MASTER");
  i->set_base_priority(150);
  i->set_effective_priority(130);
  i->set_advert_interval_ms(100);
  i->set_master_adver_interval_ms(100);
  i->set_master("198.51.100.2");
  i->set_source("198.51.100.2");
  i->set_transitions(2);
  i->set_last_transition("BACKUP -> MASTER: master down timer expired");
  i->set_last_transition_unix_ms(1000);
  i->add_addresses("192.0.2.100/32 dev lan0");
  i->set_adverts_sent(40);
  i->set_adverts_received(3);
  auto* d = i->add_dropped();
  d->set_reason("auth_mismatch");
  d->set_count(4);
  auto* u = list.add_unattributed();
  u->set_reason("unknown_vrid");
  u->set_count(5);
  EXPECT_EQ(formatVrrp(list, 13500),
            "Instance     Interface  VRID Ver State        Prio Master                   Trans\n"
            "VI_1         lan0         51   3 MASTER   130(150) 198.51.100.2 (us)            2\n"
            "  advert 100 ms (master's 100 ms), source 198.51.100.2\n"
            "  last: BACKUP -> MASTER: master down timer expired (12.5s ago)\n"
            "  addresses: 192.0.2.100/32 dev lan0\n"
            "  adverts: sent 40 (priority 0: 0), received 3 (priority 0: 0)\n"
            "  dropped: auth_mismatch 4\n"
            "packets received 12, not tied to an instance: unknown_vrid 5\n");
}

// A track_sync instance says whether the sync gate holds it back; others print no sync line.
TEST(VrrpFormat, ShowsTheSyncGate) {
  pb::VrrpList list;
  auto* i = list.add_instances();
  i->set_name("VI_1");
  i->set_state("BACKUP");
  i->set_track_sync(true);
  i->set_waiting_for_sync(true);
  EXPECT_NE(formatVrrp(list, 0).find("\n  sync: waiting for bulk (no preemption)\n"),
            std::string::npos);
  i->set_waiting_for_sync(false);
  EXPECT_NE(formatVrrp(list, 0).find("\n  sync: ready\n"), std::string::npos);
  i->set_track_sync(false);
  EXPECT_EQ(formatVrrp(list, 0).find("sync:"), std::string::npos);
}

// Without instances the command says so instead of printing an empty table.
TEST(VrrpFormat, SaysWhenNothingConfigured) {
  EXPECT_EQ(formatVrrp(pb::VrrpList(), 0), "no VRRP instances configured\n");
}

}  // namespace
}  // namespace ha::director
