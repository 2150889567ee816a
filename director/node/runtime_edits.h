#pragma once
// Runtime edits with ipvsadm's semantics (-A/-E/-D services, -a/-e/-d reals) on top of the
// loaded config: the effective config is the config file plus an overlay of runtime overrides,
// which the next reload or restart discards (keepalived forgets ipvsadm's edits the same way).
// Pure: planEdits() validates a whole batch against the current services and returns what each
// touched service becomes, or one refusal and nothing else; the node applies the result as one
// nf_tables transaction (node_edits.cc).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "director/config/config_model.h"
#include "director/plan/forwarding_plan.h"

namespace ha::director {

struct RuntimeEdit {
  enum class Op : uint8_t {
    kAddService,
    kEditService,
    kDeleteService,
    kAddReal,
    kEditReal,
    kDeleteReal,
    kSetTimeouts  // --set TCP TCPFIN UDP: the global lvs_timeouts; alone in its batch
  };
  Op op = Op::kAddService;
  ServiceKey service;
  // Unset: -A takes the config's default, -E keeps the current value.
  std::optional<std::string> scheduler;
  std::optional<uint32_t> persistenceTimeoutSec;  // 0: not persistent
  std::optional<Endpoint> real;                   // port 0: the service's port (ipvsadm)
  std::optional<uint32_t> weight;                 // unset: 1 for -a, unchanged for -e
  std::optional<ForwardMode> forwarding;          // unset: the service's mode
  LvsTimeouts timeouts;                           // kSetTimeouts: unset (0) = unchanged
};

// Why a batch changed nothing; the admin API maps the kind to a gRPC status.
struct EditRefusal {
  enum class Kind : uint8_t { kInvalid, kNotFound, kExists, kKernel };
  Kind kind = Kind::kInvalid;
  std::string message;
};

struct RealOverrides {
  bool added = false;            // -a: not in the config
  std::set<std::string> fields;  // "weight", "forwarding"
};

struct ServiceOverrides {
  bool added = false;            // -A: not in the config (or deleted and added again)
  bool deleted = false;          // -D of a configured service
  std::set<std::string> fields;  // "scheduler", "persistence_timeout"
  std::map<Endpoint, RealOverrides> reals;
  std::set<Endpoint> deletedReals;  // -d of configured reals
};

using RuntimeOverrides = std::map<ServiceKey, ServiceOverrides>;

// What a batch does when the kernel takes it.
struct EditWork {
  // Every service the batch touched, as it is after the batch; nullopt: deleted.
  std::map<ServiceKey, std::optional<VirtualServerConfig>> services;
  RuntimeOverrides overrides;        // the whole overlay after the batch
  std::vector<std::string> applied;  // one line per edit, as logged
  bool healthChanged = false;        // a real with checkers left: the checkers must be re-applied
};

struct EditOutcome {
  std::optional<EditRefusal> refusal;  // set: nothing of the batch applies
  EditWork work;
};

// What the admin API answers: the refusal, or the lines applied.
struct EditAnswer {
  std::optional<EditRefusal> refusal;
  std::vector<std::string> applied;
};

// The service as it is now (config + earlier overrides), or null.
using ServiceLookup = std::function<const VirtualServerConfig*(const ServiceKey&)>;

EditOutcome planEdits(const ServiceLookup& current, const RuntimeOverrides& overrides,
                      const std::vector<RuntimeEdit>& edits);

// One line per override a reload discards, comparing the effective config (`before`) with the
// config just loaded: "runtime override discarded by reload: weight of 198.51.100.11:80 in TCP
// 192.0.2.1:80 (was 0, config says 1)".
std::vector<std::string> discardedByReload(const RuntimeOverrides& overrides,
                                           const ServiceLookup& before, const Config& loaded);

}  // namespace ha::director
