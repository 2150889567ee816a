#pragma once
// A Node on fakes for its unit tests: every port is a stateful fake the test can read and script,
// the config lives in a temporary file (reload() re-reads it, as on SIGHUP), and the test drives
// the director loop itself with Node::runReady(): no thread runs it unless a call must wait for it.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "director/config/config_loader.h"
#include "director/nft/names.h"
#include "director/nft/render.h"
#include "director/node/node.h"
#include "director/sched/maglev.h"
#include "tests/fakes/fake_address_owner.h"
#include "tests/fakes/fake_conntrack_table.h"
#include "tests/fakes/fake_datapath.h"
#include "tests/fakes/fake_drift_monitor.h"
#include "tests/fakes/fake_flow_table.h"
#include "tests/fakes/fake_health_control.h"
#include "tests/fakes/fake_nft_writer.h"
#include "tests/fakes/fake_routing_owner.h"

namespace ha::director::test {

// The fake nf_tables, plus every transaction the node tried to commit, refused ones included.
struct RecordingNft final : nft::NftWriter {
  Status commit(const nft::Transaction& tx) override {
    attempted.push_back(tx);
    return fake.commit(tx);
  }
  Result<std::vector<nft::ElementCounter>> readSetCounters(const nft::TableId& t,
                                                           const std::string& s) override {
    return fake.readSetCounters(t, s);
  }
  Result<std::vector<nft::Element>> readSetElements(const nft::TableId& t,
                                                    const std::string& s) override {
    return fake.readSetElements(t, s);
  }
  Result<std::vector<nft::RuleCounter>> readChainCounters(const nft::TableId& t) override {
    return fake.readChainCounters(t);
  }
  nft::FakeNftWriter fake;
  std::vector<nft::Transaction> attempted;
};

// VRRP as the node drives it: applies (or refuses, when told) and records the quorum it is told.
struct RecordingVrrp final : vrrp::Control {
  Status apply(const vrrp::VrrpConfig& config) override {
    ++applies;
    if (!refuseWith.empty()) return Error{refuseWith};
    applied = config;
    return okStatus();
  }
  void shutdown() override { ++shutdowns; }
  Result<vrrp::RouterSnapshot> snapshot() override { return vrrp::RouterSnapshot{}; }
  void setVirtualServerQuorum(const std::string& name, bool up) override {
    quorum.emplace_back(name, up);
  }
  void setSyncReady(bool /*ready*/) override {}
  void runOnThread(std::function<void()> work) override { work(); }

  std::string refuseWith;
  size_t applies = 0;
  size_t shutdowns = 0;
  vrrp::VrrpConfig applied;
  std::vector<std::pair<std::string, bool>> quorum;
};

inline IpAddress ip(const char* text) { return *IpAddress::parse(text); }
inline Endpoint endpoint(const char* address, uint16_t port) { return {ip(address), port}; }
inline healthcheck::RealKey realKey(const char* vip, uint16_t vport, const char* real,
                                    uint16_t port) {
  return {6, ip(vip), vport, ip(real), port};
}

// Ops that are not map/set element edits (tables, chains, rules, set definitions).
inline size_t structuralOps(const nft::Transaction& tx) {
  return static_cast<size_t>(std::count_if(tx.ops.begin(), tx.ops.end(), [](const nft::Op& op) {
    return !std::holds_alternative<nft::AddElements>(op) &&
           !std::holds_alternative<nft::DeleteElements>(op);
  }));
}

// Which optional ports the node gets (a null port: the node runs without that module).
struct Wiring {
  bool health = true;
  bool vrrp = false;
  bool drift = false;
  bool flowEvents = false;  // conntrack's event feed for lc/wlc/... (events_, a fake table)
  bool datapath = true;     // the eBPF datapath (datapath_, a fake)
};

// Elements of `set` edited by `tx` whose key does not start with service `id`'s mark.
inline size_t elementsOutside(const nft::Transaction& tx, const std::string& set, uint32_t id) {
  const nft::Bytes mark = nft::KeyBuilder().hostU32(nft::serviceMark(id)).take();
  size_t n = 0;
  auto count = [&](const std::string& opSet, const std::vector<nft::Element>& elements) {
    for (const auto& e : elements) {
      if (opSet != set || e.key.size() < mark.size() ||
          !std::equal(mark.begin(), mark.end(), e.key.begin()))
        ++n;
    }
  };
  for (const auto& op : tx.ops) {
    if (const auto* add = std::get_if<nft::AddElements>(&op)) count(add->set, add->elements);
    if (const auto* del = std::get_if<nft::DeleteElements>(&op)) count(del->set, del->elements);
  }
  return n;
}

class NodeRig {
 public:
  NodeRig() {
    std::string pattern = (std::filesystem::temp_directory_path() / "node-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    dir_ = pattern;
  }
  NodeRig(const NodeRig&) = delete;
  NodeRig& operator=(const NodeRig&) = delete;
  ~NodeRig() {
    node_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string configPath() const { return (dir_ / "directord.conf").string(); }
  void writeConfig(const std::string& text) {
    std::ofstream out(configPath(), std::ios::trunc);
    out << text;
  }
  static Config parse(const std::string& text) {
    auto loaded = loadConfigText(text, "test.conf");
    EXPECT_FALSE(loaded.hasErrors());
    return loaded.config;
  }

  // `health`, when given, replaces the fake health control (a real healthcheck::Service, say).
  Node& makeNode(Wiring wiring = {}, std::unique_ptr<healthcheck::Control> health = nullptr) {
    NodePorts ports;
    auto nft = std::make_unique<RecordingNft>();
    nft_ = nft.get();
    ports.nft = std::move(nft);
    ports.addresses = std::make_unique<ha::test::FakeAddressOwner>(kernel_);
    ports.routing = std::make_unique<ha::test::FakeRoutingOwner>(routing_);
    auto flows = std::make_unique<FakeFlowTable>();
    flows_ = flows.get();
    ports.conntrack = std::move(flows);
    if (health) {
      ports.health = std::move(health);
    } else if (wiring.health) {
      auto fake = std::make_unique<ha::test::FakeHealthControl>();
      health_ = fake.get();
      ports.health = std::move(fake);
    }
    if (wiring.vrrp) {
      auto vrrp = std::make_unique<RecordingVrrp>();
      vrrp_ = vrrp.get();
      ports.vrrp = std::move(vrrp);
    }
    if (wiring.datapath) {
      auto datapath = std::make_unique<FakeDatapath>();
      datapath_ = datapath.get();
      ports.datapath = std::move(datapath);
    }
    if (wiring.drift) {
      auto drift = std::make_unique<FakeDriftMonitor>();
      drift_ = drift.get();
      ports.drift = std::move(drift);
    }
    if (wiring.flowEvents) {
      ports.openFlowEvents = [this]() -> Result<std::unique_ptr<conntrack::ConntrackPort>> {
        auto events = std::make_unique<ha::sync::FakeConntrackTable>();
        events_ = events.get();
        ++flowEventOpens_;
        return std::unique_ptr<conntrack::ConntrackPort>(std::move(events));
      };
    }
    node_ = std::make_unique<Node>(NodeOptions{configPath(), (dir_ / "admin.sock").string()},
                                   std::move(ports));
    return *node_;
  }

  // Starts a node on `text` (written to the config file, as directord reads it).
  Node& started(const std::string& text, Wiring wiring = {}) {
    writeConfig(text);
    Node& n = makeNode(wiring);
    auto st = n.start(parse(text));
    EXPECT_TRUE(st) << st.error();
    return n;
  }
  void reloadWith(const std::string& text) {
    writeConfig(text);
    node_->reload();
  }
  // The health thread's listener call, then the director loop until it is idle.
  void deliver(std::vector<healthcheck::HealthEvent> events) {
    node_->onHealthEvents(std::move(events));
    node_->runReady();
  }

  // Runs the director loop until `done` or 5 s (for work that arrives from another thread or
  // waits on a timer); true when done.
  bool runUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      node_->runReady();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

  // A call that waits for the director thread (an admin call), answered by this thread running
  // the loop meanwhile.
  template <typename F>
  auto ask(F call) {
    auto answer = std::async(std::launch::async, std::move(call));
    while (answer.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready)
      node_->runReady();
    return answer.get();
  }
  ServiceSnapshot service(const char* vip, uint16_t port) {
    auto snap = ask([this] { return node_->snapshot(); });
    EXPECT_TRUE(snap.ok());
    for (auto& s : snap->services) {
      if (s.plan.key.vip == ip(vip) && s.plan.key.port == port) return s;
    }
    ADD_FAILURE() << "no service " << vip << ":" << port;
    return {};
  }
  // The reals that get new flows, per the node's plan.
  std::vector<Endpoint> inRotation(const char* vip, uint16_t port) {
    std::vector<Endpoint> out;
    for (const auto& r : service(vip, port).reals) {
      if (r.real.inRotation) out.push_back(r.real.endpoint);
    }
    return out;
  }

  // How many backend map elements (every service) send new flows to `real`, per the fake kernel.
  size_t backendsTo(const Endpoint& real) const {
    const auto& tables = nft_->fake.state().tables;
    auto table = tables.find(nft::inetTable());
    if (table == tables.end()) return 0;
    auto elements =
        table->second.elements.find(nft::byFamily(nft::kBackends, !real.address.isV4()));
    if (elements == table->second.elements.end()) return 0;
    const nft::Bytes wanted = nft::endpointData(real);
    size_t n = 0;
    for (const auto& [key, data] : elements->second) {
      if (const auto* bytes = std::get_if<nft::Bytes>(&data); bytes != nullptr && *bytes == wanted)
        ++n;
    }
    return n;
  }
  std::vector<std::string> addresses() const {
    std::vector<std::string> out;
    for (const auto& a : kernel_.all()) out.push_back(a.prefix.str() + " dev " + a.dev);
    std::sort(out.begin(), out.end());
    return out;
  }

  std::filesystem::path dir_;
  ha::test::FakeAddressTable kernel_;
  ha::test::FakeRoutingTable routing_;  // static_routes / static_rules
  RecordingNft* nft_ = nullptr;
  FakeFlowTable* flows_ = nullptr;
  ha::test::FakeHealthControl* health_ = nullptr;
  RecordingVrrp* vrrp_ = nullptr;
  FakeDriftMonitor* drift_ = nullptr;
  FakeDatapath* datapath_ = nullptr;
  ha::sync::FakeConntrackTable* events_ = nullptr;  // the latest feed opened (gone once closed)
  size_t flowEventOpens_ = 0;
  std::unique_ptr<Node> node_;
};

class NodeHarness : public ::testing::Test, public NodeRig {};

// Runs `f` with the node's log (stderr, the console log) captured; returns what it logged.
template <typename F>
std::string logged(F f) {
  ::testing::internal::CaptureStderr();
  f();
  return ::testing::internal::GetCapturedStderr();
}

}  // namespace ha::director::test
