// The node's start and stop: our nf_tables tables are recorded in the ownership ledger before the
// commit that creates them and forgotten after the one that removes them; a predecessor's netdev
// table goes with the first commit when the new config has no DR service; a stop leaves nothing
// listed; on SIGTERM what must stop first (the admin server) still gets answers from the loop.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/ownership/recording_address_owner.h"
#include "director/config/config_loader.h"
#include "director/nft/diff.h"
#include "director/nft/render.h"
#include "director/node/node.h"
#include "director/node/reclaim.h"
#include "tests/fakes/fake_address_owner.h"
#include "tests/fakes/fake_nft_writer.h"

namespace ha::director {
namespace {

constexpr const char* kDrConfig = R"(
static_ipaddress {
    192.0.2.102/32 dev lan0
}
virtual_server 192.0.2.102 80 {
    lb_algo mh
    lb_kind DR
    protocol TCP
    real_server 198.51.100.11 80 {
        weight 1
    }
}
)";

constexpr const char* kFullnatConfig = R"(
static_ipaddress {
    198.51.100.200/32 dev lan0
}
local_address_group LAG4 {
    198.51.100.200
}
virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind FNAT
    protocol TCP
    laddr_group_name LAG4
    real_server 198.51.100.11 80 {
        weight 1
    }
}
)";

// What the node told its service manager, in order.
struct RecordingManager : ServiceManager {
  void ready(std::string_view status) override { add("READY " + std::string(status)); }
  void reloading() override { add("RELOADING"); }
  void stopping() override { add("STOPPING"); }
  void watchdog() override { add("WATCHDOG"); }
  void add(std::string event) {
    std::lock_guard lock(mutex);
    events.push_back(std::move(event));
  }
  std::vector<std::string> seen() {
    std::lock_guard lock(mutex);
    return events;
  }
  std::mutex mutex;
  std::vector<std::string> events;
};

struct NoConntrack : ConntrackPort {
  Result<ConnCountMap> count() override { return ConnCountMap{}; }
  Result<std::vector<conntrack::FlowEntry>> flows() override {
    return std::vector<conntrack::FlowEntry>{};
  }
  Result<uint64_t> deleteFlows(const std::vector<FlowOwner>& /*owners*/) override { return uint64_t{0}; }
};

// The fake nf_tables, plus what the ledger listed at each commit (to check the ordering).
struct WatchedNft : nft::NftWriter {
  Status commit(const nft::Transaction& tx) override {
    listedAtCommit.push_back(ledger ? ledger->snapshot().tables : std::vector<LedgerTable>{});
    return fake.commit(tx);
  }
  Result<std::vector<nft::ElementCounter>> readSetCounters(const nft::TableId& t, const std::string& s) override {
    return fake.readSetCounters(t, s);
  }
  Result<std::vector<nft::Element>> readSetElements(const nft::TableId& t, const std::string& s) override {
    return fake.readSetElements(t, s);
  }
  Result<std::vector<nft::RuleCounter>> readChainCounters(const nft::TableId& t) override {
    return fake.readChainCounters(t);
  }
  nft::FakeNftWriter fake;
  std::shared_ptr<OwnershipLedger> ledger;
  std::vector<std::vector<LedgerTable>> listedAtCommit;
};

const LedgerTable kInet{"inet", "directord"};
const LedgerTable kNetdev{"netdev", "directord"};

class NodeLifecycleTest : public ::testing::Test {
 protected:
  std::unique_ptr<Node> node(Ledger inherited = {}) {
    ledger_ = std::make_shared<OwnershipLedger>(std::move(inherited), nullptr);
    NodePorts ports;
    auto nft = std::make_unique<WatchedNft>();
    nft->ledger = ledger_;
    nft_ = nft.get();
    ports.nft = std::move(nft);
    ports.addresses = std::make_unique<RecordingAddressOwner>(std::make_unique<test::FakeAddressOwner>(kernel_),
                                                              ledger_, AddressRole::kStatic);
    ports.conntrack = std::make_unique<NoConntrack>();
    ports.ledger = ledger_;
    ports.serviceManager = manager_;
    return std::make_unique<Node>(NodeOptions{"test.conf", "test.sock", dumpDir_},
                                  std::move(ports));
  }
  static Config config(const char* text) {
    auto loaded = loadConfigText(text, "test.conf");
    EXPECT_FALSE(loaded.hasErrors());
    return loaded.config;
  }
  test::FakeAddressTable kernel_;
  std::shared_ptr<OwnershipLedger> ledger_;
  std::string dumpDir_ = "/tmp";
  std::shared_ptr<ServiceManager> manager_;
  WatchedNft* nft_ = nullptr;
};

// Both DR tables are listed before the commit that creates them; stop removes them and then
// forgets them, with the static address: nothing stays listed.
TEST_F(NodeLifecycleTest, TablesRecordedBeforeCreationForgottenAfterRemoval) {
  auto n = node();
  ASSERT_TRUE(n->start(config(kDrConfig)));
  ASSERT_EQ(nft_->listedAtCommit.size(), 1u);
  EXPECT_EQ(nft_->listedAtCommit[0], (std::vector<LedgerTable>{kInet, kNetdev}));
  Ledger held = ledger_->snapshot();
  EXPECT_EQ(held.tables, (std::vector<LedgerTable>{kInet, kNetdev}));
  ASSERT_EQ(held.addresses.size(), 1u);
  EXPECT_EQ(held.addresses[0].address.prefix.str(), "192.0.2.102/32");
  n->stop();
  EXPECT_EQ(nft_->listedAtCommit.back(), (std::vector<LedgerTable>{kInet, kNetdev}));  // still listed while removing
  EXPECT_TRUE(nft_->fake.state().tables.empty());
  EXPECT_TRUE(ledger_->snapshot().empty());
}

// After a crash of a node with DR services, a restart without any: the first commit replaces the
// inet table and removes the predecessor's netdev table, which then leaves the ledger.
TEST_F(NodeLifecycleTest, PredecessorsNetdevTableGoesWithTheFirstCommit) {
  nft::NftState left;
  {
    auto crashed = node();
    ASSERT_TRUE(crashed->start(config(kDrConfig)));
    left = nft_->fake.state();
  }  // no stop(): the tables stay in the (fake) kernel, the ledger lists them
  ASSERT_EQ(left.tables.size(), 2u);
  Ledger onDisk = ledger_->snapshot();

  auto n = node(onDisk);
  ASSERT_TRUE(nft_->fake.commit(nft::replaceAll(left, {})));  // the new fake kernel starts as the old left it
  ASSERT_TRUE(n->start(config(kFullnatConfig)));
  EXPECT_EQ(nft_->fake.state().tables.count(nft::netdevTable()), 0u);
  EXPECT_EQ(nft_->fake.state().tables.count(nft::inetTable()), 1u);
  EXPECT_EQ(ledger_->snapshot().tables, (std::vector<LedgerTable>{kInet}));
  n->stop();
  EXPECT_TRUE(ledger_->snapshot().tables.empty());
}

// What a failed start or a stop leaves listed is swept: addresses whoever added them, our
// tables, and the ledger ends empty.
TEST_F(NodeLifecycleTest, SweepRemovesWhatIsStillListed) {
  auto n = node();
  ASSERT_TRUE(n->start(config(kDrConfig)));  // no stop: as if node.stop() had failed
  RecordingAddressOwner recorded(std::make_unique<test::FakeAddressOwner>(kernel_), ledger_, AddressRole::kStatic);
  EXPECT_EQ(sweepLedger(*ledger_, ReclaimPorts{recorded, *nft_}, "in the test"), 0u);
  EXPECT_TRUE(ledger_->snapshot().empty());
  EXPECT_TRUE(nft_->fake.state().tables.empty());
  EXPECT_TRUE(kernel_.all().empty());
}

// SIGTERM: the hook that stops the admin server runs while the director loop still answers, so
// an admin call in flight at that moment completes (before, the loop stopped first and such a
// call waited forever); the loop stops once the hook returns.
TEST_F(NodeLifecycleTest, SigtermStopsTheAdminSideBeforeTheLoop) {
  auto n = node();
  ASSERT_TRUE(n->start(config(kFullnatConfig)));
  std::optional<Result<FlowAnswer>> answeredDuringStop;
  std::thread loop([&] {
    n->runUntilSignalled([&] {
      FlowQuery q;
      q.protocol = Protocol::kTcp;
      q.source = *IpAddress::parse("203.0.113.10");
      q.sourcePort = 40000;
      q.vip = *IpAddress::parse("192.0.2.100");
      q.vipPort = 80;
      answeredDuringStop = n->lookup(q);
    });
  });
  // The loop is running once it answers; then the signal (caught by the node's signal_set).
  ASSERT_TRUE(n->lookup(FlowQuery{}).ok());
  ::kill(::getpid(), SIGTERM);
  loop.join();
  ASSERT_TRUE(answeredDuringStop.has_value());
  ASSERT_TRUE(answeredDuringStop->ok()) << answeredDuringStop->error();
  EXPECT_TRUE((*answeredDuringStop)->service.has_value());
  n->stop();
}

// Waits (bounded) for `path` to exist.
bool appears(const std::filesystem::path& path) {
  for (int i = 0; i < 500; ++i) {
    if (std::filesystem::exists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// SIGUSR1 and SIGUSR2 write keepalived.data and keepalived.stats into the dump directory and the
// loop goes on answering; keepalived's SIGJSON (SIGRTMIN+2) is caught too; SIGHUP tells the
// service manager RELOADING then READY (a config that cannot be read changes nothing); SIGTERM
// STOPPING, and the loop ends.
TEST_F(NodeLifecycleTest, SignalsDumpReloadAndStopWithoutDying) {
  std::string pattern = (std::filesystem::temp_directory_path() / "dump-dir-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  dumpDir_ = pattern;
  auto manager = std::make_shared<RecordingManager>();
  manager_ = manager;
  auto n = node();
  ASSERT_TRUE(n->start(config(kFullnatConfig)));
  std::thread loop([&] { n->runUntilSignalled(); });
  ASSERT_TRUE(n->lookup(FlowQuery{}).ok());
  for (int round = 0; round < 3; ++round) {
    ::kill(::getpid(), SIGUSR1);
    ::kill(::getpid(), SIGUSR2);
    ::kill(::getpid(), SIGRTMIN + 2);
  }
  const std::filesystem::path data = std::filesystem::path(dumpDir_) / "keepalived.data";
  const std::filesystem::path stats = std::filesystem::path(dumpDir_) / "keepalived.stats";
  EXPECT_TRUE(appears(data));
  EXPECT_TRUE(appears(stats));
  ASSERT_TRUE(n->lookup(FlowQuery{}).ok());  // still running
  std::ifstream in(data);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find(" Virtual Server = TCP 192.0.2.100:80\n"), std::string::npos)
      << text.str();
  ::kill(::getpid(), SIGHUP);
  for (int i = 0; i < 500 && manager->seen().size() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ::kill(::getpid(), SIGTERM);
  loop.join();
  EXPECT_EQ(manager->seen(), (std::vector<std::string>{
                                 "RELOADING", "READY running: 1 virtual service", "STOPPING"}));
  n->stop();
  std::filesystem::remove_all(dumpDir_);
}

}  // namespace
}  // namespace ha::director
