#pragma once
// Moves the installed ruleset from one plan to the next by rendering and diffing only the services
// that changed, instead of every service (at 10k services a full render + diff costs ~100 ms; a
// patch of one service well under 1 ms). The result is the same transaction state as
// diff(render(before), render(after)); tests/unit/director/nft/patch_test.cc holds it to that.
#include <set>

#include "director/nft/ir.h"
#include "director/plan/forwarding_plan.h"

namespace ha::director::nft {

// True when what every service's objects depend on (hash seed, local-address groups, DR devices)
// is the same in both plans, so services can be patched one by one.
bool canPatch(const ForwardingPlan& before, const ForwardingPlan& after);

// Ids whose forwarding differs (or that exist in only one plan); display-only fields are ignored.
std::set<uint32_t> changedServices(const ForwardingPlan& before, const ForwardingPlan& after);

// Requires canPatch(). Updates `installed` (== render(before) on entry, render(after) on return)
// and returns the transaction that does the same to the kernel.
Transaction patchServices(NftState& installed, const ForwardingPlan& before, const ForwardingPlan& after,
                          const std::set<uint32_t>& changed);

}  // namespace ha::director::nft
