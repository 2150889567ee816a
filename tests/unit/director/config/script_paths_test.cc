// Scripts are resolved once, at load: bare names in /usr/sbin:/usr/bin:/sbin:/bin, absolute
// paths checked; a missing or non-executable program is an error at its statement's file:line.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/fakes/fake_file_probe.h"
#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using test::FakeFileProbe;
using testing::hasError;
using testing::hasNoErrors;
using testing::TempDir;

size_t errors(const LoadResult& r) {
  size_t n = 0;
  for (const auto& d : r.diagnostics) n += d.severity == Diagnostic::Severity::kError ? 1 : 0;
  return n;
}

// One statement of each kind that names a program, each on its own line (numbers in comments).
std::string everyScriptKind(const std::string& misc, const std::string& notifyUp,
                            const std::string& quorumDown, const std::string& script,
                            const std::string& notifyMaster, const std::string& groupNotify) {
  return "virtual_server 192.0.2.1 80 {\n"                                // 1
         "  quorum_down \"" + quorumDown + "\"\n"                         // 2
         "  real_server 10.0.0.1 80 {\n"                                  // 3
         "    notify_up \"" + notifyUp + "\"\n"                           // 4
         "    MISC_CHECK {\n"                                             // 5
         "      misc_path \"" + misc + "\"\n"                             // 6
         "    }\n  }\n}\n"                                                // 7-9
         "vrrp_script chk {\n  script \"" + script + "\"\n}\n"            // 10-12
         "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n"  // 13-15
         "  virtual_ipaddress {\n    192.0.2.9\n  }\n"                    // 16-18
         "  notify_master \"" + notifyMaster + "\"\n}\n"                  // 19-20
         "vrrp_sync_group G {\n  group {\n    VI_1\n  }\n"                // 21-24
         "  notify \"" + groupNotify + "\"\n}\n";                         // 25-26
}

// Bare names become the absolute path found in the fixed PATH; absolute paths stay; arguments,
// quoted ones included, are kept word for word.
TEST(ConfigScripts, ResolvedOnceAndRewritten) {
  FakeFileProbe files;
  files.add("/usr/bin/check_misc").add("/usr/sbin/notify_up").add("/bin/quorum")
      .add("/opt/ha/chk").add("/usr/bin/notify").add("/usr/local/bin/group");
  auto r = loadConfigText(everyScriptKind("check_misc --port 80 'a b'", "notify_up", "quorum down",
                                          "/opt/ha/chk", "notify master",
                                          "/usr/local/bin/group"),
                          testing::kTestFile, files);
  ASSERT_TRUE(hasNoErrors(r));
  const auto& vs = r.config.virtualServers.at(0);
  EXPECT_EQ(vs.quorumDown, "/bin/quorum down");
  EXPECT_EQ(vs.reals.at(0).notifyUp, "/usr/sbin/notify_up");
  EXPECT_EQ(vs.reals.at(0).checkers.at(0).probe.miscPath, "/usr/bin/check_misc --port 80 'a b'");
  EXPECT_EQ(r.config.vrrp.scripts.at(0).command, "/opt/ha/chk");
  EXPECT_EQ(r.config.vrrp.instances.at(0).notify.master, "/usr/bin/notify master");
  EXPECT_EQ(r.config.vrrp.syncGroups.at(0).notify.any, "/usr/local/bin/group");
}

// Each kind of statement reports a missing program at its own line, naming what uses it.
TEST(ConfigScripts, MissingProgramsAreErrorsAtTheirStatement) {
  FakeFileProbe files;
  auto r = loadConfigText(everyScriptKind("/no/misc", "/no/up", "/no/quorum", "/no/chk",
                                          "/no/master", "/no/group"),
                          testing::kTestFile, files);
  EXPECT_TRUE(hasError(r, 6, "MISC_CHECK for real_server 10.0.0.1:80: /no/misc: no such file"));
  EXPECT_TRUE(hasError(r, 4, "notify_up of real_server 10.0.0.1:80: /no/up: no such file"));
  EXPECT_TRUE(hasError(r, 2, "quorum_down of virtual_server 192.0.2.1:80: /no/quorum: no such"));
  EXPECT_TRUE(hasError(r, 11, "vrrp_script chk: /no/chk: no such file"));
  EXPECT_TRUE(hasError(r, 19, "notify_master of vrrp_instance VI_1: /no/master: no such file"));
  EXPECT_TRUE(hasError(r, 25, "notify of vrrp_sync_group G: /no/group: no such file"));
}

// Not executable, not a regular file, not in the fixed PATH (even if it is in ours), a relative
// path: each refused with its reason.
TEST(ConfigScripts, RefusalsSayWhy) {
  FakeFileProbe files;
  files.add("/etc/ha/plain", FileKind::kNotExecutable).add("/etc/ha", FileKind::kNotRegular);
  files.add("/usr/local/bin/mine");
  auto r = loadConfigText(everyScriptKind("/etc/ha/plain", "/etc/ha", "mine", "./chk",
                                          "/usr/local/bin/mine", "/usr/local/bin/mine"),
                          testing::kTestFile, files);
  EXPECT_TRUE(hasError(r, 6, "/etc/ha/plain: not executable"));
  EXPECT_TRUE(hasError(r, 4, "/etc/ha: not a regular file"));
  EXPECT_TRUE(hasError(r, 2, "mine: not found in /usr/sbin:/usr/bin:/sbin:/bin"));
  EXPECT_TRUE(hasError(r, 11, "./chk: a relative path; write it absolute or as a bare name"));
  EXPECT_EQ(errors(r), 4u) << testing::dump(r);
}

// Every statement naming a missing program is an error at its own line (the filesystem is
// asked once per command line).
TEST(ConfigScripts, EveryUseOfAMissingProgramIsAnError) {
  FakeFileProbe files;
  std::string text = "virtual_server 192.0.2.1 80 {\n";
  for (int i = 1; i <= 50; ++i) {
    text += "  real_server 10.0.0." + std::to_string(i) +
            " 80 {\n    MISC_CHECK {\n      misc_path /usr/local/bin/check_x\n    }\n  }\n";
  }
  auto r = loadConfigText(text + "}\n", testing::kTestFile, files);
  EXPECT_EQ(errors(r), 50u);
  EXPECT_TRUE(hasError(r, 4, "MISC_CHECK for real_server 10.0.0.1:80: /usr/local/bin/check_x: "
                             "no such file"));
  EXPECT_TRUE(hasError(r, 249, "MISC_CHECK for real_server 10.0.0.50:80: /usr/local/bin/check_x"));
}

// vrrp_script and notify lines are split at load too: one that cannot be is an error there
// rather than a log line each time it would have run.
TEST(ConfigScripts, UnsplittableVrrpCommandsAreErrors) {
  FakeFileProbe files;
  files.add("/bin/true");
  auto r = loadConfigText(everyScriptKind("/bin/true", "/bin/true", "/bin/true",
                                          "/bin/true 'open", "/bin/true", "/bin/true x\\\\"),
                          testing::kTestFile, files);
  EXPECT_TRUE(hasError(r, 11, "vrrp_script chk: command line '/bin/true 'open' cannot be split"));
  EXPECT_TRUE(hasError(r, 25, "notify of vrrp_sync_group G: command line"));
}

// The real filesystem (the default): an executable file is accepted; once its x bits are gone
// the same config is refused.
TEST(ConfigScripts, SystemFilesystem) {
  TempDir dir;
  const std::string script = dir.write("check.sh", "#!/bin/sh\nexit 0\n");
  ::chmod(script.c_str(), 0755);
  const std::string text = everyScriptKind(script, script, script, script, script, script + " x");
  auto ok = loadConfigText(text, dir.file("directord.conf"));
  ASSERT_TRUE(hasNoErrors(ok));
  EXPECT_EQ(ok.config.vrrp.syncGroups.at(0).notify.any, script + " x");
  ::chmod(script.c_str(), 0644);
  auto refused = loadConfigText(text, dir.file("directord.conf"));
  EXPECT_TRUE(hasError(refused, 6, script + ": not executable", dir.file("directord.conf")));
}

}  // namespace
}  // namespace ha::director
