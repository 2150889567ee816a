#include "director/ctl/connection_format.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace ha::director {
namespace {

namespace pb = directord::admin;

void addConnection(pb::ConnectionList& list, const std::string& protocol, uint64_t expires,
                   const std::string& state, const std::string& source, const std::string& vip,
                   const std::string& real) {
  auto* c = list.add_connections();
  c->set_protocol(protocol);
  c->set_expires_s(expires);
  c->set_state(state);
  c->set_source(source);
  c->set_virtual_service(vip);
  c->set_destination(real);
}

// A table of names, so the test does not depend on the machine's resolver.
struct TableNames final : EndpointNames {
  std::string name(const IpAddress& address, uint16_t port, std::string_view protocol) override {
    const std::string host = address.str() == "198.51.100.11" ? "web1" : address.str();
    const std::string service = port == 80 && protocol == "TCP" ? "http" : std::to_string(port);
    return address.isV4() ? host + ":" + service : "[" + host + "]:" + service;
  }
};

// The title and rows of `ipvsadm -Lcn`: MM:SS expiry, padded columns, UDP's state "UDP".
TEST(ConnectionFormat, IpvsadmLcn) {
  pb::ConnectionList list;
  addConnection(list, "TCP", 899, "ESTABLISHED", "203.0.113.10:40000", "192.0.2.100:80",
                "198.51.100.11:80");
  addConnection(list, "UDP", 65, "", "203.0.113.10:5353", "192.0.2.100:53", "198.51.100.12:53");
  addConnection(list, "TCP", 7, "TIME_WAIT", "[fd00:3::10]:40001", "[fd00:1::100]:80",
                "[fd00:2::11]:80");
  EXPECT_EQ(formatConnections(list),
            "IPVS connection entries\n"
            "pro expire state       source             virtual            destination\n"
            "TCP 14:59  ESTABLISHED 203.0.113.10:40000 192.0.2.100:80     198.51.100.11:80\n"
            "UDP 01:05  UDP         203.0.113.10:5353  192.0.2.100:53     198.51.100.12:53\n"
            "TCP 00:07  TIME_WAIT   [fd00:3::10]:40001 [fd00:1::100]:80   [fd00:2::11]:80\n");
}

// No flows: the title alone, as ipvsadm prints for an empty table.
TEST(ConnectionFormat, Empty) {
  EXPECT_EQ(formatConnections(pb::ConnectionList()),
            "IPVS connection entries\n"
            "pro expire state       source             virtual            destination\n");
}

// Without -n each endpoint goes through the names (host and service), brackets kept for IPv6.
TEST(ConnectionFormat, Names) {
  pb::ConnectionList list;
  addConnection(list, "TCP", 60, "ESTABLISHED", "203.0.113.10:40000", "192.0.2.100:80",
                "198.51.100.11:80");
  addConnection(list, "TCP", 60, "SYN_RECV", "[fd00:3::10]:40001", "[fd00:1::100]:80",
                "[fd00:2::11]:80");
  TableNames names;
  EXPECT_EQ(formatConnections(list, &names),
            "IPVS connection entries\n"
            "pro expire state       source             virtual            destination\n"
            "TCP 01:00  ESTABLISHED 203.0.113.10:40000 192.0.2.100:http   web1:http\n"
            "TCP 01:00  SYN_RECV    [fd00:3::10]:40001 [fd00:1::100]:http [fd00:2::11]:http\n");
}

}  // namespace
}  // namespace ha::director
