#include "director/real/real_args.h"

#include <gtest/gtest.h>

namespace ha::real {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

Result<Command> parse(const std::vector<std::string>& args) { return parseArgs(args); }

// The full tun up form: repeated options and lists accumulate, repeats collapse.
TEST(RealArgs, TunUpCollectsVipsAndDirectors) {
  auto c = parse({"tun", "up", "--vip", "192.0.2.1,192.0.2.2", "--vip", "fd00:2::1", "--vip",
                  "192.0.2.1", "--device", "eth0", "--director", "198.51.100.2 198.51.100.3"});
  ASSERT_TRUE(c.ok()) << c.error();
  const auto& up = std::get<TunUp>(*c);
  EXPECT_EQ(up.vips, (std::vector<IpAddress>{ip("192.0.2.1"), ip("192.0.2.2"), ip("fd00:2::1")}));
  EXPECT_EQ(up.device, "eth0");
  EXPECT_EQ(up.directors, (std::vector<IpAddress>{ip("198.51.100.2"), ip("198.51.100.3")}));
  EXPECT_EQ(up.decap, DecapMode::kBpf);
}

// An EnvironmentFile's empty DIRECTORS means no allow-list, not an error.
TEST(RealArgs, EmptyDirectorListIsNoAllowList) {
  auto c = parse({"tun", "up", "--vip", " 192.0.2.1 ", "--device", "eth0", "--director", ""});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(std::get<TunUp>(*c).directors.empty());
}

// Usage errors name what is wrong.
TEST(RealArgs, RefusesBadInputWithItsReason) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const Case cases[] = {
      {{}, "no command"},
      {{"tun"}, "missing subcommand"},
      {{"tun", "sideways"}, "unknown command 'tun sideways'"},
      {{"tun", "up", "--device", "eth0"}, "no --vip"},
      {{"tun", "up", "--vip", "192.0.2.1"}, "no --device"},
      {{"tun", "up", "--vip", "192.0.2.300", "--device", "eth0"},
       "'192.0.2.300' is not an IP address"},
      {{"tun", "up", "--vip", ""}, "no --vip"},
      {{"tun", "up", "--vip"}, "--vip needs a value"},
      {{"tun", "up", "--vip", "192.0.2.1", "--device", "a", "--device", "b"},
       "--device given twice"},
      {{"tun", "up", "--vip", "192.0.2.1", "--device", "eth0", "--decap", "gre"},
       "neither bpf nor ipip"},
      {{"tun", "up", "--vip", "192.0.2.1", "--device", "eth0", "--decap", "ipip", "--director",
        "198.51.100.2"},
       "--director needs --decap bpf"},
      {{"tun", "up", "--vip", "192.0.2.1", "--device", "eth0", "--frobnicate"},
       "unknown argument '--frobnicate'"},
      {{"tun", "down", "now"}, "unknown argument 'now'"},
      {{"toa", "attach"}, "no --cgroup"},
      {{"toa", "detach", "--cgroup", "/a", "--cgroup", "/b"}, "--cgroup given twice"},
      {{"status", "-v"}, "unknown argument '-v'"},
  };
  for (const auto& c : cases) {
    auto r = parseArgs(c.args);
    ASSERT_FALSE(r.ok()) << c.says;
    EXPECT_NE(r.error().find(c.says), std::string::npos) << r.error();
  }
}

// The other verbs.
TEST(RealArgs, OtherCommands) {
  EXPECT_EQ(std::get<TunDown>(*parse({"tun", "down"})), TunDown{});
  EXPECT_EQ(std::get<ToaAttach>(*parse({"toa", "attach", "--cgroup", "/sys/fs/cgroup/web"})).cgroup,
            "/sys/fs/cgroup/web");
  EXPECT_EQ(std::get<ToaDetach>(*parse({"toa", "detach", "--cgroup", ""})).cgroup, "");
  EXPECT_TRUE(std::holds_alternative<ShowStatus>(*parse({"status"})));
  EXPECT_TRUE(std::holds_alternative<ShowHelp>(*parse({"--help"})));
  EXPECT_EQ(std::get<TunUp>(
                *parse({"tun", "up", "--vip", "192.0.2.1", "--device", "e", "--decap", "ipip"}))
                .decap,
            DecapMode::kIpip);
}

}  // namespace
}  // namespace ha::real
