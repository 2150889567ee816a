#include "director/ctl/ipvsadm_args.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace ha::director {
namespace {

Result<CtlCommand> parse(const std::vector<std::string_view>& args) { return parseCtlArgs(args); }

CtlCommand ok(const std::vector<std::string_view>& args) {
  auto parsed = parse(args);
  EXPECT_TRUE(parsed) << parsed.error();
  return parsed ? parsed.value() : CtlCommand{};
}

std::string refusal(const std::vector<std::string_view>& args) {
  auto parsed = parse(args);
  EXPECT_FALSE(parsed);
  return parsed ? std::string() : parsed.error();
}

ServiceSelector tcp(const char* vip, uint16_t port) {
  return ServiceSelector{"TCP", *IpAddress::parse(vip), port};
}

// Every spelling of ipvsadm's list command, clustered or not, is the same list.
TEST(IpvsadmArgs, ListSpellings) {
  for (auto args : std::vector<std::vector<std::string_view>>{{"-L"},
                                                              {"-l"},
                                                              {"--list"},
                                                              {"-L", "-n"},
                                                              {"-Ln"},
                                                              {"-nL"},
                                                              {"-ln"},
                                                              {"--list", "--numeric"}}) {
    CtlCommand c = ok(args);
    EXPECT_EQ(c.verb, CtlVerb::kList) << args[0];
    EXPECT_FALSE(c.stats || c.rate || c.exact || c.json || c.service.has_value());
    EXPECT_EQ(c.socketPath, kDefaultAdminSocket);
  }
  EXPECT_TRUE(ok({"-Ln"}).numeric);
  EXPECT_FALSE(ok({"-L"}).numeric);
}

// --stats, --rate and --exact set their format; -n keeps numbers numeric.
TEST(IpvsadmArgs, ListFormats) {
  CtlCommand stats = ok({"-Ln", "--stats"});
  EXPECT_TRUE(stats.stats && stats.numeric && !stats.rate && !stats.exact);
  CtlCommand exact = ok({"-L", "-n", "--exact", "--stats"});
  EXPECT_TRUE(exact.stats && exact.exact);
  CtlCommand rate = ok({"-Ln", "--rate"});
  EXPECT_TRUE(rate.rate && !rate.stats);
  EXPECT_TRUE(ok({"-Ln", "--rate", "--exact"}).exact);
  EXPECT_TRUE(ok({"-Ln", "--exact"}).exact);  // ipvsadm accepts it alone too
}

// -t/-u take VIP:PORT attached, as the next argument, or as --tcp-service=...; IPv6 bracketed.
TEST(IpvsadmArgs, ServiceFilter) {
  EXPECT_EQ(ok({"-Ln", "-t", "192.0.2.100:80"}).service, tcp("192.0.2.100", 80));
  EXPECT_EQ(ok({"-Lnt", "192.0.2.100:80"}).service, tcp("192.0.2.100", 80));
  EXPECT_EQ(ok({"-Ln", "-t192.0.2.100:80"}).service, tcp("192.0.2.100", 80));
  EXPECT_EQ(ok({"-L", "--tcp-service", "192.0.2.100:80"}).service, tcp("192.0.2.100", 80));
  EXPECT_EQ(ok({"-L", "--tcp-service=192.0.2.100:80"}).service, tcp("192.0.2.100", 80));
  auto udp = ok({"-Ln", "-u", "[fd00:1::53]:53"}).service;
  ASSERT_TRUE(udp);
  EXPECT_EQ(udp->protocol, "UDP");
  EXPECT_EQ(udp->str(), "UDP [fd00:1::53]:53");
  EXPECT_EQ(ok({"--udp-service=[fd00:1::53]:53", "-L"}).service->port, 53);
  // ipvsadm lists when given list options without a command.
  EXPECT_EQ(ok({"-n", "-t", "192.0.2.100:80"}).verb, CtlVerb::kList);
}

// -c lists connections; with -n and a service filter as ipvsadm -Lcn -t.
TEST(IpvsadmArgs, Connections) {
  for (auto args : std::vector<std::vector<std::string_view>>{
           {"-Lcn"}, {"-L", "-c", "-n"}, {"-lnc"}, {"--list", "--connection", "--numeric"}}) {
    CtlCommand c = ok(args);
    EXPECT_EQ(c.verb, CtlVerb::kConnections) << args[0];
    EXPECT_TRUE(c.numeric);
  }
  EXPECT_EQ(ok({"-Lc", "-t", "192.0.2.100:80"}).service, tcp("192.0.2.100", 80));
  EXPECT_FALSE(ok({"-Lc"}).numeric);
}

// --json and --admin-socket go anywhere, in both spellings.
TEST(IpvsadmArgs, GlobalOptions) {
  CtlCommand a = ok({"--admin-socket", "/tmp/d.sock", "-Ln", "--json"});
  EXPECT_EQ(a.socketPath, "/tmp/d.sock");
  EXPECT_TRUE(a.json);
  CtlCommand b = ok({"--json", "health", "--admin-socket=/tmp/e.sock"});
  EXPECT_EQ(b.verb, CtlVerb::kHealth);
  EXPECT_EQ(b.socketPath, "/tmp/e.sock");
  EXPECT_TRUE(b.json);
}

// directorctl's subcommands keep working; `list` is always numeric and takes the list options.
TEST(IpvsadmArgs, Subcommands) {
  EXPECT_EQ(ok({"health"}).verb, CtlVerb::kHealth);
  EXPECT_EQ(ok({"vrrp"}).verb, CtlVerb::kVrrp);
  EXPECT_EQ(ok({"sync"}).verb, CtlVerb::kSync);
  EXPECT_EQ(ok({"conntrack"}).verb, CtlVerb::kConntrack);
  EXPECT_EQ(ok({"status", "--json"}).verb, CtlVerb::kStatus);
  CtlCommand list = ok({"list", "--stats"});
  EXPECT_EQ(list.verb, CtlVerb::kList);
  EXPECT_TRUE(list.stats && list.numeric);
  CtlCommand lookup = ok({"lookup", "tcp", "203.0.113.10", "40000", "192.0.2.1", "80"});
  EXPECT_EQ(lookup.verb, CtlVerb::kLookup);
  EXPECT_EQ(lookup.operands,
            (std::vector<std::string>{"tcp", "203.0.113.10", "40000", "192.0.2.1", "80"}));
}

// -h/--help and --version win wherever they stand.
TEST(IpvsadmArgs, HelpAndVersion) {
  EXPECT_EQ(ok({"-h"}).verb, CtlVerb::kHelp);
  EXPECT_EQ(ok({"--help"}).verb, CtlVerb::kHelp);
  EXPECT_EQ(ok({"-Ln", "-h"}).verb, CtlVerb::kHelp);
  EXPECT_EQ(ok({"--version"}).verb, CtlVerb::kVersion);
}

// ipvsadm's edit verbs are handed on untouched, for the edit parser.
TEST(IpvsadmArgs, EditsAreHandedOn) {
  for (auto args : std::vector<std::vector<std::string_view>>{
           {"-A", "-t", "192.0.2.1:80", "-s", "rr"},
           {"-e", "-t", "192.0.2.1:80", "-r", "198.51.100.1:80", "-w", "0"},
           {"--admin-socket", "/tmp/x", "-S", "-n"},
           {"-Z"},
           {"--zero", "-t", "192.0.2.1:80"},
           {"-R"},
           {"--delete-server", "-t", "192.0.2.1:80"}}) {
    CtlCommand c = ok(args);
    EXPECT_EQ(c.verb, CtlVerb::kEdit) << args[0];
    EXPECT_EQ(c.operands, std::vector<std::string>(args.begin(), args.end()));
  }
}

// Each bad form is refused with a message that names what is wrong.
TEST(IpvsadmArgs, BadForms) {
  struct Case {
    std::vector<std::string_view> args;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {{}, "no command given"},
           {{"-x"}, "unknown option -x"},
           {{"-Lnx"}, "unknown option -x (in -Lnx)"},
           {{"--frobnicate"}, "unknown option --frobnicate"},
           {{"--stats=1", "-L"}, "--stats takes no value"},
           {{"frobnicate"}, "unknown command frobnicate"},
           {{"-L", "-L"}, "multiple commands"},
           {{"-L", "list"}, "unexpected argument \"list\""},
           {{"-Ln", "-n"}, "-n given twice"},
           {{"-Ln", "--stats", "--rate"}, "exclude each other"},
           {{"-Lc", "--stats"}, "exclude each other"},
           {{"-Ln", "-t"}, "-t needs VIP:PORT"},
           {{"-Ln", "-t", "192.0.2.1"}, "not VIP:PORT"},
           {{"-Ln", "-t", "www.example.com:80"}, "not an IP address"},
           {{"-Ln", "-t", "192.0.2.1:0"}, "not in 1-65535"},
           {{"-Ln", "-t", "192.0.2.1:65536"}, "not in 1-65535"},
           {{"-Ln", "-t", "192.0.2.1:http"}, "not in 1-65535"},
           {{"-Ln", "-t", "fd00::1:80"}, "not VIP:PORT (IPv6 as [VIP]:PORT)"},
           {{"-Ln", "-t", "[fd00::1]80"}, "not [IPv6]:PORT"},
           {{"-Ln", "-t", "192.0.2.1:80", "-u", "192.0.2.1:53"}, "multiple -t/-u"},
           {{"health", "-n"}, "health takes no list options"},
           {{"vrrp", "extra"}, "vrrp takes no argument \"extra\""},
           {{"lookup", "tcp", "1.2.3.4"}, "lookup takes tcp|udp SRC SPORT VIP VPORT"},
           {{"--admin-socket"}, "--admin-socket needs a PATH"},
           {{"--admin-socket=", "-L"}, "--admin-socket PATH is empty"},
       }) {
    std::string why = refusal(c.args);
    EXPECT_NE(why.find(c.says), std::string::npos) << "got: " << why << "; wanted: " << c.says;
  }
}

// -L --timeout is a list form of its own: it excludes the other formats and a service.
TEST(IpvsadmArgs, ListTimeout) {
  auto c = parse({"-L", "--timeout"});
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->verb, CtlVerb::kList);
  EXPECT_TRUE(c->timeout);
  EXPECT_FALSE(parse({"-L", "--timeout", "--stats"}));
  EXPECT_FALSE(parse({"-L", "--timeout", "-t", "192.0.2.1:80"}));
  auto edit = parse({"--set", "1", "2", "3"});
  ASSERT_TRUE(edit) << edit.error();
  EXPECT_EQ(edit->verb, CtlVerb::kEdit);
}

}  // namespace
}  // namespace ha::director
