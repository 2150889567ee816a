#pragma once
// Shared by the NetlinkNftWriter namespace tests: IR for the production rule
// shapes and a fixture that gives every test an empty `inet directord` and
// `netdev directord`.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/netfilter.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "director/nft/netlink_writer.h"
#include "tests/netns_bin/nft_inspector.h"

namespace ha::director::nft::test {

inline const TableId kInet{TableFamily::kInet, "directord"};
inline const TableId kNetdev{TableFamily::kNetdev, "directord"};
inline constexpr uint32_t kProtoTcp = 6;

// The script passes the inode of the namespace it started in; anything else is
// refused, so the binary never rewrites the host's ruleset by accident.
inline bool inHostNetns() {
  const char *host = std::getenv("HA_HOST_NETNS_INODE");
  struct stat self {};
  if (host == nullptr || stat("/proc/self/ns/net", &self) != 0) return true;
  return std::to_string(self.st_ino) == host;
}

inline Bytes u32Host(uint32_t v) { return KeyBuilder().hostU32(v).take(); }
inline Bytes ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return {a, b, c, d}; }
// l4proto . ipv4 . port, each padded to a register: the services4 key.
inline Bytes serviceKey(uint8_t proto, const Bytes &vip, uint16_t port) {
  return KeyBuilder().u8(proto).raw(vip.data(), 4).be16(port).take();
}
// mark . slot: the backends4 key; addr . port: its data.
inline Bytes backendKey(uint32_t mark, uint32_t slot) {
  return KeyBuilder().hostU32(mark).hostU32(slot).take();
}
inline Bytes backendData(const Bytes &addr, uint16_t port) {
  return KeyBuilder().raw(addr.data(), 4).be16(port).take();
}

inline Expr nfprotoIs(uint8_t proto) { return Cmp{CmpOp::kEq, Reg::k0, {proto}}; }

inline SetDef services4() {
  SetDef s{.name = "services4", .map = true, .verdictMap = true};
  s.keyType = (12u << 12) | (7u << 6) | 13u;  // inet_proto . ipv4_addr . inet_service
  s.keyLen = 12;
  return s;
}
inline SetDef backends4() {
  SetDef s{.name = "backends4", .map = true};
  s.keyType = (19u << 6) | 19u;  // mark . mark (slot)
  s.keyLen = 8;
  s.dataType = (7u << 6) | 13u;  // ipv4_addr . inet_service
  s.dataLen = 8;
  return s;
}
inline ChainDef baseChain(std::string name, BaseHook::Hook hook, int32_t prio, std::string type,
                          std::string device = {}) {
  return ChainDef{std::move(name), BaseHook{hook, prio, std::move(type), std::move(device)}, {}};
}
inline ChainDef regularChain(std::string name) {
  return ChainDef{std::move(name), std::nullopt, {}};
}

// The production dispatch rule: meta l4proto . ip daddr . th dport vmap
// @services4.
inline Rule dispatchRule() {
  return Rule{
      {MetaLoad{MetaKey::kNfproto, Reg::k0}, nfprotoIs(NFPROTO_IPV4),
       MetaLoad{MetaKey::kL4proto, Reg::k0}, PayloadLoad{PayloadBase::kNetwork, 16, 4, Reg::k1},
       PayloadLoad{PayloadBase::kTransport, 2, 2, Reg::k2},
       Lookup{"services4", Reg::k0, Reg::kVerdict}},
      "services4 dispatch"};
}
// A service chain's scheduling rule: ct mark . numgen -> real . port, dnat to
// it.
inline Rule scheduleRule(uint32_t modulus) {
  return Rule{{MetaLoad{MetaKey::kNfproto, Reg::k0}, nfprotoIs(NFPROTO_IPV4),
               CtLoad{CtKey::kMark, std::nullopt, Reg::k0}, NumgenInc{Reg::k1, modulus},
               Lookup{"backends4", Reg::k0, Reg::k2},
               Nat{Nat::Type::kDnat, false, Reg::k2, std::nullopt, Reg::k3}},
              ""};
}

inline void sendUdp(int count) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const char payload[] = "directord";
  for (int i = 0; i < count; ++i) {
    sendto(fd, payload, sizeof payload, MSG_DONTWAIT, reinterpret_cast<const sockaddr *>(&to),
           sizeof to);
  }
  close(fd);
}

class NftWriterNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (inHostNetns())
      GTEST_SKIP() << "refusing to touch the initial network namespace; run "
                      "tests/netns/test_nft_writer.sh";
    auto w = NetlinkNftWriter::open();
    ASSERT_TRUE(w.ok()) << w.error();
    writer_ = std::move(*w);
    dropTables();
  }
  void TearDown() override {
    if (writer_) dropTables();
  }
  // add + delete in one batch removes a table whether or not it existed.
  void dropTables() {
    Transaction tx;
    for (const TableId &t : {kInet, kNetdev}) {
      tx.ops.push_back(AddTable{t});
      tx.ops.push_back(DeleteTable{t});
    }
    Status st = writer_->commit(tx);
    ASSERT_TRUE(st.ok()) << st.error();
  }
  void commitOk(const Transaction &tx) {
    Status st = writer_->commit(tx);
    ASSERT_TRUE(st.ok()) << st.error();
  }

  std::unique_ptr<NetlinkNftWriter> writer_;
  NftInspector inspect_;
};

}  // namespace ha::director::nft::test
