#include "director/ctl/json_output.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <string>

#include "admin.pb.h"

namespace ha::director {
namespace {

namespace pb = directord::admin;
namespace gp = google::protobuf;

// The envelope parsed by protobuf's JSON parser as an arbitrary JSON object.
gp::Struct parseObject(const std::string& json) {
  gp::Struct object;
  auto parsed = gp::util::JsonStringToMessage(json, &object);
  EXPECT_TRUE(parsed.ok()) << parsed.ToString() << "\n" << json;
  return object;
}

// Prints `reply`, checks the envelope, parses it back and compares it field by field.
template <typename Message>
void expectRoundTrip(const Message& reply) {
  const std::string json = toJsonEnvelope(reply);
  ASSERT_FALSE(json.empty());
  EXPECT_EQ(json.back(), '\n');
  EXPECT_EQ(json.find('\n'), json.size() - 1) << "one line";
  const gp::Struct envelope = parseObject(json);
  ASSERT_EQ(envelope.fields().size(), 3u) << json;
  EXPECT_EQ(envelope.fields().at("schema").string_value(), "directord.admin.v1");
  EXPECT_EQ(envelope.fields().at("kind").string_value(), Message::descriptor()->name());
  EXPECT_TRUE(envelope.fields().at("data").has_struct_value());
  Message back;
  auto status = fromJsonEnvelope(json, back);
  ASSERT_TRUE(status) << status.error();
  EXPECT_TRUE(gp::util::MessageDifferencer::Equals(reply, back)) << reply.DebugString() << "\nvs\n"
                                                                 << back.DebugString();
}

// A service table with counters, health and overrides survives print and parse unchanged; zero
// counters are printed (always_print_primitive_fields), 64-bit ones as strings.
TEST(JsonOutput, ServiceListRoundTrip) {
  pb::ServiceList list;
  list.set_hash_seed(0x5eed1b5a);
  auto* s = list.add_services();
  s->set_protocol("TCP");
  s->set_vip("192.0.2.100");
  s->set_port(80);
  s->set_scheduler("wrr");
  s->set_mode("FNAT");
  s->mutable_counters()->set_in_bytes(123456789012ULL);
  auto* r = s->add_reals();
  r->set_address("198.51.100.11");
  r->set_port(80);
  r->set_weight(3);
  r->set_in_rotation(true);
  r->set_health("up");
  r->add_overrides("weight");
  r->mutable_counters()->set_conns(7);
  expectRoundTrip(list);

  const std::string json = toJsonEnvelope(list);
  EXPECT_NE(json.find("\"in_bytes\":\"123456789012\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"out_packets\":\"0\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"persistence_timeout\":0"), std::string::npos) << json;
  EXPECT_NE(json.find("\"in_rotation\":true"), std::string::npos) << json;
}

// The connection table, lookup answer (with its scheduler), VRRP, sync, forwarder and conntrack
// replies each print as an enveloped object that parses back to the same message.
TEST(JsonOutput, EveryReadRoundTrips) {
  pb::ConnectionList connections;
  auto* c = connections.add_connections();
  c->set_protocol("TCP");
  c->set_expires_s(899);
  c->set_state("ESTABLISHED");
  c->set_source("203.0.113.10:40000");
  c->set_virtual_service("192.0.2.100:80");
  c->set_destination("198.51.100.11:80");
  connections.set_total(1);
  expectRoundTrip(connections);

  pb::LookupReply lookup;
  lookup.set_matched(true);
  lookup.set_service("TCP 192.0.2.102:80");
  lookup.set_deterministic(true);
  lookup.set_real("198.51.100.12:80");
  lookup.set_slot(1234);
  lookup.set_scheduler("mh");
  expectRoundTrip(lookup);
  EXPECT_NE(toJsonEnvelope(lookup).find("\"scheduler\":\"mh\""), std::string::npos);

  pb::VrrpList vrrp;
  auto* i = vrrp.add_instances();
  i->set_name("VI_1");
  i->set_state("MASTER");
  i->set_last_transition_unix_ms(-1);
  auto* drop = i->add_dropped();
  drop->set_reason("bad_ttl");
  drop->set_count(2);
  expectRoundTrip(vrrp);

  pb::SyncReply sync;
  sync.set_enabled(true);
  auto* peer = sync.add_peers();
  peer->set_name("dir2");
  peer->set_lag_p99_ms(2.5);
  (*peer->mutable_rejected_by())["unknown-service"] = 3;
  expectRoundTrip(sync);

  pb::ForwarderReply forwarder;
  forwarder.add_tables("inet directord");
  forwarder.set_last_drift_age_ms(1500);
  expectRoundTrip(forwarder);

  pb::ConntrackReply conntrack;
  conntrack.set_available(true);
  conntrack.set_entries(262144);
  (*conntrack.mutable_kernel())["drop"] = 694;
  expectRoundTrip(conntrack);
}

// A document of another schema or kind, or one that is not JSON, is refused with the reason.
TEST(JsonOutput, RefusesForeignEnvelopes) {
  pb::ServiceList list;
  EXPECT_NE(fromJsonEnvelope("not json", list).error().find("not a JSON object"),
            std::string::npos);
  EXPECT_NE(
      fromJsonEnvelope(R"({"schema":"directord.admin.v2","kind":"ServiceList","data":{}})", list)
          .error()
          .find("directord.admin.v2"),
      std::string::npos);
  EXPECT_NE(fromJsonEnvelope(R"({"schema":"directord.admin.v1","kind":"VrrpList","data":{}})", list)
                .error()
                .find("VrrpList"),
            std::string::npos);
  EXPECT_NE(fromJsonEnvelope(
                R"({"schema":"directord.admin.v1","kind":"ServiceList","data":{"nope":1}})", list)
                .error()
                .find("does not match"),
            std::string::npos);
}

}  // namespace
}  // namespace ha::director
