// directorctl's ipvsadm edit commands: short and long forms as ipvsadm spells them, the
// defaults ipvsadm fills, refusals with the reason, the -S format and -R reading it back.
#include "director/ctl/ipvsadm_edit_args.h"

#include <gtest/gtest.h>

#include <sstream>

namespace ha::director {
namespace {

namespace pb = directord::admin;

Result<EditCommand> parse(const std::vector<std::string_view>& args) { return parseEditArgs(args); }

// -e -t VIP:PORT -r RIP:PORT -w 0: an EDIT_REAL with weight 0 and no forwarding (kept).
TEST(IpvsadmEditArgs, DrainCommand) {
  auto c = parse({"-e", "-t", "192.0.2.1:80", "-r", "198.51.100.11:80", "-w", "0"});
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->verb, EditCommand::Verb::kEdit);
  EXPECT_EQ(c->edit.op(), pb::Edit::EDIT_REAL);
  EXPECT_EQ(c->edit.service().protocol(), "TCP");
  EXPECT_EQ(c->edit.service().vip(), "192.0.2.1");
  EXPECT_EQ(c->edit.service().port(), 80u);
  EXPECT_EQ(c->edit.real_address(), "198.51.100.11");
  EXPECT_EQ(c->edit.real_port(), 80u);
  ASSERT_TRUE(c->edit.has_weight());
  EXPECT_EQ(c->edit.weight(), 0u);
  EXPECT_FALSE(c->edit.has_forwarding());
}

// Long forms and --opt=value mean the same as the short ones.
TEST(IpvsadmEditArgs, LongFormsEqualShortForms) {
  auto shortForm =
      parse({"-a", "-u", "[2001:db8::1]:53", "-r", "[2001:db8::11]:53", "-w", "5", "-m"});
  auto longForm = parse({"--add-server", "--udp-service", "[2001:db8::1]:53",
                         "--real-server=[2001:db8::11]:53", "--weight", "5", "--masquerading"});
  ASSERT_TRUE(shortForm) << shortForm.error();
  ASSERT_TRUE(longForm) << longForm.error();
  EXPECT_EQ(shortForm->edit.SerializeAsString(), longForm->edit.SerializeAsString());
  EXPECT_EQ(longForm->edit.service().protocol(), "UDP");
  EXPECT_EQ(longForm->edit.forwarding(), "NAT");
}

// -p without a value is ipvsadm's 300 s; with one, that; a real without :PORT takes the VIP's.
TEST(IpvsadmEditArgs, Defaults) {
  auto p = parse({"-A", "-t", "192.0.2.1:80", "-s", "wrr", "-p"});
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->edit.persistence_timeout(), kDefaultPersistenceSec);
  EXPECT_EQ(p->edit.scheduler(), "wrr");
  auto p60 = parse({"-E", "-t", "192.0.2.1:80", "-p", "60"});
  ASSERT_TRUE(p60) << p60.error();
  EXPECT_EQ(p60->edit.persistence_timeout(), 60u);
  EXPECT_FALSE(p60->edit.has_scheduler());
  auto a = parse({"-a", "-t", "192.0.2.1:8080", "-r", "198.51.100.11", "-g"});
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->edit.real_port(), 8080u);
  EXPECT_EQ(a->edit.forwarding(), "DR");
  EXPECT_FALSE(a->edit.has_weight());  // directord's default: 1
  auto s = parse({"-Sn"});
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->verb, EditCommand::Verb::kSave);
  EXPECT_TRUE(s->numeric);
}

// Bad flags and bad values are refused with the reason (directorctl: usage, exit 2).
TEST(IpvsadmEditArgs, BadInputIsRefused) {
  struct Case {
    std::vector<std::string_view> args;
    std::string why;
  };
  std::vector<Case> cases = {
      {{"-e", "-t", "192.0.2.1:80", "-w", "1"}, "-e needs -r RIP[:PORT]"},
      {{"-a", "-r", "198.51.100.1:80"}, "-a needs -t|-u VIP:PORT"},
      {{"-A", "-t", "192.0.2.1"}, "virtual service '192.0.2.1' needs a :PORT"},
      {{"-A", "-t", "192.0.2.1:0"}, "virtual service '192.0.2.1:0': port must be 1-65535"},
      {{"-A", "-t", "example.com:80"},
       "virtual service 'example.com:80': not an IP address (names are not resolved)"},
      {{"-e", "-t", "192.0.2.1:80", "-r", "198.51.100.1", "-w", "heavy"},
       "-w 'heavy': expected a weight 0-65535"},
      {{"-e", "-t", "192.0.2.1:80", "-r", "198.51.100.1", "-w", "65536"},
       "-w '65536': expected a weight 0-65535"},
      {{"-A", "-t", "192.0.2.1:80", "-w", "1"}, "option -w cannot be used with -A"},
      {{"-D", "-t", "192.0.2.1:80", "-s", "rr"}, "option -s cannot be used with -D"},
      {{"-A", "-E", "-t", "192.0.2.1:80"}, "only one command at a time (-A and -E)"},
      {{"-a", "-t", "192.0.2.1:80", "-r", "198.51.100.1", "-g", "-m"},
       "only one of -g, -m, -i, -b"},
      {{"-A", "-t", "192.0.2.1:80", "--frobnicate"}, "unknown option --frobnicate"},
      {{"-A", "-t"}, "option -t needs a value"},
      {{"-A", "-t", "192.0.2.1:80", "extra"}, "unexpected argument 'extra'"},
  };
  for (const auto& c : cases) {
    auto r = parseEditArgs(c.args);
    ASSERT_FALSE(r) << c.why;
    EXPECT_EQ(r.error(), c.why);
  }
}

pb::ServiceList sampleList() {
  pb::ServiceList list;
  auto* s = list.add_services();
  s->set_protocol("TCP");
  s->set_vip("192.0.2.1");
  s->set_port(80);
  s->set_scheduler("rr");
  s->set_mode("NAT");
  auto* r = s->add_reals();
  r->set_address("198.51.100.11");
  r->set_port(80);
  r->set_weight(0);  // down right now: -S keeps the configured weight
  r->set_configured_weight(2);
  auto* u = list.add_services();
  u->set_protocol("UDP");
  u->set_vip("2001:db8::1");
  u->set_port(53);
  u->set_scheduler("mh");
  u->set_mode("DR");
  u->set_persistence_timeout(300);
  auto* ur = u->add_reals();
  ur->set_address("2001:db8::11");
  ur->set_port(53);
  ur->set_configured_weight(1);
  return list;
}

// -S prints ipvsadm-save lines: services then their reals, forwarding flag and weight.
TEST(IpvsadmEditArgs, SaveFormat) {
  EXPECT_EQ(formatSave(sampleList()),
            "-A -t 192.0.2.1:80 -s rr\n"
            "-a -t 192.0.2.1:80 -r 198.51.100.11:80 -m -w 2\n"
            "-A -u [2001:db8::1]:53 -s mh -p 300\n"
            "-a -u [2001:db8::1]:53 -r [2001:db8::11]:53 -g -w 1\n");
}

// What -S prints, -R reads back as the same services and reals (one batch, in order).
TEST(IpvsadmEditArgs, SaveRestoreRoundTrip) {
  std::istringstream in("# saved\n\n" + formatSave(sampleList()));
  auto batch = parseRestore(in);
  ASSERT_TRUE(batch) << batch.error();
  ASSERT_EQ(batch->edits_size(), 4);
  EXPECT_EQ(batch->edits(0).op(), pb::Edit::ADD_SERVICE);
  EXPECT_EQ(batch->edits(0).scheduler(), "rr");
  EXPECT_EQ(batch->edits(1).op(), pb::Edit::ADD_REAL);
  EXPECT_EQ(batch->edits(1).weight(), 2u);
  EXPECT_EQ(batch->edits(1).forwarding(), "NAT");
  EXPECT_EQ(batch->edits(2).service().vip(), "2001:db8::1");
  EXPECT_EQ(batch->edits(2).persistence_timeout(), 300u);
  EXPECT_EQ(batch->edits(3).real_address(), "2001:db8::11");
  EXPECT_EQ(batch->edits(3).forwarding(), "DR");
}

// A bad line in -R input names its line and yields no batch.
TEST(IpvsadmEditArgs, RestoreRefusesABadLine) {
  std::istringstream in("-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.11:80 -w x\n");
  auto batch = parseRestore(in);
  ASSERT_FALSE(batch);
  EXPECT_EQ(batch.error(), "line 2: -w 'x': expected a weight 0-65535");
  std::istringstream save("-S\n");
  EXPECT_FALSE(parseRestore(save));
}

// Only ipvsadm's edit commands are handed to this parser.
TEST(IpvsadmEditArgs, EditVerbsAreRecognised) {
  for (std::string_view v :
       {"-A", "-E", "-D", "-a", "-e", "-d", "-S", "-R", "-Sn", "--save", "--add-server"}) {
    EXPECT_TRUE(isEditVerb(v)) << v;
  }
  for (std::string_view v : {"-L", "-Ln", "list", "--stats", "-n", "-t", "--admin-socket"}) {
    EXPECT_FALSE(isEditVerb(v)) << v;
  }
}

// --set TCP TCPFIN UDP as ipvsadm spells it: a SET_TIMEOUTS edit naming no service; 0 is kept
// (unchanged); anything but three whole numbers is refused with the reason.
TEST(IpvsadmEditArgs, SetTimeouts) {
  EXPECT_TRUE(isEditVerb("--set"));
  auto c = parse({"--set", "300", "0", "100"});
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->verb, EditCommand::Verb::kEdit);
  EXPECT_EQ(c->edit.op(), pb::Edit::SET_TIMEOUTS);
  EXPECT_EQ(c->edit.timeouts().tcp(), 300u);
  EXPECT_EQ(c->edit.timeouts().tcpfin(), 0u);
  EXPECT_EQ(c->edit.timeouts().udp(), 100u);
  EXPECT_FALSE(c->edit.has_service());
  for (const auto& bad :
       std::vector<std::vector<std::string_view>>{{"--set", "300", "0"},
                                                  {"--set", "300", "0", "1", "2"},
                                                  {"--set", "-1", "0", "0"},
                                                  {"--set", "1e3", "0", "0"},
                                                  {"--set", "", "0", "0"},
                                                  {"--set", "4294967296", "0", "0"}}) {
    auto refused = parse(bad);
    EXPECT_FALSE(refused) << bad.size();
    if (!refused) {
      EXPECT_NE(refused.error().find("--set"), std::string::npos) << refused.error();
    }
  }
}

}  // namespace
}  // namespace ha::director
