// The eBPF datapath (director/bpf/progs/director_datapath.bpf.c) in the kernel: the skeleton is
// loaded (so the verifier of the running kernel accepts it), the maps are filled, and crafted
// frames run through the program with BPF_PROG_TEST_RUN. Needs root: each test process moves to
// a network namespace of its own with two veth pairs (client side, real side), addresses, a
// route through a gateway and permanent neighbours, which the program's FIB lookups see.
// ctest label `root`, not `unit`.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "bpf/director_datapath.skel.h"
#include "common/jhash.h"
#include "director/bpf/abi.h"

namespace {

using Bytes = std::vector<uint8_t>;

constexpr int kActOk = 0;        // TC_ACT_OK
constexpr int kActShot = 2;      // TC_ACT_SHOT
constexpr int kActRedirect = 7;  // TC_ACT_REDIRECT
constexpr uint8_t kTcpSyn = 0x02;
constexpr uint8_t kTcpAck = 0x10;
constexpr size_t kEth = 14;

// ---- addresses ---------------------------------------------------------------------------

struct Addr {
  int family;
  Bytes bytes;
};

Addr ip(const char* text) {
  Addr a{std::strchr(text, ':') ? AF_INET6 : AF_INET, Bytes(16)};
  if (inet_pton(a.family, text, a.bytes.data()) != 1) throw std::runtime_error(text);
  a.bytes.resize(a.family == AF_INET ? 4 : 16);
  return a;
}

void put16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
uint16_t get16(const Bytes& b, size_t at) { return static_cast<uint16_t>(b[at] << 8 | b[at + 1]); }

// ---- checksums: the one's-complement sum over big-endian 16-bit words ---------------------

uint32_t sumWords(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2) sum += static_cast<uint32_t>(p[n - 1] << 8);
  return sum;
}
uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}
uint32_t pseudoHeader(const Addr& src, const Addr& dst, uint8_t protocol, size_t l4Length) {
  uint32_t sum = sumWords(src.bytes.data(), src.bytes.size());
  sum = sumWords(dst.bytes.data(), dst.bytes.size(), sum);
  return sum + protocol + static_cast<uint32_t>(l4Length);
}

// ---- packets ----------------------------------------------------------------------------

struct Tcp {
  uint16_t sport = 40000;
  uint16_t dport = 80;
  uint8_t flags = kTcpAck;
  Bytes options;  // a multiple of 4
  Bytes payload;
};

Bytes tcpSegment(const Tcp& t) {
  Bytes s(20 + t.options.size());
  put16(s, 0, t.sport);
  put16(s, 2, t.dport);
  s[4] = 0x11;   // sequence number
  s[11] = 0x22;  // acknowledgment number
  s[12] = static_cast<uint8_t>(((20 + t.options.size()) / 4) << 4);
  s[13] = t.flags;
  put16(s, 14, 64240);
  std::copy(t.options.begin(), t.options.end(), s.begin() + 20);
  s.insert(s.end(), t.payload.begin(), t.payload.end());
  return s;
}

Bytes udpDatagram(uint16_t sport, uint16_t dport, size_t payload) {
  Bytes s(8 + payload, 0x5a);
  put16(s, 0, sport);
  put16(s, 2, dport);
  put16(s, 4, static_cast<uint16_t>(s.size()));
  put16(s, 6, 0);
  return s;
}

struct IpOptions {
  uint8_t tos = 0;
  bool df = true;
  uint16_t fragment = 0;  // MF and offset bits (IPv4)
  Bytes ipOptions;        // IPv4 options, a multiple of 4
  bool fillChecksum = true;
};

IpOptions withTos(uint8_t tos) {
  IpOptions o;
  o.tos = tos;
  return o;
}
IpOptions fragmentOf(uint16_t bits) {  // DF clear, MF and offset as given
  IpOptions o;
  o.df = false;
  o.fragment = bits;
  return o;
}
IpOptions withIpOptions(Bytes options) {
  IpOptions o;
  o.ipOptions = std::move(options);
  return o;
}
IpOptions rawL4() {  // the L4 bytes as given, no checksum filled in
  IpOptions o;
  o.fillChecksum = false;
  return o;
}

// The L4 checksum position inside the segment, or none.
size_t l4ChecksumAt(uint8_t protocol) { return protocol == IPPROTO_TCP ? 16 : 6; }

Bytes ipPacket(const Addr& src, const Addr& dst, uint8_t protocol, Bytes l4,
               const IpOptions& o = {}) {
  if (o.fillChecksum && l4.size() >= l4ChecksumAt(protocol) + 2) {
    put16(l4, l4ChecksumAt(protocol), 0);
    uint16_t sum =
        ~fold(sumWords(l4.data(), l4.size(), pseudoHeader(src, dst, protocol, l4.size())));
    put16(l4, l4ChecksumAt(protocol), sum);
  }
  Bytes p;
  if (src.family == AF_INET) {
    const size_t header = 20 + o.ipOptions.size();
    p.assign(header, 0);
    p[0] = static_cast<uint8_t>(0x40 | header / 4);
    p[1] = o.tos;
    put16(p, 2, static_cast<uint16_t>(header + l4.size()));
    put16(p, 4, 0x1234);
    put16(p, 6, static_cast<uint16_t>((o.df ? 0x4000 : 0) | o.fragment));
    p[8] = 63;
    p[9] = protocol;
    std::copy(src.bytes.begin(), src.bytes.end(), p.begin() + 12);
    std::copy(dst.bytes.begin(), dst.bytes.end(), p.begin() + 16);
    std::copy(o.ipOptions.begin(), o.ipOptions.end(), p.begin() + 20);
    put16(p, 10, static_cast<uint16_t>(~fold(sumWords(p.data(), header))));
  } else {
    p.assign(40, 0);
    p[0] = static_cast<uint8_t>(0x60 | o.tos >> 4);
    p[1] = static_cast<uint8_t>((o.tos & 0x0f) << 4 | 0x0a);  // and a flow label
    p[2] = 0xbc;
    p[3] = 0xde;
    put16(p, 4, static_cast<uint16_t>(l4.size()));
    p[6] = protocol;
    p[7] = 63;
    std::copy(src.bytes.begin(), src.bytes.end(), p.begin() + 8);
    std::copy(dst.bytes.begin(), dst.bytes.end(), p.begin() + 24);
  }
  p.insert(p.end(), l4.begin(), l4.end());
  return p;
}

const Bytes kClientMac{0x02, 0, 0, 0, 0, 0xc1};
const Bytes kDirectorMac{0x02, 0, 0, 0, 0, 0xd1};

Bytes ethernet(const Bytes& packet, int family) {
  Bytes f = kDirectorMac;
  f.insert(f.end(), kClientMac.begin(), kClientMac.end());
  f.push_back(family == AF_INET ? 0x08 : 0x86);
  f.push_back(family == AF_INET ? 0x00 : 0xdd);
  f.insert(f.end(), packet.begin(), packet.end());
  return f;
}

// Linux's usual SYN options: MSS, SACK permitted, timestamps, NOP, window scale (20 bytes).
Bytes linuxSynOptions(uint16_t mss = 1460) {
  return {2,
          4,
          static_cast<uint8_t>(mss >> 8),
          static_cast<uint8_t>(mss),
          4,
          2,
          8,
          10,
          0,
          0,
          0,
          1,
          0,
          0,
          0,
          0,
          1,
          3,
          3,
          7};
}

// Whether the TCP/UDP checksum of an IP packet (no Ethernet) verifies, with pseudo header.
bool l4ChecksumOk(const Bytes& p) {
  const int family = (p[0] >> 4) == 4 ? AF_INET : AF_INET6;
  Addr src{family, {}}, dst{family, {}};
  size_t header;
  uint8_t protocol;
  if (family == AF_INET) {
    header = (p[0] & 0x0f) * 4u;
    protocol = p[9];
    src.bytes.assign(p.begin() + 12, p.begin() + 16);
    dst.bytes.assign(p.begin() + 16, p.begin() + 20);
  } else {
    header = 40;
    protocol = p[6];
    src.bytes.assign(p.begin() + 8, p.begin() + 24);
    dst.bytes.assign(p.begin() + 24, p.begin() + 40);
  }
  const size_t l4 = p.size() - header;
  return fold(sumWords(p.data() + header, l4, pseudoHeader(src, dst, protocol, l4))) == 0xffff;
}

bool ipv4HeaderChecksumOk(const Bytes& p, size_t at = 0) {
  return fold(sumWords(p.data() + at, (p[at] & 0x0f) * 4u)) == 0xffff;
}

Bytes slice(const Bytes& b, size_t from, size_t n = std::string::npos) {
  if (n == std::string::npos) n = b.size() - from;
  return Bytes(b.begin() + static_cast<long>(from), b.begin() + static_cast<long>(from + n));
}

// ---- the lab ------------------------------------------------------------------------------

void run(const std::string& command) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) != 0)
    throw std::runtime_error("failed: " + command);
}

void writeSysctl(const std::string& path, const std::string& value) {
  std::ofstream out(path);
  out << value;
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

Bytes linkMac(const std::string& device) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);  // in the test's namespace
  ifreq request{};
  std::strncpy(request.ifr_name, device.c_str(), IFNAMSIZ - 1);
  const int rc = fd < 0 ? -1 : ioctl(fd, SIOCGIFHWADDR, &request);
  if (fd >= 0) close(fd);
  if (rc != 0) throw std::runtime_error("no MAC for " + device);
  const auto* mac = reinterpret_cast<const uint8_t*>(request.ifr_hwaddr.sa_data);
  return Bytes(mac, mac + 6);
}

const Bytes kRealMac{0x02, 0, 0, 0, 0, 0x0a};
const Bytes kGatewayMac{0x02, 0, 0, 0, 0, 0xfe};

struct Lab {
  unsigned clientIfindex = 0;
  Bytes realSideMac;  // rs0's own address: the source MAC of every encapsulated frame
};

Lab& lab() {
  static Lab instance;
  return instance;
}

class DatapathProgTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    if (unshare(CLONE_NEWNET) != 0) throw std::runtime_error("unshare(CLONE_NEWNET)");
    run("ip link set lo up");
    run("ip link add cli0 type veth peer name cli1");
    run("ip link add rs0 type veth peer name rs1");
    for (const char* dev : {"cli0", "cli1", "rs0", "rs1"})
      run(std::string("ip link set ") + dev + " up");
    run("ip addr add 192.0.2.1/24 dev cli0");
    run("ip addr add 198.51.100.1/24 dev rs0");
    run("ip -6 addr add fd00:1::1/64 dev cli0 nodad");
    run("ip -6 addr add fd00:2::1/64 dev rs0 nodad");
    run("ip route add 203.0.113.0/24 via 198.51.100.254 dev rs0");
    run("ip -6 route add fd00:3::/64 via fd00:2::fe dev rs0");
    run("ip neigh add 198.51.100.10 lladdr 02:00:00:00:00:0a dev rs0 nud permanent");
    run("ip neigh add 198.51.100.254 lladdr 02:00:00:00:00:fe dev rs0 nud permanent");
    run("ip -6 neigh add fd00:2::a lladdr 02:00:00:00:00:0a dev rs0 nud permanent");
    run("ip -6 neigh add fd00:2::fe lladdr 02:00:00:00:00:fe dev rs0 nud permanent");
    // bpf_fib_lookup forwards only where forwarding is on (as the director has it).
    writeSysctl("/proc/sys/net/ipv4/ip_forward", "1");
    writeSysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1");
    lab().clientIfindex = if_nametoindex("cli0");
    lab().realSideMac = linkMac("rs0");
  }

  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (BPF_PROG_TEST_RUN, network namespaces)";
    skel_ = director_datapath__open_and_load();
    ASSERT_NE(skel_, nullptr)
        << "the verifier refused the program (run with LIBBPF_LOG_LEVEL=debug)";
  }
  void TearDown() override { director_datapath__destroy(skel_); }

  void addVip(const Addr& vip, uint32_t flags) {
    dd_vip_key key{};
    key.family = static_cast<uint8_t>(vip.family);
    std::memcpy(key.vip, vip.bytes.data(), vip.bytes.size());
    uint32_t merged = flags;
    bpf_map_lookup_elem(bpf_map__fd(skel_->maps.dd_vips), &key, &merged);
    merged |= flags;
    ASSERT_EQ(bpf_map_update_elem(bpf_map__fd(skel_->maps.dd_vips), &key, &merged, BPF_ANY), 0);
  }

  void addService(const Addr& vip, uint8_t protocol, uint16_t port, dd_service svc) {
    addVip(vip, svc.flags);
    dd_service_key key{};
    key.family = static_cast<uint8_t>(vip.family);
    key.protocol = protocol;
    key.port = htons(port);
    std::memcpy(key.vip, vip.bytes.data(), vip.bytes.size());
    ASSERT_EQ(bpf_map_update_elem(bpf_map__fd(skel_->maps.dd_services), &key, &svc, BPF_ANY), 0);
  }

  void addSlot(uint32_t serviceId, uint32_t slot, const Addr& real) {
    dd_slot_key key{serviceId, slot};
    dd_real value{};
    value.family = static_cast<uint8_t>(real.family);
    std::memcpy(value.addr, real.bytes.data(), real.bytes.size());
    ASSERT_EQ(bpf_map_update_elem(bpf_map__fd(skel_->maps.dd_slots), &key, &value, BPF_ANY), 0);
  }

  // One TUN service with a single real in one slot.
  void tunService(const Addr& vip, uint16_t port, const Addr& real, uint32_t id = 7) {
    addService(vip, IPPROTO_TCP, port, dd_service{id, DD_SVC_TUN, 1, 0x5eed});
    addSlot(id, 0, real);
  }

  struct Result {
    int verdict;
    Bytes frame;
  };

  Result runProgram(const Bytes& frame) {
    Bytes out(frame.size() + 256);
    __sk_buff ctx{};
    ctx.ifindex = lab().clientIfindex;
    bpf_test_run_opts opts{};
    opts.sz = sizeof(opts);
    opts.data_in = frame.data();
    opts.data_size_in = static_cast<uint32_t>(frame.size());
    opts.data_out = out.data();
    opts.data_size_out = static_cast<uint32_t>(out.size());
    opts.ctx_in = &ctx;
    opts.ctx_size_in = sizeof(ctx);
    opts.repeat = 1;
    const int err = bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.dd_ingress), &opts);
    if (err != 0) throw std::runtime_error("BPF_PROG_TEST_RUN: " + std::to_string(err));
    out.resize(opts.data_size_out);
    return {static_cast<int>(opts.retval), out};
  }

  uint64_t counter(dd_counter which) {
    std::vector<uint64_t> perCpu(static_cast<size_t>(libbpf_num_possible_cpus()));
    uint32_t key = which;
    if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.dd_counters), &key, perCpu.data()) != 0)
      return ~0ull;
    uint64_t total = 0;
    for (uint64_t v : perCpu) total += v;
    return total;
  }

  uint64_t allCounters() {
    uint64_t total = 0;
    for (int c = 0; c < DD_COUNTER_MAX; ++c) total += counter(static_cast<dd_counter>(c));
    return total;
  }

  dd_service_stats serviceStats(uint32_t id) {
    std::vector<dd_service_stats> perCpu(static_cast<size_t>(libbpf_num_possible_cpus()));
    dd_service_stats total{};
    if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.dd_service_stats), &id, perCpu.data()) != 0)
      return total;
    for (const auto& v : perCpu) {
      total.packets += v.packets;
      total.bytes += v.bytes;
    }
    return total;
  }

  director_datapath* skel_ = nullptr;
};

// ---- TUN ----------------------------------------------------------------------------------

TEST_F(DatapathProgTest, Ipv4EncapsulatesToTheRealWithAFullOuterHeader) {
  tunService(ip("192.0.2.100"), 80, ip("198.51.100.10"));
  Tcp t;
  t.payload.assign(100, 0x77);
  const Bytes inner =
      ipPacket(ip("192.0.2.50"), ip("192.0.2.100"), IPPROTO_TCP, tcpSegment(t), withTos(0x10));
  auto r = runProgram(ethernet(inner, AF_INET));

  ASSERT_EQ(r.verdict, kActRedirect);
  ASSERT_EQ(r.frame.size(), kEth + 20 + inner.size());
  EXPECT_EQ(slice(r.frame, 0, 6), kRealMac);           // the neighbour's MAC
  EXPECT_EQ(slice(r.frame, 6, 6), lab().realSideMac);  // rs0: redirected out of the real's side
  EXPECT_EQ(get16(r.frame, 12), 0x0800);
  const Bytes outer = slice(r.frame, kEth, 20);
  EXPECT_EQ(outer[0], 0x45);
  EXPECT_EQ(outer[1], 0x10);  // TOS copied
  EXPECT_EQ(get16(outer, 2), inner.size() + 20);
  EXPECT_EQ(get16(outer, 6), 0x4000);  // DF copied, no fragment
  EXPECT_EQ(get16(outer, 4), 0);       // no ID with DF
  EXPECT_EQ(outer[8], 64);
  EXPECT_EQ(outer[9], IPPROTO_IPIP);
  EXPECT_TRUE(ipv4HeaderChecksumOk(outer));
  EXPECT_EQ(slice(outer, 12, 4), ip("198.51.100.1").bytes);  // the director's address there
  EXPECT_EQ(slice(outer, 16, 4), ip("198.51.100.10").bytes);
  EXPECT_EQ(slice(r.frame, kEth + 20), inner);  // inner untouched
  EXPECT_EQ(counter(DD_CNT_TUN_ENCAPSULATED), 1u);
  EXPECT_EQ(serviceStats(7).packets, 1u);
  EXPECT_EQ(serviceStats(7).bytes, inner.size());
}

TEST_F(DatapathProgTest, Ipv4WithoutDfGetsAnIdAndNoDf) {
  tunService(ip("192.0.2.100"), 53, ip("198.51.100.10"));
  addService(ip("192.0.2.100"), IPPROTO_UDP, 53, dd_service{8, DD_SVC_TUN, 1, 1});
  addSlot(8, 0, ip("198.51.100.10"));
  std::vector<uint16_t> ids;
  for (int i = 0; i < 4; ++i) {
    const Bytes inner = ipPacket(ip("192.0.2.50"), ip("192.0.2.100"), IPPROTO_UDP,
                                 udpDatagram(5353, 53, 30), fragmentOf(0));
    auto r = runProgram(ethernet(inner, AF_INET));
    ASSERT_EQ(r.verdict, kActRedirect);
    EXPECT_EQ(get16(r.frame, kEth + 6), 0);
    EXPECT_TRUE(ipv4HeaderChecksumOk(r.frame, kEth));
    EXPECT_EQ(slice(r.frame, kEth + 20), inner);
    ids.push_back(get16(r.frame, kEth + 4));
  }
  EXPECT_FALSE(ids[0] == ids[1] && ids[1] == ids[2] && ids[2] == ids[3]) << "IDs are not random";
  EXPECT_EQ(serviceStats(8).packets, 4u);
}

TEST_F(DatapathProgTest, Ipv4RealBehindAGatewayAndRealWithoutNeighbour) {
  addService(ip("192.0.2.100"), IPPROTO_TCP, 80, dd_service{7, DD_SVC_TUN, 2, 0});
  // Slot 0 and slot 1: a real via the gateway, a real on-link with no neighbour entry yet.
  addSlot(7, 0, ip("203.0.113.5"));
  addSlot(7, 1, ip("198.51.100.20"));
  int seen = 0;
  for (uint8_t host = 1; host < 60 && seen != 3; ++host) {
    Addr client = ip("192.0.2.0");
    client.bytes[3] = host;
    const Bytes inner = ipPacket(client, ip("192.0.2.100"), IPPROTO_TCP, tcpSegment({}));
    const Bytes frame = ethernet(inner, AF_INET);
    auto r = runProgram(frame);
    ASSERT_EQ(r.verdict, kActRedirect);
    const uint32_t slot = ha::nftJhashBucket(client.bytes.data(), 4, 0, 2);
    if (slot == 0) {
      seen |= 1;
      EXPECT_EQ(slice(r.frame, 0, 6), kGatewayMac);
      EXPECT_EQ(slice(r.frame, kEth + 16, 4), ip("203.0.113.5").bytes);
    } else {
      seen |= 2;
      EXPECT_EQ(slice(r.frame, 0, 12), slice(frame, 0, 12))
          << "redirect_neigh fills the MACs later";
      EXPECT_EQ(slice(r.frame, kEth + 16, 4), ip("198.51.100.20").bytes);
    }
    EXPECT_EQ(slice(r.frame, kEth + 12, 4), ip("198.51.100.1").bytes);
    EXPECT_TRUE(ipv4HeaderChecksumOk(r.frame, kEth));
  }
  EXPECT_EQ(seen, 3);
}

TEST_F(DatapathProgTest, Ipv6EncapsulatesToTheReal) {
  tunService(ip("fd00:1::100"), 443, ip("fd00:2::a"));
  Tcp t;
  t.dport = 443;
  t.payload.assign(64, 0x42);
  const Bytes inner =
      ipPacket(ip("fd00:1::50"), ip("fd00:1::100"), IPPROTO_TCP, tcpSegment(t), withTos(0x28));
  auto r = runProgram(ethernet(inner, AF_INET6));

  ASSERT_EQ(r.verdict, kActRedirect);
  ASSERT_EQ(r.frame.size(), kEth + 40 + inner.size());
  EXPECT_EQ(slice(r.frame, 0, 6), kRealMac);
  EXPECT_EQ(slice(r.frame, 6, 6), lab().realSideMac);
  EXPECT_EQ(get16(r.frame, 12), 0x86dd);
  const Bytes outer = slice(r.frame, kEth, 40);
  EXPECT_EQ(outer[0], 0x62);  // version 6, traffic class 0x28
  EXPECT_EQ(outer[1], 0x80);  // flow label 0
  EXPECT_EQ(outer[2], 0);
  EXPECT_EQ(outer[3], 0);
  EXPECT_EQ(get16(outer, 4), inner.size());
  EXPECT_EQ(outer[6], 41);
  EXPECT_EQ(outer[7], 64);
  EXPECT_EQ(slice(outer, 8, 16), ip("fd00:2::1").bytes);
  EXPECT_EQ(slice(outer, 24, 16), ip("fd00:2::a").bytes);
  EXPECT_EQ(slice(r.frame, kEth + 40), inner);
  EXPECT_EQ(counter(DD_CNT_TUN_ENCAPSULATED), 1u);
}

// The slot is the one nft's `jhash ip saddr [. th sport] mod M seed S` picks (common/jhash.h).
class DatapathSlotTest : public DatapathProgTest,
                         public ::testing::WithParamInterface<std::tuple<int, bool>> {};

TEST_P(DatapathSlotTest, SlotChoiceEqualsNftJhash) {
  const auto [family, hashPort] = GetParam();
  constexpr uint32_t kModulus = 13, kSeed = 0x9e3779b9, kId = 21;
  const bool v4 = family == AF_INET;
  const Addr vip = v4 ? ip("192.0.2.100") : ip("fd00:1::100");
  addService(
      vip, IPPROTO_TCP, 80,
      dd_service{kId, DD_SVC_TUN | (hashPort ? uint32_t{DD_SVC_HASH_PORT} : 0u), kModulus, kSeed});
  for (uint32_t slot = 0; slot < kModulus; ++slot) {
    Addr real = v4 ? ip("203.0.113.0") : ip("fd00:3::");
    real.bytes.back() = static_cast<uint8_t>(slot + 1);
    addSlot(kId, slot, real);
  }
  std::mt19937 random(static_cast<std::mt19937::result_type>(family * 2 + hashPort));
  std::vector<int> hits(kModulus);
  for (int flow = 0; flow < 200; ++flow) {
    Addr client = v4 ? ip("192.0.2.0") : ip("fd00:1::");
    for (size_t i = v4 ? 2 : 8; i < client.bytes.size(); ++i)
      client.bytes[i] = static_cast<uint8_t>(random());
    Tcp seg;
    seg.sport = static_cast<uint16_t>(1024 + random() % 60000);
    const Bytes inner = ipPacket(client, vip, IPPROTO_TCP, tcpSegment(seg));
    auto r = runProgram(ethernet(inner, family));
    ASSERT_EQ(r.verdict, kActRedirect);

    Bytes registers = client.bytes;
    if (hashPort)
      registers.insert(registers.end(), {static_cast<uint8_t>(seg.sport >> 8),
                                         static_cast<uint8_t>(seg.sport), 0, 0});
    const uint32_t expected =
        ha::nftJhashBucket(registers.data(), registers.size(), kSeed, kModulus);
    const size_t dstAt = kEth + (v4 ? 16 : 24);
    const size_t dstLen = v4 ? 4 : 16;
    ASSERT_EQ(r.frame[dstAt + dstLen - 1], expected + 1) << "flow " << flow;
    ++hits[expected];
  }
  for (uint32_t slot = 0; slot < kModulus; ++slot) EXPECT_GT(hits[slot], 0) << "slot " << slot;
}

INSTANTIATE_TEST_SUITE_P(Families, DatapathSlotTest,
                         ::testing::Values(std::tuple{AF_INET, false}, std::tuple{AF_INET, true},
                                           std::tuple{AF_INET6, false},
                                           std::tuple{AF_INET6, true}));

TEST_F(DatapathProgTest, NoRealDrops) {
  addService(ip("192.0.2.100"), IPPROTO_TCP, 80,
             dd_service{7, DD_SVC_TUN, 0, 0});  // nobody in rotation
  addService(ip("192.0.2.100"), IPPROTO_TCP, 81, dd_service{8, DD_SVC_TUN, 1, 0});  // slot missing
  Tcp t;
  EXPECT_EQ(
      runProgram(ethernet(ipPacket(ip("192.0.2.50"), ip("192.0.2.100"), IPPROTO_TCP, tcpSegment(t)),
                          AF_INET))
          .verdict,
      kActShot);
  t.dport = 81;
  EXPECT_EQ(
      runProgram(ethernet(ipPacket(ip("192.0.2.50"), ip("192.0.2.100"), IPPROTO_TCP, tcpSegment(t)),
                          AF_INET))
          .verdict,
      kActShot);
  EXPECT_EQ(counter(DD_CNT_TUN_NO_REAL), 2u);
  EXPECT_EQ(counter(DD_CNT_TUN_ENCAPSULATED), 0u);
}

TEST_F(DatapathProgTest, NoRouteDrops) {
  tunService(ip("192.0.2.100"), 80, ip("100.64.0.1"));  // no route at all in the lab
  auto r = runProgram(ethernet(
      ipPacket(ip("192.0.2.50"), ip("192.0.2.100"), IPPROTO_TCP, tcpSegment({})), AF_INET));
  EXPECT_EQ(r.verdict, kActShot);
  EXPECT_EQ(counter(DD_CNT_TUN_NO_ROUTE), 1u);
}

TEST_F(DatapathProgTest, FragmentsToATunVipDrop) {
  tunService(ip("192.0.2.100"), 80, ip("198.51.100.10"));
  addService(ip("192.0.2.101"), IPPROTO_TCP, 80, dd_service{9, DD_SVC_TOA, 0, 0});
  const Bytes seg = tcpSegment({});
  // First fragment (MF), a later one (offset), and one to a TOA-only VIP (passed, not counted).
  const Bytes first =
      ipPacket(ip("192.0.2.50"), ip("192.0.2.100"), IPPROTO_TCP, seg, fragmentOf(0x2000));
  const Bytes later =
      ipPacket(ip("192.0.2.50"), ip("192.0.2.100"), IPPROTO_TCP, seg, fragmentOf(0x0010));
  EXPECT_EQ(runProgram(ethernet(first, AF_INET)).verdict, kActShot);
  EXPECT_EQ(runProgram(ethernet(later, AF_INET)).verdict, kActShot);
  EXPECT_EQ(counter(DD_CNT_TUN_FRAGMENT), 2u);
  const Bytes toaFragment = ethernet(
      ipPacket(ip("192.0.2.50"), ip("192.0.2.101"), IPPROTO_TCP, seg, fragmentOf(0x2000)), AF_INET);
  auto r = runProgram(toaFragment);
  EXPECT_EQ(r.verdict, kActOk);
  EXPECT_EQ(r.frame, toaFragment);
  EXPECT_EQ(counter(DD_CNT_TUN_FRAGMENT), 2u);
}

TEST_F(DatapathProgTest, TruncatedHeadersPassAndCount) {
  tunService(ip("192.0.2.100"), 80, ip("198.51.100.10"));
  // 10 bytes of TCP header; then a data offset past the segment; then tot_len past the frame.
  const Bytes shortTcp =
      ethernet(ipPacket(ip("192.0.2.50"), ip("192.0.2.100"), IPPROTO_TCP, Bytes(10, 0x50), rawL4()),
               AF_INET);
  Bytes badOffset = ipPacket(ip("192.0.2.50"), ip("192.0.2.100"), IPPROTO_TCP, tcpSegment({}));
  badOffset[20 + 12] = 0xf0;  // 60-byte header in a 20-byte segment
  Bytes badLength = ipPacket(ip("192.0.2.50"), ip("192.0.2.100"), IPPROTO_TCP, tcpSegment({}));
  put16(badLength, 2, 400);
  for (const Bytes& frame :
       {shortTcp, ethernet(badOffset, AF_INET), ethernet(badLength, AF_INET)}) {
    auto r = runProgram(frame);
    EXPECT_EQ(r.verdict, kActOk);
    EXPECT_EQ(r.frame, frame);
  }
  EXPECT_EQ(counter(DD_CNT_MALFORMED), 3u);
  EXPECT_EQ(counter(DD_CNT_TUN_ENCAPSULATED), 0u);
}

TEST_F(DatapathProgTest, SynMssIsClampedToTheTunnel) {
  tunService(ip("192.0.2.100"), 80, ip("198.51.100.10"));
  tunService(ip("fd00:1::100"), 80, ip("fd00:2::a"), 8);
  struct Case {
    Addr client, vip;
    uint16_t mss, expected;
  };
  const Case cases[] = {
      {ip("192.0.2.50"), ip("192.0.2.100"), 1460, 1440},  // 1500 - 20 - 20 - 20
      {ip("192.0.2.50"), ip("192.0.2.100"), 1300, 1300},  // already small enough
      {ip("fd00:1::50"), ip("fd00:1::100"), 1440, 1400},  // 1500 - 40 - 40 - 20
  };
  for (const Case& c : cases) {
    Tcp syn;
    syn.flags = kTcpSyn;
    syn.options = linuxSynOptions(c.mss);
    const Bytes inner = ipPacket(c.client, c.vip, IPPROTO_TCP, tcpSegment(syn));
    auto r = runProgram(ethernet(inner, c.client.family));
    ASSERT_EQ(r.verdict, kActRedirect);
    const Bytes got = slice(r.frame, kEth + (c.client.family == AF_INET ? 20 : 40));
    const size_t tcpAt = c.client.family == AF_INET ? 20 : 40;
    EXPECT_EQ(get16(got, tcpAt + 22), c.expected);
    EXPECT_TRUE(l4ChecksumOk(got));
    Bytes sameButMss = got;
    put16(sameButMss, tcpAt + 22, c.mss);
    put16(sameButMss, tcpAt + 16, get16(inner, tcpAt + 16));
    EXPECT_EQ(sameButMss, inner) << "only the MSS and the checksum change";
  }
  EXPECT_EQ(counter(DD_CNT_TUN_MSS_CLAMPED), 2u);
}

// ---- TUN: too big for the tunnel -----------------------------------------------------------

// A TCP packet of `size` bytes (IP header included) from a client to a VIP.
Bytes tcpPacketOfSize(const Addr& client, const Addr& vip, size_t size, const IpOptions& o = {}) {
  const size_t header = client.family == AF_INET ? 20 + o.ipOptions.size() : 40;
  Tcp t;
  t.payload.assign(size - header - 20, 0x5c);
  return ipPacket(client, vip, IPPROTO_TCP, tcpSegment(t), o);
}

// Checks an ICMP "fragmentation needed" frame answering `invoking` (an IPv4 packet from a client
// to a VIP), field by field; `quoted` is how much of `invoking` it must carry.
void expectFragNeeded(const Bytes& frame, const Bytes& invoking, size_t quoted, uint16_t mtu) {
  ASSERT_EQ(frame.size(), kEth + 20 + 8 + quoted);
  EXPECT_EQ(slice(frame, 0, 6), kClientMac);  // back to where it came from
  EXPECT_EQ(slice(frame, 6, 6), kDirectorMac);
  EXPECT_EQ(get16(frame, 12), 0x0800);
  const Bytes ip4 = slice(frame, kEth, 20);
  EXPECT_EQ(ip4[0], 0x45);
  EXPECT_EQ(ip4[1], 0xc0);  // internetwork control, as Linux's ICMP errors
  EXPECT_EQ(get16(ip4, 2), 20 + 8 + quoted);
  EXPECT_EQ(get16(ip4, 6), 0);  // no DF, no fragment
  EXPECT_EQ(ip4[8], 64);
  EXPECT_EQ(ip4[9], IPPROTO_ICMP);
  EXPECT_TRUE(ipv4HeaderChecksumOk(ip4));
  EXPECT_EQ(slice(ip4, 12, 4), slice(invoking, 16, 4));  // from the VIP
  EXPECT_EQ(slice(ip4, 16, 4), slice(invoking, 12, 4));  // to the client
  const Bytes icmp = slice(frame, kEth + 20);
  EXPECT_EQ(icmp[0], 3);  // destination unreachable
  EXPECT_EQ(icmp[1], 4);  // fragmentation needed and DF set
  EXPECT_EQ(get16(icmp, 4), 0);
  EXPECT_EQ(get16(icmp, 6), mtu);
  EXPECT_EQ(fold(sumWords(icmp.data(), icmp.size())), 0xffff) << "ICMP checksum";
  EXPECT_EQ(slice(icmp, 8), slice(invoking, 0, quoted)) << "the quoted packet";
}

void expectPacketTooBig(const Bytes& frame, const Bytes& invoking, size_t quoted, uint32_t mtu) {
  ASSERT_EQ(frame.size(), kEth + 40 + 8 + quoted);
  EXPECT_LE(frame.size() - kEth, 1280u);
  EXPECT_EQ(slice(frame, 0, 6), kClientMac);
  EXPECT_EQ(slice(frame, 6, 6), kDirectorMac);
  EXPECT_EQ(get16(frame, 12), 0x86dd);
  const Bytes ip6 = slice(frame, kEth, 40);
  EXPECT_EQ(slice(ip6, 0, 4), (Bytes{0x60, 0, 0, 0}));  // no traffic class, no flow label
  EXPECT_EQ(get16(ip6, 4), 8 + quoted);
  EXPECT_EQ(ip6[6], IPPROTO_ICMPV6);
  EXPECT_EQ(ip6[7], 64);
  const Addr vip{AF_INET6, slice(invoking, 24, 16)}, client{AF_INET6, slice(invoking, 8, 16)};
  EXPECT_EQ(slice(ip6, 8, 16), vip.bytes);
  EXPECT_EQ(slice(ip6, 24, 16), client.bytes);
  const Bytes icmp = slice(frame, kEth + 40);
  EXPECT_EQ(icmp[0], 2);  // packet too big
  EXPECT_EQ(icmp[1], 0);
  EXPECT_EQ(static_cast<uint32_t>(get16(icmp, 4)) << 16 | get16(icmp, 6), mtu);
  EXPECT_EQ(fold(sumWords(icmp.data(), icmp.size(),
                          pseudoHeader(vip, client, IPPROTO_ICMPV6, icmp.size()))),
            0xffff)
      << "ICMPv6 checksum with the pseudo header";
  EXPECT_EQ(slice(icmp, 8), slice(invoking, 0, quoted)) << "the quoted packet";
}

TEST_F(DatapathProgTest, Ipv4TooBigWithDfIsAnsweredWithFragmentationNeeded) {
  tunService(ip("192.0.2.100"), 80, ip("198.51.100.10"));
  const Bytes big =
      tcpPacketOfSize(ip("192.0.2.50"), ip("192.0.2.100"), 1500);  // 1520 in the tunnel
  auto r = runProgram(ethernet(big, AF_INET));
  EXPECT_EQ(r.verdict, kActRedirect);
  expectFragNeeded(r.frame, big, 20 + 20, 1480);
  EXPECT_EQ(counter(DD_CNT_TUN_ICMP_SENT), 1u);
  EXPECT_EQ(counter(DD_CNT_TUN_TOO_BIG), 0u);
  EXPECT_EQ(counter(DD_CNT_TUN_ENCAPSULATED), 0u);
  EXPECT_EQ(serviceStats(7).packets, 0u) << "the real never saw it";

  // IP options are quoted with the header; a UDP datagram quotes its 8-byte header.
  const Bytes withOptions =
      tcpPacketOfSize(ip("192.0.2.51"), ip("192.0.2.100"), 1490, withIpOptions({1, 1, 1, 0}));
  r = runProgram(ethernet(withOptions, AF_INET));
  EXPECT_EQ(r.verdict, kActRedirect);
  expectFragNeeded(r.frame, withOptions, 24 + 20, 1480);
  addService(ip("192.0.2.100"), IPPROTO_UDP, 53, dd_service{8, DD_SVC_TUN, 1, 1});
  addSlot(8, 0, ip("198.51.100.10"));
  const Bytes udp =
      ipPacket(ip("192.0.2.52"), ip("192.0.2.100"), IPPROTO_UDP, udpDatagram(5353, 53, 1472));
  r = runProgram(ethernet(udp, AF_INET));
  EXPECT_EQ(r.verdict, kActRedirect);
  expectFragNeeded(r.frame, udp, 20 + 8, 1480);
  EXPECT_EQ(counter(DD_CNT_TUN_ICMP_SENT), 3u);

  // 1480 bytes fit exactly: encapsulated.
  const Bytes fits = tcpPacketOfSize(ip("192.0.2.50"), ip("192.0.2.100"), 1480);
  r = runProgram(ethernet(fits, AF_INET));
  ASSERT_EQ(r.verdict, kActRedirect);
  EXPECT_EQ(r.frame[kEth + 9], IPPROTO_IPIP);
  EXPECT_EQ(get16(r.frame, kEth + 2), 1500);
  EXPECT_EQ(slice(r.frame, kEth + 20), fits);
  EXPECT_EQ(counter(DD_CNT_TUN_ENCAPSULATED), 1u);
}

TEST_F(DatapathProgTest, Ipv6TooBigIsAnsweredWithPacketTooBig) {
  tunService(ip("fd00:1::100"), 80, ip("fd00:2::a"));
  const Bytes big = tcpPacketOfSize(ip("fd00:1::50"), ip("fd00:1::100"), 1500);  // 1540 tunnelled
  auto r = runProgram(ethernet(big, AF_INET6));
  EXPECT_EQ(r.verdict, kActRedirect);
  expectPacketTooBig(r.frame, big, 40 + 20, 1460);
  EXPECT_EQ(counter(DD_CNT_TUN_ICMP_SENT), 1u);
  EXPECT_EQ(counter(DD_CNT_TUN_TOO_BIG), 0u);

  const Bytes fits = tcpPacketOfSize(ip("fd00:1::50"), ip("fd00:1::100"), 1460);
  r = runProgram(ethernet(fits, AF_INET6));
  ASSERT_EQ(r.verdict, kActRedirect);
  EXPECT_EQ(r.frame[kEth + 6], IPPROTO_IPV6);
  EXPECT_EQ(slice(r.frame, kEth + 40), fits);
}

TEST_F(DatapathProgTest, TooBigWithoutDfOrFromANonUnicastSourceDropsUnanswered) {
  tunService(ip("192.0.2.100"), 80, ip("198.51.100.10"));
  IpOptions noDf;
  noDf.df = false;
  auto r = runProgram(
      ethernet(tcpPacketOfSize(ip("192.0.2.50"), ip("192.0.2.100"), 1500, noDf), AF_INET));
  EXPECT_EQ(r.verdict, kActShot) << "the kernel would fragment; a TC program cannot";
  r = runProgram(ethernet(tcpPacketOfSize(ip("0.0.0.0"), ip("192.0.2.100"), 1500), AF_INET));
  EXPECT_EQ(r.verdict, kActShot);
  r = runProgram(ethernet(tcpPacketOfSize(ip("224.0.0.9"), ip("192.0.2.100"), 1500), AF_INET));
  EXPECT_EQ(r.verdict, kActShot);
  tunService(ip("fd00:1::100"), 80, ip("fd00:2::a"));
  r = runProgram(ethernet(tcpPacketOfSize(ip("ff02::1"), ip("fd00:1::100"), 1500), AF_INET6));
  EXPECT_EQ(r.verdict, kActShot);
  EXPECT_EQ(counter(DD_CNT_TUN_TOO_BIG), 4u);
  EXPECT_EQ(counter(DD_CNT_TUN_ICMP_SENT), 0u);
}

// The egress device's own MTU, smaller than the packet: bpf_fib_lookup says so before the
// tunnel's overhead is counted; both checks answer with what is left once encapsulated.
TEST_F(DatapathProgTest, SmallerEgressMtuIsReported) {
  tunService(ip("192.0.2.100"), 80, ip("198.51.100.10"));
  run("ip link set rs0 mtu 1400");
  struct Restore {
    ~Restore() {
      const int rc = std::system("ip link set rs0 mtu 1500");
      EXPECT_EQ(rc, 0) << "rs0's MTU not restored";
    }
  } restore;
  const Bytes overDevice = tcpPacketOfSize(ip("192.0.2.50"), ip("192.0.2.100"), 1500);
  auto r = runProgram(ethernet(overDevice, AF_INET));
  EXPECT_EQ(r.verdict, kActRedirect);
  expectFragNeeded(r.frame, overDevice, 40, 1380);
  const Bytes overTunnel = tcpPacketOfSize(ip("192.0.2.50"), ip("192.0.2.100"), 1390);
  r = runProgram(ethernet(overTunnel, AF_INET));
  EXPECT_EQ(r.verdict, kActRedirect);
  expectFragNeeded(r.frame, overTunnel, 40, 1380);
  EXPECT_EQ(counter(DD_CNT_TUN_ICMP_SENT), 2u);
}

// A token bucket per CPU: 50 at once, then one per millisecond. Pinned to one CPU so that one
// bucket answers; the bound allows for the tokens earned while the loop ran.
TEST_F(DatapathProgTest, IcmpRepliesAreRateLimited) {
  tunService(ip("192.0.2.100"), 80, ip("198.51.100.10"));
  cpu_set_t previous;
  ASSERT_EQ(sched_getaffinity(0, sizeof(previous), &previous), 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(sched_getcpu(), &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  const Bytes frame = ethernet(tcpPacketOfSize(ip("192.0.2.50"), ip("192.0.2.100"), 1500), AF_INET);
  constexpr uint64_t kSent = 400;
  const auto start = std::chrono::steady_clock::now();
  uint64_t answered = 0;
  for (uint64_t i = 0; i < kSent; ++i) answered += runProgram(frame).verdict == kActRedirect;
  const auto elapsed = std::chrono::steady_clock::now() - start;
  sched_setaffinity(0, sizeof(previous), &previous);
  const auto ms =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count());
  EXPECT_EQ(counter(DD_CNT_TUN_ICMP_SENT), answered);
  EXPECT_EQ(counter(DD_CNT_TUN_TOO_BIG), kSent - answered);
  EXPECT_GE(answered, 50u);
  EXPECT_LE(answered, 50u + ms + 1) << "over " << ms << " ms";
}

TEST_F(DatapathProgTest, OtherTrafficIsUntouched) {
  tunService(ip("192.0.2.100"), 80, ip("198.51.100.10"));
  const Bytes frames[] = {
      ethernet(ipPacket(ip("192.0.2.50"), ip("192.0.2.55"), IPPROTO_TCP, tcpSegment({})),
               AF_INET),  // not a VIP
      ethernet(ipPacket(ip("192.0.2.50"), ip("192.0.2.100"), IPPROTO_UDP, udpDatagram(1, 80, 20)),
               AF_INET),  // no UDP svc
      ethernet(ipPacket(ip("192.0.2.50"), ip("192.0.2.100"), IPPROTO_ICMP, Bytes(16, 8), rawL4()),
               AF_INET),
  };
  for (const Bytes& frame : frames) {
    auto r = runProgram(frame);
    EXPECT_EQ(r.verdict, kActOk);
    EXPECT_EQ(r.frame, frame);
  }
  Bytes arp(60, 0);
  arp[12] = 0x08;
  arp[13] = 0x06;
  EXPECT_EQ(runProgram(arp).verdict, kActOk);
  EXPECT_EQ(allCounters(), 0u);
}

// ---- TOA ----------------------------------------------------------------------------------
// Client SYNs to FULLNAT services with `client_address toa` leave with the client's port and
// address in a kind-254 option (Alibaba's / DPVS's layout); forged ones never pass.

class DatapathToaTest : public DatapathProgTest {
 protected:
  void SetUp() override {
    DatapathProgTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    addService(ip("192.0.2.100"), IPPROTO_TCP, 80, dd_service{3, DD_SVC_TOA, 0, 0});
    addService(ip("fd00:1::100"), IPPROTO_TCP, 80, dd_service{4, DD_SVC_TOA, 0, 0});
  }

  static Bytes ourOption(const Addr& client, uint16_t port) {
    Bytes o{254, static_cast<uint8_t>(client.family == AF_INET ? 8 : 20),
            static_cast<uint8_t>(port >> 8), static_cast<uint8_t>(port)};
    o.insert(o.end(), client.bytes.begin(), client.bytes.end());
    return o;
  }
};

TEST_F(DatapathToaTest, Ipv4SynGetsTheClientAddressAppended) {
  Tcp syn;
  syn.flags = kTcpSyn;
  syn.sport = 51234;
  syn.options = linuxSynOptions();
  const Addr client = ip("192.0.2.50");
  const Bytes before = ipPacket(client, ip("192.0.2.100"), IPPROTO_TCP, tcpSegment(syn));
  auto r = runProgram(ethernet(before, AF_INET));
  ASSERT_EQ(r.verdict, kActOk);
  const Bytes after = slice(r.frame, kEth);
  ASSERT_EQ(after.size(), before.size() + 8);
  EXPECT_EQ(get16(after, 2), before.size() + 8);  // tot_len
  EXPECT_TRUE(ipv4HeaderChecksumOk(after));
  EXPECT_EQ(after[20 + 12] >> 4, 12);            // doff 5 + 5 + 2
  EXPECT_EQ(slice(after, 40, 20), syn.options);  // the client's options unchanged
  EXPECT_EQ(slice(after, 60), ourOption(client, 51234));
  EXPECT_TRUE(l4ChecksumOk(after));
  EXPECT_EQ(counter(DD_CNT_TOA_ADDED), 1u);
}

TEST_F(DatapathToaTest, Ipv6SynGetsTheClientAddressAppended) {
  Tcp syn;
  syn.flags = kTcpSyn;
  syn.sport = 40001;
  syn.options = linuxSynOptions();
  const Addr client = ip("fd00:1::50");
  const Bytes before = ipPacket(client, ip("fd00:1::100"), IPPROTO_TCP, tcpSegment(syn));
  auto r = runProgram(ethernet(before, AF_INET6));
  ASSERT_EQ(r.verdict, kActOk);
  const Bytes after = slice(r.frame, kEth);
  ASSERT_EQ(after.size(), before.size() + 20);
  EXPECT_EQ(get16(after, 4), 20 + 20 + 20);  // payload length
  EXPECT_EQ(after[40 + 12] >> 4, 15);        // a full 60-byte TCP header
  EXPECT_EQ(slice(after, 60, 20), syn.options);
  EXPECT_EQ(slice(after, 80), ourOption(client, 40001));
  EXPECT_TRUE(l4ChecksumOk(after));
  EXPECT_EQ(counter(DD_CNT_TOA_ADDED), 1u);
}

TEST_F(DatapathToaTest, SynWithoutOptionsGetsOnlyOurs) {
  Tcp syn;
  syn.flags = kTcpSyn;
  const Addr client = ip("192.0.2.51");
  const Bytes before = ipPacket(client, ip("192.0.2.100"), IPPROTO_TCP, tcpSegment(syn));
  auto r = runProgram(ethernet(before, AF_INET));
  ASSERT_EQ(r.verdict, kActOk);
  const Bytes after = slice(r.frame, kEth);
  ASSERT_EQ(after.size(), before.size() + 8);
  EXPECT_EQ(get16(after, 2), before.size() + 8);
  EXPECT_TRUE(ipv4HeaderChecksumOk(after));
  EXPECT_EQ(after[20 + 12] >> 4, 7);
  EXPECT_EQ(after[20 + 13], kTcpSyn);  // the flags byte shares the word with the data offset
  EXPECT_EQ(slice(after, 40), ourOption(client, syn.sport));
  EXPECT_TRUE(l4ChecksumOk(after));
  EXPECT_EQ(counter(DD_CNT_TOA_ADDED), 1u);
}

TEST_F(DatapathToaTest, IpOptionsEolAndLinkPaddingAreHandled) {
  Tcp syn;
  syn.flags = kTcpSyn;
  syn.options = {2, 4, 5, 0xb4, 0, 0, 0, 0};  // MSS, then EOL and padding
  const Addr client = ip("192.0.2.50");
  const Bytes before = ipPacket(client, ip("192.0.2.100"), IPPROTO_TCP, tcpSegment(syn),
                                withIpOptions({1, 1, 1, 0}));  // NOP NOP NOP EOL
  Bytes frame = ethernet(before, AF_INET);
  frame.resize(frame.size() + 6, 0xee);  // link-layer padding past the IP packet
  auto r = runProgram(frame);
  ASSERT_EQ(r.verdict, kActOk);
  const Bytes after = slice(r.frame, kEth);
  ASSERT_EQ(after.size(), before.size() + 8);
  EXPECT_TRUE(ipv4HeaderChecksumOk(after));
  // 24 bytes of IP header, 20 of TCP header, then the options.
  EXPECT_EQ(after[24 + 12] >> 4, 9);                                   // doff 5 + 2 + 2
  EXPECT_EQ(slice(after, 44, 8), (Bytes{2, 4, 5, 0xb4, 1, 1, 1, 1}));  // EOL became NOPs
  EXPECT_EQ(slice(after, 52), ourOption(client, syn.sport));
  EXPECT_TRUE(l4ChecksumOk(after));
}

TEST_F(DatapathToaTest, NoRoomLeavesTheSynUnchanged) {
  Tcp syn;
  syn.flags = kTcpSyn;
  syn.options = linuxSynOptions();
  syn.options.insert(syn.options.end(),
                     {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});  // 36 bytes
  const Bytes frame = ethernet(
      ipPacket(ip("192.0.2.50"), ip("192.0.2.100"), IPPROTO_TCP, tcpSegment(syn)), AF_INET);
  auto r = runProgram(frame);
  EXPECT_EQ(r.verdict, kActOk);
  EXPECT_EQ(r.frame, frame);
  EXPECT_EQ(counter(DD_CNT_TOA_NO_ROOM), 1u);
  EXPECT_EQ(counter(DD_CNT_TOA_ADDED), 0u);
  // IPv6: 24 bytes of options leave 16, short of 20.
  syn.options.resize(24);
  const Bytes frame6 = ethernet(
      ipPacket(ip("fd00:1::50"), ip("fd00:1::100"), IPPROTO_TCP, tcpSegment(syn)), AF_INET6);
  r = runProgram(frame6);
  EXPECT_EQ(r.frame, frame6);
  EXPECT_EQ(counter(DD_CNT_TOA_NO_ROOM), 2u);
}

TEST_F(DatapathToaTest, ForgedToaOnASynIsOverwrittenWithOurs) {
  Tcp syn;
  syn.flags = kTcpSyn;
  syn.options = linuxSynOptions();
  const Bytes forged{254, 8, 0x12, 0x34, 10, 9, 8, 7};  // "I am 10.9.8.7"
  syn.options.insert(syn.options.begin() + 4, forged.begin(), forged.end());
  const Addr client = ip("192.0.2.50");
  const Bytes before = ipPacket(client, ip("192.0.2.100"), IPPROTO_TCP, tcpSegment(syn));
  auto r = runProgram(ethernet(before, AF_INET));
  ASSERT_EQ(r.verdict, kActOk);
  const Bytes after = slice(r.frame, kEth);
  ASSERT_EQ(after.size(), before.size());
  EXPECT_EQ(slice(after, 44, 8), ourOption(client, syn.sport));
  EXPECT_EQ(slice(after, 40, 4), slice(before, 40, 4));
  EXPECT_EQ(slice(after, 52), slice(before, 52));
  EXPECT_TRUE(l4ChecksumOk(after));
  EXPECT_EQ(counter(DD_CNT_TOA_FORGED), 1u);
  EXPECT_EQ(counter(DD_CNT_TOA_ADDED), 1u);
}

TEST_F(DatapathToaTest, ForgedToaOfTheOtherFamilysLengthIsVoidedAndOursAppended) {
  Tcp syn;
  syn.flags = kTcpSyn;
  syn.options = {2, 4, 5, 0xa0, 254, 8, 0x12, 0x34, 10, 9, 8, 7};  // an IPv4 TOA on IPv6
  const Addr client = ip("fd00:1::51");
  const Bytes before = ipPacket(client, ip("fd00:1::100"), IPPROTO_TCP, tcpSegment(syn));
  auto r = runProgram(ethernet(before, AF_INET6));
  ASSERT_EQ(r.verdict, kActOk);
  const Bytes after = slice(r.frame, kEth);
  ASSERT_EQ(after.size(), before.size() + 20);
  EXPECT_EQ(get16(after, 4), 20 + 12 + 20);
  EXPECT_EQ(after[40 + 12] >> 4, 13);
  EXPECT_EQ(slice(after, 60, 12), (Bytes{2, 4, 5, 0xa0, 1, 1, 1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(slice(after, 72), ourOption(client, syn.sport));
  EXPECT_TRUE(l4ChecksumOk(after));
  EXPECT_EQ(counter(DD_CNT_TOA_FORGED), 1u);
  EXPECT_EQ(counter(DD_CNT_TOA_ADDED), 1u);
}

TEST_F(DatapathToaTest, ForgedToaOnOtherSegmentsBecomesNops) {
  Tcp ack;
  ack.flags = kTcpAck;
  ack.options = {1, 1, 254, 8, 0x12, 0x34, 10, 9, 8, 7, 1, 1};  // odd-aligned forged option
  ack.payload.assign(33, 0x61);
  const Bytes before = ipPacket(ip("fd00:1::50"), ip("fd00:1::100"), IPPROTO_TCP, tcpSegment(ack));
  auto r = runProgram(ethernet(before, AF_INET6));
  ASSERT_EQ(r.verdict, kActOk);
  const Bytes after = slice(r.frame, kEth);
  ASSERT_EQ(after.size(), before.size());
  EXPECT_EQ(slice(after, 60, 12), Bytes(12, 1));
  EXPECT_EQ(slice(after, 72), ack.payload);
  EXPECT_TRUE(l4ChecksumOk(after));
  EXPECT_EQ(counter(DD_CNT_TOA_FORGED), 1u);
  EXPECT_EQ(counter(DD_CNT_TOA_ADDED), 0u);
}

TEST_F(DatapathToaTest, SynWithPayloadIsSkipped) {
  Tcp syn;
  syn.flags = kTcpSyn;
  syn.options = linuxSynOptions();
  syn.payload.assign(10, 0x33);  // TCP Fast Open data
  const Bytes frame = ethernet(
      ipPacket(ip("192.0.2.50"), ip("192.0.2.100"), IPPROTO_TCP, tcpSegment(syn)), AF_INET);
  auto r = runProgram(frame);
  EXPECT_EQ(r.verdict, kActOk);
  EXPECT_EQ(r.frame, frame);
  EXPECT_EQ(counter(DD_CNT_TOA_SKIPPED), 1u);
  EXPECT_EQ(counter(DD_CNT_TOA_ADDED), 0u);
}

TEST_F(DatapathToaTest, MalformedOptionsAndNonSynsAreUntouched) {
  Tcp syn;
  syn.flags = kTcpSyn;
  syn.options = {2, 4, 5, 0xb4, 8, 1, 0, 0};  // a length of 1
  Tcp past = syn;
  past.options = {2, 4, 5, 0xb4, 1, 1, 8, 10};  // timestamps running past the header
  Tcp noLength = syn;
  noLength.options = {2, 4, 5, 0xb4, 1, 1, 1, 8};  // a kind in the last byte, no length byte
  Tcp plainAck;
  plainAck.options = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
  const Bytes frames[] = {
      ethernet(ipPacket(ip("192.0.2.50"), ip("192.0.2.100"), IPPROTO_TCP, tcpSegment(syn)),
               AF_INET),
      ethernet(ipPacket(ip("192.0.2.50"), ip("192.0.2.100"), IPPROTO_TCP, tcpSegment(past)),
               AF_INET),
      ethernet(ipPacket(ip("192.0.2.50"), ip("192.0.2.100"), IPPROTO_TCP, tcpSegment(noLength)),
               AF_INET),
      ethernet(ipPacket(ip("192.0.2.50"), ip("192.0.2.100"), IPPROTO_TCP, tcpSegment(plainAck)),
               AF_INET),
  };
  for (const Bytes& frame : frames) {
    auto r = runProgram(frame);
    EXPECT_EQ(r.verdict, kActOk);
    EXPECT_EQ(r.frame, frame);
  }
  EXPECT_EQ(counter(DD_CNT_MALFORMED), 3u);
  EXPECT_EQ(counter(DD_CNT_TOA_ADDED), 0u);
}

TEST_F(DatapathToaTest, TunAndUntouchedTrafficBesideToa) {
  tunService(ip("192.0.2.100"), 443, ip("198.51.100.10"));
  Tcp syn;
  syn.flags = kTcpSyn;
  syn.dport = 443;
  syn.options = linuxSynOptions();
  const Bytes inner = ipPacket(ip("192.0.2.50"), ip("192.0.2.100"), IPPROTO_TCP, tcpSegment(syn));
  auto r = runProgram(ethernet(inner, AF_INET));
  EXPECT_EQ(r.verdict, kActRedirect);
  // Encapsulated with no TOA (only the MSS clamped): same size, same data offset.
  ASSERT_EQ(r.frame.size(), kEth + 20 + inner.size());
  EXPECT_EQ(r.frame[kEth + 20 + 20 + 12], inner[20 + 12]);
  syn.dport = 8080;  // no service on this port
  const Bytes other = ethernet(
      ipPacket(ip("192.0.2.50"), ip("192.0.2.100"), IPPROTO_TCP, tcpSegment(syn)), AF_INET);
  r = runProgram(other);
  EXPECT_EQ(r.verdict, kActOk);
  EXPECT_EQ(r.frame, other);
  EXPECT_EQ(counter(DD_CNT_TUN_ENCAPSULATED), 1u);
  EXPECT_EQ(counter(DD_CNT_TOA_ADDED), 0u);
}

}  // namespace
