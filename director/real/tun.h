#pragma once
// `directord-real tun up|down`: a real server of a TUN service. up puts the VIPs on lo, keeps
// the host from answering ARP for them, and decapsulates the director's IP-in-IP packets (the
// VIP-checked BPF program at tcx ingress of the device, or the kernel's tunl0); down removes
// exactly what up added (director/real/tun_state.h). Both idempotent.
#include <string>

#include "common/result.h"
#include "director/real/real_args.h"

namespace ha::real {

// A message saying what was done, or why nothing was.
Result<std::string> tunUp(const TunUp& request);
Result<std::string> tunDown();

}  // namespace ha::real
