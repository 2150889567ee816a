// Owner-flagged tables and the drift monitor against the kernel (run by tests/netns/
// test_nft_writer.sh inside a throwaway namespace).
#include <poll.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "director/nft/netlink_drift_monitor.h"
#include "tests/netns_bin/nft_writer_fixture.h"

namespace ha::director::nft::test {
namespace {

bool tableExists(const char* family) {
  const std::string cmd = std::string("nft list table ") + family + " directord >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

Transaction ownedTable(TableOwner owner, const char* chain) {
  return Transaction{{AddTable{kInet, owner}, AddChain{kInet, regularChain(chain)}}};
}

std::unique_ptr<NetlinkNftWriter> openWriter() {
  auto w = NetlinkNftWriter::open();
  EXPECT_TRUE(w.ok()) << w.error();
  return w ? std::move(*w) : nullptr;
}

// Waits (bounded) until the monitor's socket is readable, then reads it.
std::vector<Drift> readDrift(DriftMonitor& monitor, int timeoutMs = 1000) {
  std::vector<Drift> out;
  pollfd p{monitor.fd(), POLLIN, 0};
  if (poll(&p, 1, timeoutMs) <= 0) return out;
  auto read = monitor.read(out);
  EXPECT_TRUE(read.ok()) << read.error();
  if (read) {
    EXPECT_FALSE(read->overrun);
  }
  return out;
}

// An owner-flagged table refuses another socket's delete, chain and rule, and `nft flush ruleset`
// passes it by; its owner still changes it.
TEST_F(NftWriterNetnsTest, OwnedTableRefusesOtherSockets) {
  commitOk(ownedTable(TableOwner::kProcess, "mine"));
  auto foreign = openWriter();
  ASSERT_TRUE(foreign);
  Status st = foreign->commit(Transaction{{DeleteTable{kInet}}});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("Operation not permitted"), std::string::npos) << st.error();
  EXPECT_FALSE(foreign->commit(Transaction{{AddChain{kInet, regularChain("theirs")}}}).ok());
  EXPECT_EQ(std::system("nft flush ruleset"), 0);
  EXPECT_TRUE(tableExists("inet"));
  commitOk(Transaction{{AddChain{kInet, regularChain("mine2")}}});
  EXPECT_EQ(inspect_.chains(kInet).size(), 2u);
}

// A persistent table outlives its owner's socket (forwarding survives a crash); the next process
// claims it in replaceAll's "ensure, delete, re-create" batch and owns the new one.
TEST_F(NftWriterNetnsTest, PersistentTableOutlivesItsOwnerAndIsClaimed) {
  {
    auto first = openWriter();
    ASSERT_TRUE(first);
    ASSERT_TRUE(first->commit(ownedTable(TableOwner::kPersistent, "old")).ok());
    EXPECT_EQ(first->ownerLimit(), TableOwner::kPersistent);
  }
  EXPECT_TRUE(tableExists("inet"));
  EXPECT_EQ(inspect_.chains(kInet), std::vector<std::string>{"old"});
  commitOk(Transaction{{AddTable{kInet}, DeleteTable{kInet}, AddTable{kInet, TableOwner::kPersistent},
                        AddChain{kInet, regularChain("new")}}});
  EXPECT_EQ(inspect_.chains(kInet), std::vector<std::string>{"new"});
  auto foreign = openWriter();
  ASSERT_TRUE(foreign);
  EXPECT_FALSE(foreign->commit(Transaction{{DeleteTable{kInet}}}).ok());
}

// A process-owned table goes with its owner's socket: fail closed.
TEST_F(NftWriterNetnsTest, ProcessOwnedTableDiesWithItsOwner) {
  {
    auto first = openWriter();
    ASSERT_TRUE(first);
    ASSERT_TRUE(first->commit(ownedTable(TableOwner::kProcess, "c")).ok());
    EXPECT_TRUE(tableExists("inet"));
  }
  EXPECT_FALSE(tableExists("inet"));
}

// A second process cannot take a table its owner still holds, even with the replace idiom.
TEST_F(NftWriterNetnsTest, LiveOwnerKeepsItsTableFromASecondProcess) {
  commitOk(ownedTable(TableOwner::kPersistent, "first"));
  auto second = openWriter();
  ASSERT_TRUE(second);
  Status st = second->commit(Transaction{{AddTable{kInet}, DeleteTable{kInet},
                                          AddTable{kInet, TableOwner::kPersistent}}});
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(inspect_.chains(kInet), std::vector<std::string>{"first"});
}

// The monitor hears nothing of our own writer, even a 20k-element commit (filtered in the kernel,
// no overrun), nor of other tables; another socket's change to our table is one drift naming
// this process.
TEST_F(NftWriterNetnsTest, DriftMonitorReportsForeignChangesOnly) {
  commitOk(Transaction{{AddTable{kInet, TableOwner::kNone}, AddSet{kInet, backends4()}}});
  auto monitor = NetlinkDriftMonitor::open({kInet, kNetdev}, writer_->portId());
  ASSERT_TRUE(monitor.ok()) << monitor.error();
  std::vector<Element> elements;
  for (uint32_t i = 0; i < 20000; ++i) {
    elements.push_back({backendKey(0xd1000001, i), backendData(ipv4(198, 51, 100, 11), 80)});
  }
  commitOk(Transaction{{AddElements{kInet, "backends4", elements}, AddChain{kInet, regularChain("c")}}});
  EXPECT_TRUE(readDrift(**monitor, 200).empty());
  EXPECT_EQ(std::system("nft add table inet unrelated && nft delete table inet unrelated"), 0);
  EXPECT_TRUE(readDrift(**monitor, 200).empty());

  auto foreign = openWriter();
  ASSERT_TRUE(foreign);
  ASSERT_TRUE(foreign->commit(Transaction{{DeleteTable{kInet}}}).ok());
  auto drifts = readDrift(**monitor);
  ASSERT_EQ(drifts.size(), 1u);
  EXPECT_EQ(drifts[0].pid, static_cast<uint32_t>(getpid()));
  EXPECT_EQ(drifts[0].what.rfind("delete table inet directord (+", 0), 0u) << drifts[0].what;
}

}  // namespace
}  // namespace ha::director::nft::test
