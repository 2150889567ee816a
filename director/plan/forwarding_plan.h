#pragma once
// The full desired forwarding state of a node, computed purely from config (+ health, + VRRP role
// as those issues land). render.cc turns it into nf_tables objects; flow_oracle.cc answers "which
// real does this new flow reach?" from it, so tests assert outcomes rather than rule text.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "director/config/config_model.h"
#include "director/sched/scheduler.h"

namespace ha::director {

struct Endpoint {
  IpAddress address;
  uint16_t port = 0;
  auto operator<=>(const Endpoint&) const = default;
  std::string str() const { return formatEndpoint(address, port); }
};

struct ServiceKey {
  Protocol protocol = Protocol::kTcp;
  IpAddress vip;
  uint16_t port = 0;
  auto operator<=>(const ServiceKey&) const = default;
  std::string str() const;  // "TCP 192.0.2.1:80"
};

struct PlannedReal {
  Endpoint endpoint;
  uint32_t weight = 1;      // effective: the MISC_CHECK dynamic weight when set, 0 when inhibited
  bool inRotation = false;  // healthy, weight > 0 and the quorum not handed to the sorry server
  SourceLocation where;
  uint32_t configuredWeight = 1;
  bool healthy = true;
  bool inhibitOnFailure = false;  // a failed real stays listed at weight 0 and keeps its flows
  std::string healthReason;       // why it is down ("" when up)
};

struct ServicePlan {
  uint32_t id = 0;  // stable across reloads while the key is unchanged; mark = kMarkTag | id
  ServiceKey key;
  ForwardMode mode = ForwardMode::kNat;
  std::string scheduler;
  SlotPick pick = SlotPick::kRotation;
  bool hashPort = false;  // sh-port / mh-port: hash the source port too
  std::vector<PlannedReal> reals;  // every configured real, for display and counters
  std::vector<Endpoint> slots;     // slot -> real; size is the numgen/jhash modulus
  uint32_t persistenceTimeoutSec = 0;  // 0: no client affinity
  std::optional<uint32_t> laddrGroupId;  // FULLNAT
  std::string drDevice;                  // DR: device the VIP arrives on and reals sit behind
  SourceLocation where;
  std::optional<Endpoint> sorryServer;   // configured sorry_server
  bool sorryActive = false;              // the quorum is lost: new flows go to the sorry server
  bool quorumUp = true;
  bool ftpHelper = false;  // new flows get the kernel's FTP helper (NAT/FULLNAT only)
};

struct LaddrGroupPlan {
  uint32_t id = 0;
  std::string name;
  std::vector<IpAddress> addresses;
};

struct ForwardingPlan {
  uint32_t hashSeed = kDefaultHashSeed;
  TableOwnership tableOwnership = TableOwnership::kPersistent;
  std::map<uint32_t, ServicePlan> services;       // by id
  std::map<uint32_t, LaddrGroupPlan> laddrGroups;  // by id
  std::map<std::string, uint32_t> drDevices;       // device name -> ifindex
};

// Health verdicts from healthcheck/, keyed as the director keys services and reals. A real or
// service absent from the maps is up (no checkers, or not probed yet without alpha).
struct RealHealth {
  bool up = true;
  std::optional<uint32_t> dynamicWeight;  // MISC_CHECK misc_dynamic
  std::string reason;
  bool operator==(const RealHealth&) const = default;
};
struct HealthInputs {
  std::map<std::pair<ServiceKey, Endpoint>, RealHealth> reals;
  std::set<ServiceKey> quorumLost;
};

// What the plan is computed from; everything that is not config is an explicit input.
struct PlanInputs {
  const Config* config = nullptr;
  std::map<ServiceKey, uint32_t> serviceIds;  // from assignServiceIds()
  std::map<std::string, uint32_t> ifindexes;  // device name -> ifindex, for DR
  const HealthInputs* health = nullptr;       // null: every real up
};

// Keeps the ids of services whose key survives, gives new keys the lowest free ids.
std::map<ServiceKey, uint32_t> assignServiceIds(const std::map<ServiceKey, uint32_t>& previous,
                                                const Config& config);

ServiceKey serviceKeyOf(const VirtualServerConfig& vs);

// ftp_helper as written, else ip_vs_ftp's rule: TCP services on port 21 (its `ports` parameter's
// default). Only NAT and FULLNAT rewrite addresses, so only they need it.
bool wantsFtpHelper(const VirtualServerConfig& vs);
constexpr uint16_t kFtpControlPort = 21;

// Pure. Fails only on what the config checker cannot know (an unknown DR device).
Result<ForwardingPlan> buildPlan(const PlanInputs& inputs);

// Pure. Re-plans one service of a plan built from the same inputs' config (a health flip): the
// result replaces plan.services[id]; nothing else in the plan depends on health.
Result<ServicePlan> replanService(const Config& config, const HealthInputs* health, const ForwardingPlan& plan,
                                  const VirtualServerConfig& vs, uint32_t id);

}  // namespace ha::director
