#pragma once
// What the sync engine tests share: engines on a FakeSyncNetwork over FakeConntrackTables, one
// FULLNAT service known on every node (each with its own mark), and flows of it.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sync/engine.h"
#include "tests/fakes/fake_conntrack_table.h"
#include "tests/fakes/fake_sync_network.h"
#include "tests/fakes/manual_clock.h"

namespace ha::sync::engine_test {

using test::FakeSyncNetwork;

inline IpAddress ip(const char* text) { return *IpAddress::parse(text); }

// One FULLNAT service, known with a different mark on each node (ids are per node).
inline ServiceCatalog catalogWithMark(uint32_t mark) {
  CatalogService s;
  s.mark = mark;
  s.fullnat = true;
  s.reals = {{ip("198.51.100.11"), 80}, {ip("198.51.100.12"), 80}};
  s.localAddresses =
      std::make_shared<std::set<IpAddress>>(std::set<IpAddress>{ip("198.51.100.200"), ip("198.51.100.201")});
  return {{CatalogKey{kProtoTcp, ip("192.0.2.100"), 80}, s}};
}

inline FlowEntry flow(uint16_t clientPort, uint8_t state = 3, uint32_t mark = 0xd1000001) {
  FlowEntry e;
  e.l4proto = kProtoTcp;
  e.original = {ip("203.0.113.10"), ip("192.0.2.100"), clientPort, 80};
  e.reply = {ip("198.51.100.11"), ip("198.51.100.200"), 80, clientPort};
  e.status = kIpsSeenReply | kIpsAssured;
  e.tcpState = state;
  e.timeoutSeconds = 432000;
  e.mark = mark;
  return e;
}

// One director's engine on the fake network, over a fake kernel table (its own, or one that
// outlives the process, for restarts). `configure` may change its SyncConfig (peer_quota, ...).
struct Node {
  Node(FakeSyncNetwork& net, const std::string& name, std::vector<std::string> peers,
       uint32_t nodeMark, const TimeSource& clock, FakeConntrackTable* kernel = nullptr,
       const std::function<void(SyncConfig&)>& configure = nullptr)
      : mark(nodeMark),
        owned(kernel ? nullptr : std::make_unique<FakeConntrackTable>()),
        table(kernel ? *kernel : *owned) {
    SyncConfig config;
    config.enabled = true;
    config.nodeName = name;
    for (const auto& p : peers) config.peers.push_back({p, ip("198.51.100.1"), 7800});
    if (configure) configure(config);
    engine =
        std::make_unique<Engine>(config, table, clock, [this](bool r) { readyCalls.push_back(r); });
    engine->setCatalog(catalogWithMark(nodeMark));
    engine->attach(net.addNode(name, peers, *engine));
  }
  std::vector<FlowEntry> flows() {
    auto d = table.dump();
    EXPECT_TRUE(d.ok());
    std::vector<FlowEntry> out = d.ok() ? *d : std::vector<FlowEntry>{};
    std::sort(out.begin(), out.end());
    return out;
  }
  // A packet changed this node's kernel table and the kernel reported it.
  void local(FlowUpdate u) {
    if (u.op == FlowOp::kUpsert) {
      table.set(u.entry);
    } else {
      table.erase(u.entry.key());
    }
    table.pushEvent(u);
    engine->onLocalEvents();
  }
  uint32_t mark;
  std::unique_ptr<FakeConntrackTable> owned;
  FakeConntrackTable& table;  // the kernel's table outlives a process restart
  std::unique_ptr<Engine> engine;
  std::vector<bool> readyCalls;
};

class EngineTest : public ::testing::Test {
 protected:
  ha::test::ManualClock clock;
  FakeSyncNetwork net;
};

inline std::vector<FlowEntry> withMark(std::vector<FlowEntry> flows, uint32_t mark) {
  for (auto& f : flows) f.mark = mark;
  std::sort(flows.begin(), flows.end());
  return flows;
}

}  // namespace ha::sync::engine_test
