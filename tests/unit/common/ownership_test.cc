#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/ownership/ownership_ledger.h"
#include "common/ownership/recording_address_owner.h"
#include "common/ownership/runtime_dir.h"
#include "tests/fakes/fake_address_owner.h"

namespace ha {
namespace {

OwnedAddress addr(const char* prefix, const char* dev = "lan0") { return OwnedAddress{*IpPrefix::parse(prefix), dev, ""}; }

// The state file in memory: a full save replaces the text, an append adds a line.
struct MemorySink : LedgerSink {
  Status save(const Ledger& ledger) override {
    if (failSaves) return Error{"disk full"};
    text = encodeLedger(ledger);
    ++saves;
    return okStatus();
  }
  Status append(std::string_view line) override {
    if (failSaves || failAppends) return Error{"disk full"};
    text += line;
    ++appends;
    return okStatus();
  }
  Status erase() override {
    text.clear();
    erased = true;
    return okStatus();
  }
  // What a restart would read now.
  Ledger stored() const {
    auto l = decodeLedger(text);
    EXPECT_TRUE(l.ok()) << l.error();
    return l.ok() ? l.value() : Ledger{};
  }
  std::string text;
  int saves = 0;
  int appends = 0;
  bool failSaves = false;
  bool failAppends = false;
  bool erased = false;
};

bool lists(const Ledger& l, const OwnedAddress& a) { return findAddress(l, a) != nullptr; }

class RecordingOwnerTest : public ::testing::Test {
 protected:
  std::unique_ptr<RecordingAddressOwner> owner(std::shared_ptr<OwnershipLedger> ledger, AddressRole role) {
    auto inner = std::make_unique<test::FakeAddressOwner>(kernel_);
    fake_ = inner.get();
    return std::make_unique<RecordingAddressOwner>(std::move(inner), std::move(ledger), role);
  }
  std::shared_ptr<OwnershipLedger> ledger(Ledger initial = {}) {
    auto sink = std::make_unique<MemorySink>();
    sink_ = sink.get();
    return std::make_shared<OwnershipLedger>(std::move(initial), std::move(sink));
  }
  test::FakeAddressTable kernel_;
  test::FakeAddressOwner* fake_ = nullptr;
  MemorySink* sink_ = nullptr;
};

// An address is in the saved ledger before the kernel has it, and leaves the ledger only after
// the kernel dropped it: a crash at any point leaves the ledger listing at least what we hold.
TEST_F(RecordingOwnerTest, RecordsBeforeAddingAndForgetsAfterRemoving) {
  auto l = ledger();
  auto o = owner(l, AddressRole::kStatic);
  std::vector<std::string> checks;
  fake_->beforeKernelChange = [&](const char* op, const OwnedAddress& a) {
    checks.push_back(std::string(op) + (lists(sink_->stored(), a) ? " listed" : " not listed"));
  };
  const auto vip = addr("192.0.2.100/32");
  ASSERT_TRUE(o->add(vip));
  ASSERT_TRUE(o->remove(vip));
  EXPECT_EQ(checks, (std::vector<std::string>{"add listed", "del listed"}));
  EXPECT_FALSE(lists(sink_->stored(), vip));
  EXPECT_FALSE(kernel_.has(vip));
  EXPECT_TRUE(sink_->stored().addresses.empty());
}

// Present already and not listed: someone else's. Accepted, not recorded, and left on remove.
TEST_F(RecordingOwnerTest, ForeignAddressIsNeitherRecordedNorRemoved) {
  const auto foreign = addr("192.0.2.9/32");
  kernel_.put(foreign);
  auto l = ledger();
  auto o = owner(l, AddressRole::kStatic);
  ASSERT_TRUE(o->add(foreign));
  EXPECT_FALSE(l->listsAddress(foreign));
  ASSERT_TRUE(o->remove(foreign));
  EXPECT_TRUE(kernel_.has(foreign));
}

// kill -9 and a restart: the predecessor's address comes back as "present" (EEXIST). Without the
// ledger it reads as someone else's and outlives the next stop (the bug); with the ledger it is
// ours again and the stop removes it.
TEST_F(RecordingOwnerTest, CrashThenRestartReclaimsWhatTheLedgerLists) {
  const auto vip = addr("198.51.100.200/32");
  auto firstLedger = ledger();
  {
    auto first = owner(firstLedger, AddressRole::kStatic);
    ASSERT_TRUE(first->add(vip));
  }  // kill -9: the address stays in the kernel, the state file stays on disk
  const Ledger onDisk = sink_->stored();
  ASSERT_TRUE(kernel_.has(vip));

  test::FakeAddressOwner withoutLedger(kernel_);  // control: main at 35bf836
  ASSERT_TRUE(withoutLedger.add(vip));
  ASSERT_TRUE(withoutLedger.remove(vip));
  EXPECT_TRUE(kernel_.has(vip)) << "control: without the ledger the address leaks";

  auto l = ledger(onDisk);
  auto second = owner(l, AddressRole::kStatic);
  ASSERT_TRUE(second->add(vip));
  EXPECT_TRUE(second->owns(vip));
  ASSERT_TRUE(second->remove(vip));
  EXPECT_FALSE(kernel_.has(vip));
  EXPECT_FALSE(l->listsAddress(vip));
}

// A listed address this process never added (wanted by nobody now) is still ours to remove.
TEST_F(RecordingOwnerTest, ListedButNeverAddedIsRemovedOnRequest) {
  const auto old = addr("192.0.2.50/32");
  kernel_.put(old);
  Ledger inherited;
  recordAddress(inherited, old, AddressRole::kStatic);
  auto l = ledger(inherited);
  auto o = owner(l, AddressRole::kStatic);
  ASSERT_TRUE(o->remove(old));
  EXPECT_FALSE(kernel_.has(old));
  EXPECT_FALSE(l->listsAddress(old));
}

// VRRP's side: a master's claim is recorded with the vrrp role, a backup's purge forgets it.
TEST_F(RecordingOwnerTest, VrrpClaimAndPurge) {
  auto l = ledger();
  auto o = owner(l, AddressRole::kVrrp);
  const auto vip = addr("192.0.2.100/32");
  ASSERT_TRUE(o->claim(vip));
  const Ledger held = l->snapshot();
  const auto* entry = findAddress(held, vip);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->role, AddressRole::kVrrp);
  ASSERT_TRUE(o->purge(vip));
  EXPECT_FALSE(l->listsAddress(vip));
  EXPECT_FALSE(kernel_.has(vip));
}

// A refused add (no such device) leaves nothing recorded.
TEST_F(RecordingOwnerTest, RefusedAddIsNotRecorded) {
  auto l = ledger();
  auto o = owner(l, AddressRole::kStatic);
  auto refused = o->add(addr("192.0.2.1/32", "nosuch0"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), "add 192.0.2.1/32 dev nosuch0: No such device");
  EXPECT_TRUE(l->snapshot().empty());
  EXPECT_TRUE(sink_->stored().empty());
}

// A save that fails does not stop the kernel change (an outage would be worse); it is counted,
// and the next successful save carries everything.
TEST_F(RecordingOwnerTest, FailedSaveIsCountedAndCaughtUp) {
  auto l = ledger();
  auto o = owner(l, AddressRole::kStatic);
  sink_->failSaves = true;
  ASSERT_TRUE(o->add(addr("192.0.2.1/32")));
  EXPECT_TRUE(kernel_.has(addr("192.0.2.1/32")));
  EXPECT_EQ(l->saveFailures(), 1u);
  sink_->failSaves = false;
  ASSERT_TRUE(o->add(addr("192.0.2.2/32")));
  EXPECT_EQ(sink_->stored().addresses.size(), 2u);
}

// A change costs one appended line, not a rewrite; the journal is folded into a full rewrite once
// it outgrows what is held, so a flapping VRRP instance does not grow the file without bound.
TEST_F(RecordingOwnerTest, ChangesAppendAndTheJournalStaysBounded) {
  auto l = ledger();
  auto o = owner(l, AddressRole::kVrrp);
  ASSERT_TRUE(l->compact());
  EXPECT_EQ(sink_->saves, 1);
  const auto vip = addr("192.0.2.100/32");
  for (int flap = 0; flap < 500; ++flap) {
    ASSERT_TRUE(o->claim(vip));
    ASSERT_TRUE(o->remove(vip));
  }
  EXPECT_EQ(sink_->saves + sink_->appends, 1 + 1000);
  EXPECT_GE(sink_->appends, 900);
  EXPECT_LT(sink_->text.size(), 8192u);
  EXPECT_TRUE(sink_->stored().empty());
}

// An append that fails (the file removed under us) is replaced by a full rewrite at once: the
// record is stored before the kernel change all the same.
TEST_F(RecordingOwnerTest, FailedAppendRewritesWhole) {
  auto l = ledger();
  auto o = owner(l, AddressRole::kStatic);
  ASSERT_TRUE(l->compact());
  sink_->failAppends = true;
  bool listedBeforeAdd = false;
  fake_->beforeKernelChange = [&](const char*, const OwnedAddress& a) { listedBeforeAdd = lists(sink_->stored(), a); };
  ASSERT_TRUE(o->add(addr("192.0.2.1/32")));
  EXPECT_TRUE(listedBeforeAdd);
  EXPECT_EQ(l->saveFailures(), 0u);
}

// The stored ledger is erased only once nothing is listed.
TEST_F(RecordingOwnerTest, EraseOnlyWhenEmpty) {
  auto l = ledger();
  auto o = owner(l, AddressRole::kStatic);
  ASSERT_TRUE(o->add(addr("192.0.2.1/32")));
  EXPECT_FALSE(l->eraseIfEmpty());
  EXPECT_FALSE(sink_->erased);
  ASSERT_TRUE(o->remove(addr("192.0.2.1/32")));
  EXPECT_TRUE(l->eraseIfEmpty());
  EXPECT_TRUE(sink_->erased);
}

class RuntimeDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "runtime_dir_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    base_ = tmpl;
    dir_ = base_ + "/net-4026531840";
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(base_); }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string base_;
  std::string dir_;
};

// The state file round-trips, is private (0600), and no temporary file is left behind.
TEST_F(RuntimeDirTest, StateFileSavesAtomicallyAndLoads) {
  StateFile file(dir_);
  auto absent = file.load();
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
  Ledger l;
  l.netnsCookie = 12;
  recordAddress(l, addr("192.0.2.1/32"), AddressRole::kStatic);
  recordTable(l, {"inet", "directord"});
  ASSERT_TRUE(file.save(l));
  EXPECT_FALSE(std::filesystem::exists(file.path() + ".tmp"));
  struct stat st {};
  ASSERT_EQ(stat(file.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = file.load();
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ(**loaded, l);
  ASSERT_TRUE(file.erase());
  EXPECT_FALSE(std::filesystem::exists(file.path()));
}

// A corrupt state file is not reclaimed from: it is set aside (its bytes kept for a human) and
// the node starts with an empty ledger.
TEST_F(RuntimeDirTest, CorruptStateIsSetAsideNotReclaimed) {
  StateFile file(dir_);
  const std::string garbage =
      "directord-state 1\nboot-id boot\nnetns-cookie 5\naddress 999.0.0.1/32 dev lan0 role static\n";
  std::ofstream(file.path()) << garbage;
  Ledger l = inheritLedger(file, NetnsIdentity{1, 5, "boot"});
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.netnsCookie, 5u);
  EXPECT_FALSE(std::filesystem::exists(file.path()));
  EXPECT_EQ(read(file.asidePath()), garbage);
}

// A ledger written in another namespace (the inode was reused) or before a reboot is not ours; a
// matching one, or one from a kernel without cookies (0), is inherited.
TEST_F(RuntimeDirTest, InheritsOnlyFromThisNamespaceAndBoot) {
  StateFile file(dir_);
  Ledger written;
  recordAddress(written, addr("192.0.2.1/32"), AddressRole::kStatic);
  written.netnsCookie = 77;
  written.bootId = "boot-1";
  ASSERT_TRUE(file.save(written));
  EXPECT_TRUE(inheritLedger(file, NetnsIdentity{1, 78, "boot-1"}).empty());
  EXPECT_TRUE(inheritLedger(file, NetnsIdentity{1, 77, "boot-2"}).empty());
  Ledger same = inheritLedger(file, NetnsIdentity{1, 77, "boot-1"});
  EXPECT_EQ(same.addresses.size(), 1u);
  written.netnsCookie = 0;
  ASSERT_TRUE(file.save(written));
  Ledger unknown = inheritLedger(file, NetnsIdentity{1, 78, "boot-1"});
  EXPECT_EQ(unknown.addresses.size(), 1u);
  EXPECT_EQ(unknown.netnsCookie, 78u);
}

// One instance per directory: a second is refused and told who holds it; once the first lets go
// (its lock file and directory removed) the next one gets it.
TEST_F(RuntimeDirTest, SecondInstanceIsRefusedAndNamedTheFirst) {
  const InstanceInfo first{1234, "/etc/directord/directord.conf", "/run/directord.sock", "2025-06-01T10:00:00Z"};
  const std::string dir = base_ + "/net-1";
  auto taken = InstanceLock::acquire(dir, first);
  ASSERT_TRUE(taken.lock) << taken.message;
  auto refused = InstanceLock::acquire(dir, InstanceInfo{99, "/other.conf", "/other.sock", "later"});
  EXPECT_FALSE(refused.lock);
  EXPECT_TRUE(refused.heldByAnother);
  EXPECT_EQ(refused.message,
            "pid 1234, config /etc/directord/directord.conf, admin socket /run/directord.sock, started "
            "2025-06-01T10:00:00Z");
  EXPECT_EQ(read(dir + "/lock"), encodeInstanceInfo(first));  // the refused one wrote nothing
  taken.lock.reset();
  EXPECT_FALSE(std::filesystem::exists(dir));
  auto again = InstanceLock::acquire(dir, first);
  EXPECT_TRUE(again.lock) << again.message;
}

// The holder's description survives its codec; garbage reads as nobody.
TEST(InstanceInfoCodec, RoundTripsAndRefusesGarbage) {
  const InstanceInfo info{42, "/etc/a b.conf", "/run/x.sock", "2025-01-01T00:00:00Z"};
  EXPECT_EQ(decodeInstanceInfo(encodeInstanceInfo(info)), info);
  EXPECT_FALSE(decodeInstanceInfo(""));
  EXPECT_FALSE(decodeInstanceInfo("pid x\n"));
  EXPECT_FALSE(decodeInstanceInfo("pid -3\n"));
  EXPECT_FALSE(decodeInstanceInfo("config /a\n"));
}

}  // namespace
}  // namespace ha
