#include "director/node/runtime_edits.h"

#include <algorithm>
#include <utility>

#include "director/config/known_schedulers.h"

namespace ha::director {
namespace {

using Kind = EditRefusal::Kind;
using Op = RuntimeEdit::Op;

// ipvsadm -p without a value (ipvsadm.c DEF_PERSISTENCE... is 300 s) is resolved by the client;
// the largest value keepalived's persistence_timeout accepts is the cap here.
constexpr uint32_t kMaxPersistenceSec = 2678400;  // 31 days
constexpr uint32_t kMaxWeight = UINT16_MAX;       // as the config's `weight`

std::string modeName(ForwardMode mode) {
  switch (mode) {
    case ForwardMode::kNat:
      return "NAT (-m)";
    case ForwardMode::kFullNat:
      return "FULLNAT (-b)";
    case ForwardMode::kDr:
      return "DR (-g)";
    case ForwardMode::kTun:
      return "TUN (-i)";
  }
  return "?";
}

std::string persistenceText(const std::optional<uint32_t>& p) {
  return p.value_or(0) == 0 ? "none" : std::to_string(*p) + " s";
}

class Batch {
 public:
  Batch(const ServiceLookup& current, const RuntimeOverrides& overrides) : current_(current) {
    outcome_.work.overrides = overrides;
  }

  bool apply(const RuntimeEdit& e) {
    switch (e.op) {
      case Op::kAddService:
        return addService(e);
      case Op::kEditService:
        return editService(e);
      case Op::kDeleteService:
        return deleteService(e);
      case Op::kAddReal:
        return addReal(e);
      case Op::kEditReal:
        return editReal(e);
      case Op::kDeleteReal:
        return deleteReal(e);
      case Op::kSetTimeouts:  // the node applies it alone (node_timeouts.cc), never in a batch
        return refuse(Kind::kInvalid, "--set cannot share a batch with other edits");
    }
    return refuse(Kind::kInvalid, "unknown edit operation");
  }

  EditOutcome finish() { return std::move(outcome_); }

 private:
  bool refuse(Kind kind, std::string message) {
    outcome_.refusal = EditRefusal{kind, std::move(message)};
    return false;
  }

  // The service as the batch has left it so far.
  VirtualServerConfig* find(const ServiceKey& key) {
    auto& touched = outcome_.work.services;
    if (auto it = touched.find(key); it != touched.end())
      return it->second ? &*it->second : nullptr;
    const VirtualServerConfig* now = current_(key);
    if (now == nullptr) return nullptr;
    return &*touched.emplace(key, *now).first->second;
  }

  bool checkScheduler(const RuntimeEdit& e, ForwardMode mode) {
    if (!e.scheduler) return true;
    if (!config::isKnownScheduler(*e.scheduler)) {
      return refuse(Kind::kInvalid, "unknown scheduler '" + *e.scheduler +
                                        "': " + config::unknownSchedulerReason(*e.scheduler));
    }
    if ((mode == ForwardMode::kDr || mode == ForwardMode::kTun) &&
        !config::isFlowHashScheduler(*e.scheduler)) {
      return refuse(Kind::kInvalid, e.service.str() + " forwards by " + modeName(mode) +
                                        ", which needs a flow-hash scheduler (sh or mh), not " +
                                        *e.scheduler);
    }
    return true;
  }

  bool checkPersistence(const RuntimeEdit& e) {
    if (e.persistenceTimeoutSec.value_or(0) > kMaxPersistenceSec) {
      return refuse(Kind::kInvalid,
                    "persistence timeout " + std::to_string(*e.persistenceTimeoutSec) +
                        " s is over the limit of " + std::to_string(kMaxPersistenceSec) + " s");
    }
    return true;
  }

  bool addService(const RuntimeEdit& e) {
    if (find(e.service) != nullptr)
      return refuse(Kind::kExists, "virtual service " + e.service.str() + " already exists");
    if (!e.service.group.empty())
      return refuse(Kind::kInvalid, "a virtual_server_group is defined in the configuration only");
    if (e.service.port == 0 && e.service.fwmark == 0)
      return refuse(Kind::kInvalid, "virtual service " + e.service.str() + ": port 0");
    VirtualServerConfig vs;
    vs.where = {"runtime edit", 0};
    vs.vip = e.service.vip;
    vs.port = e.service.port;
    vs.fwmark = e.service.fwmark;  // -f MARK: reals added without a port keep the packet's
    vs.protocol = e.service.protocol;
    if (!checkScheduler(e, vs.mode) || !checkPersistence(e)) return false;
    if (e.scheduler) vs.scheduler = *e.scheduler;
    if (e.persistenceTimeoutSec.value_or(0) != 0)
      vs.persistenceTimeoutSec = e.persistenceTimeoutSec;
    auto& o = outcome_.work.overrides[e.service];
    o = ServiceOverrides{};
    o.added = true;
    outcome_.work.applied.push_back("added virtual service " + e.service.str() + " (scheduler " +
                                    vs.scheduler + ", persistence " +
                                    persistenceText(vs.persistenceTimeoutSec) + ")");
    outcome_.work.services[e.service] = std::move(vs);
    return true;
  }

  bool editService(const RuntimeEdit& e) {
    VirtualServerConfig* vs = find(e.service);
    if (vs == nullptr) return refuse(Kind::kNotFound, "no virtual service " + e.service.str());
    if (!checkScheduler(e, vs->mode) || !checkPersistence(e)) return false;
    auto& o = outcome_.work.overrides[e.service];
    std::string line = "edited virtual service " + e.service.str() + ":";
    if (e.scheduler) {
      line += " scheduler " + *e.scheduler + " (was " + vs->scheduler + ")";
      vs->scheduler = *e.scheduler;
      vs->schedulerFlags.clear();
      if (!o.added) o.fields.insert("scheduler");
    }
    if (e.persistenceTimeoutSec) {
      line += " persistence " + persistenceText(e.persistenceTimeoutSec) + " (was " +
              persistenceText(vs->persistenceTimeoutSec) + ")";
      vs->persistenceTimeoutSec =
          *e.persistenceTimeoutSec == 0 ? std::nullopt : e.persistenceTimeoutSec;
      if (!o.added) o.fields.insert("persistence_timeout");
    }
    if (!e.scheduler && !e.persistenceTimeoutSec) line += " nothing to change";
    outcome_.work.applied.push_back(line);
    return true;
  }

  bool deleteService(const RuntimeEdit& e) {
    VirtualServerConfig* vs = find(e.service);
    if (vs == nullptr) return refuse(Kind::kNotFound, "no virtual service " + e.service.str());
    for (const auto& r : vs->reals)
      outcome_.work.healthChanged |= !r.checkers.empty() || !r.fileChecks.empty();
    auto& o = outcome_.work.overrides[e.service];
    if (o.added) {
      outcome_.work.overrides.erase(e.service);
    } else {
      o = ServiceOverrides{};
      o.deleted = true;
    }
    outcome_.work.services[e.service] = std::nullopt;
    outcome_.work.applied.push_back("deleted virtual service " + e.service.str());
    return true;
  }

  // The real named by -r, with ipvsadm's default port (the service's).
  std::optional<Endpoint> realOf(const RuntimeEdit& e) {
    if (!e.real) {
      refuse(Kind::kInvalid, "no real server given (-r)");
      return std::nullopt;
    }
    Endpoint real = *e.real;
    if (real.port == 0) real.port = e.service.port;
    if (real.address.isV4() != e.service.vip.isV4()) {
      refuse(Kind::kInvalid,
             "real " + real.str() + " is not of the address family of " + e.service.str());
      return std::nullopt;
    }
    return real;
  }

  // One forwarding mode per service (the nf_tables chains are the service's): a real may name
  // another mode only while it is alone in its service, and then the service takes it.
  bool checkForwarding(const RuntimeEdit& e, VirtualServerConfig& vs, const Endpoint& real) {
    if (!e.forwarding || *e.forwarding == vs.mode) return true;
    // -m on a FULLNAT service is what ipvsadm users type for "translated": keep FULLNAT.
    if (*e.forwarding == ForwardMode::kNat && vs.mode == ForwardMode::kFullNat) return true;
    bool alone = std::all_of(vs.reals.begin(), vs.reals.end(), [&](const RealServerConfig& r) {
      return r.address == real.address && r.port == real.port;
    });
    if (!alone) {
      return refuse(Kind::kInvalid, e.service.str() + " forwards by " + modeName(vs.mode) +
                                        "; real " + real.str() + " cannot use " +
                                        modeName(*e.forwarding) +
                                        ": a service has one forwarding mode for all its reals");
    }
    if (*e.forwarding == ForwardMode::kFullNat) {
      return refuse(Kind::kInvalid,
                    "FULLNAT needs a local_address_group: configure it in the config file");
    }
    if ((*e.forwarding == ForwardMode::kDr || *e.forwarding == ForwardMode::kTun) &&
        !config::isFlowHashScheduler(vs.scheduler)) {
      return refuse(Kind::kInvalid, modeName(*e.forwarding) +
                                        " needs a flow-hash scheduler (sh or mh); " +
                                        e.service.str() + " uses " + vs.scheduler);
    }
    vs.mode = *e.forwarding;
    return true;
  }

  // Under a mark a real of port 0 keeps the packet's port; the class chain either rewrites the
  // port for every real or for none (config: service_group_validator.cc), so no mix. A group's
  // members are addresses with ports (or marks): its reals name their port.
  bool checkMarkPort(const VirtualServerConfig& vs, const Endpoint& real) {
    if (!vs.group.empty() && real.port == 0) {
      return refuse(Kind::kInvalid,
                    "real " + real.address.str() + " needs a port in group " + vs.group);
    }
    if (vs.fwmark == 0) return true;
    for (const auto& r : vs.reals) {
      if ((r.port == 0) != (real.port == 0)) {
        return refuse(Kind::kInvalid, "real " + real.str() + " and real " +
                                          formatEndpoint(r.address, r.port) + " of FWM " +
                                          std::to_string(vs.fwmark) +
                                          ": give every real a port or none");
      }
    }
    return true;
  }

  bool checkWeight(const RuntimeEdit& e) {
    if (e.weight.value_or(0) > kMaxWeight) {
      return refuse(Kind::kInvalid, "weight " + std::to_string(*e.weight) + " is over " +
                                        std::to_string(kMaxWeight));
    }
    return true;
  }

  bool addReal(const RuntimeEdit& e) {
    VirtualServerConfig* vs = find(e.service);
    if (vs == nullptr) return refuse(Kind::kNotFound, "no virtual service " + e.service.str());
    auto real = realOf(e);
    if (!real || !checkWeight(e)) return false;
    for (const auto& r : vs->reals) {
      if (r.address == real->address && r.port == real->port) {
        return refuse(Kind::kExists, "real " + real->str() + " already in " + e.service.str());
      }
    }
    if (!checkForwarding(e, *vs, *real) || !checkMarkPort(*vs, *real)) return false;
    // Not health-checked: keepalived knows nothing of reals ipvsadm adds, and neither do we.
    RealServerConfig rs;
    rs.where = {"runtime edit", 0};
    rs.address = real->address;
    rs.port = real->port;
    rs.weight = e.weight.value_or(1);
    vs->reals.push_back(rs);
    auto& o = outcome_.work.overrides[e.service];
    o.reals[*real] = RealOverrides{true, {}};
    o.deletedReals.erase(*real);
    outcome_.work.applied.push_back("added real " + real->str() + " to " + e.service.str() + " (" +
                                    modeName(vs->mode) + ", weight " + std::to_string(rs.weight) +
                                    ", not health-checked)");
    return true;
  }

  bool editReal(const RuntimeEdit& e) {
    VirtualServerConfig* vs = find(e.service);
    if (vs == nullptr) return refuse(Kind::kNotFound, "no virtual service " + e.service.str());
    auto real = realOf(e);
    if (!real || !checkWeight(e)) return false;
    auto rs = std::find_if(vs->reals.begin(), vs->reals.end(), [&](const RealServerConfig& r) {
      return r.address == real->address && r.port == real->port;
    });
    if (rs == vs->reals.end())
      return refuse(Kind::kNotFound, "no real " + real->str() + " in " + e.service.str());
    ForwardMode before = vs->mode;
    if (!checkForwarding(e, *vs, *real)) return false;
    auto& o = outcome_.work.overrides[e.service].reals[*real];
    std::string line = "edited real " + real->str() + " of " + e.service.str() + ":";
    if (e.weight) {
      line += " weight " + std::to_string(*e.weight) + " (was " + std::to_string(rs->weight) + ")";
      rs->weight = *e.weight;
      if (!o.added) o.fields.insert("weight");
    }
    if (vs->mode != before) {
      line += " forwarding " + modeName(vs->mode) + " (was " + modeName(before) + ")";
      if (!o.added) o.fields.insert("forwarding");
    }
    if (!e.weight && vs->mode == before) line += " nothing to change";
    outcome_.work.applied.push_back(line);
    return true;
  }

  bool deleteReal(const RuntimeEdit& e) {
    VirtualServerConfig* vs = find(e.service);
    if (vs == nullptr) return refuse(Kind::kNotFound, "no virtual service " + e.service.str());
    auto real = realOf(e);
    if (!real) return false;
    auto rs = std::find_if(vs->reals.begin(), vs->reals.end(), [&](const RealServerConfig& r) {
      return r.address == real->address && r.port == real->port;
    });
    if (rs == vs->reals.end())
      return refuse(Kind::kNotFound, "no real " + real->str() + " in " + e.service.str());
    outcome_.work.healthChanged |= !rs->checkers.empty() || !rs->fileChecks.empty();
    vs->reals.erase(rs);
    auto& o = outcome_.work.overrides[e.service];
    auto known = o.reals.find(*real);
    bool wasAdded = known != o.reals.end() && known->second.added;
    if (known != o.reals.end()) o.reals.erase(known);
    if (!wasAdded && !o.added) o.deletedReals.insert(*real);
    // Established flows are left to finish, as IPVS leaves a deleted destination's connections.
    outcome_.work.applied.push_back("deleted real " + real->str() + " from " + e.service.str());
    return true;
  }

  const ServiceLookup& current_;
  EditOutcome outcome_;
};

}  // namespace

EditOutcome planEdits(const ServiceLookup& current, const RuntimeOverrides& overrides,
                      const std::vector<RuntimeEdit>& edits) {
  Batch batch(current, overrides);
  for (size_t i = 0; i < edits.size(); ++i) {
    if (!batch.apply(edits[i])) {
      auto refused = batch.finish();
      // In a batch (-R), name the line, so the operator finds it.
      if (edits.size() > 1) {
        refused.refusal->message = "edit " + std::to_string(i + 1) + " of " +
                                   std::to_string(edits.size()) + ": " + refused.refusal->message +
                                   "; nothing in the batch was applied";
      }
      return EditOutcome{std::move(refused.refusal), {}};
    }
  }
  if (edits.empty()) return EditOutcome{EditRefusal{Kind::kInvalid, "no edits in the batch"}, {}};
  return batch.finish();
}

std::vector<std::string> discardedByReload(const RuntimeOverrides& overrides,
                                           const ServiceLookup& before, const Config& loaded) {
  std::map<ServiceKey, const VirtualServerConfig*> configured;
  for (const auto& vs : loaded.virtualServers) configured[serviceKeyOf(vs)] = &vs;
  auto realIn = [](const VirtualServerConfig* vs, const Endpoint& ep) -> const RealServerConfig* {
    if (vs == nullptr) return nullptr;
    for (const auto& r : vs->reals) {
      if (r.address == ep.address && r.port == ep.port) return &r;
    }
    return nullptr;
  };
  const std::string head = "runtime override discarded by reload: ";
  std::vector<std::string> lines;
  for (const auto& [key, o] : overrides) {
    auto it = configured.find(key);
    const VirtualServerConfig* now = before(key);
    const VirtualServerConfig* wanted = it == configured.end() ? nullptr : it->second;
    const std::string says = wanted != nullptr ? "config has it" : "not in the config";
    if (o.deleted) {
      lines.push_back(head + "deletion of " + key.str() + " (" + says + ")");
      continue;
    }
    if (o.added) {
      lines.push_back(head + "added virtual service " + key.str() + " (" + says + ")");
      continue;
    }
    if (now == nullptr) continue;
    if (o.fields.count("scheduler") != 0) {
      lines.push_back(head + "scheduler of " + key.str() + " (was " + now->scheduler +
                      ", config says " +
                      (wanted != nullptr ? wanted->scheduler : std::string("-")) + ")");
    }
    if (o.fields.count("persistence_timeout") != 0) {
      lines.push_back(head + "persistence of " + key.str() + " (was " +
                      persistenceText(now->persistenceTimeoutSec) + ", config says " +
                      (wanted != nullptr ? persistenceText(wanted->persistenceTimeoutSec) : "-") +
                      ")");
    }
    for (const auto& ep : o.deletedReals) {
      lines.push_back(head + "deletion of real " + ep.str() + " in " + key.str() + " (" +
                      (realIn(wanted, ep) != nullptr ? "config has it" : "not in the config") +
                      ")");
    }
    for (const auto& [ep, ro] : o.reals) {
      const RealServerConfig* was = realIn(now, ep);
      const RealServerConfig* says2 = realIn(wanted, ep);
      if (ro.added) {
        lines.push_back(head + "added real " + ep.str() + " in " + key.str() + " (" +
                        (says2 != nullptr ? "config has it" : "not in the config") + ")");
        continue;
      }
      if (ro.fields.count("weight") != 0 && was != nullptr) {
        lines.push_back(head + "weight of " + ep.str() + " in " + key.str() + " (was " +
                        std::to_string(was->weight) + ", config says " +
                        (says2 != nullptr ? std::to_string(says2->weight) : std::string("-")) +
                        ")");
      }
      if (ro.fields.count("forwarding") != 0) {
        lines.push_back(head + "forwarding of " + ep.str() + " in " + key.str() + " (was " +
                        (now != nullptr ? modeName(now->mode) : "-") + ", config says " +
                        (wanted != nullptr ? modeName(wanted->mode) : "-") + ")");
      }
    }
  }
  return lines;
}

}  // namespace ha::director
