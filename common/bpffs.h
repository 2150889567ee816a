#pragma once
// Where a bpf filesystem is visible to this process, for pinning eBPF links that must outlive it.
// `ip netns exec` gives each command a private mount namespace with a fresh /sys, so the host's
// /sys/fs/bpf is not there; a bpffs the host mounted outside /sys (the netns lab mounts
// /run/directord-bpffs) still is, and pins in it outlive the command.
#include <string>

namespace ha {

// A bpffs mounted outside /sys (seen from every mount namespace that shares the host's mounts),
// else /sys/fs/bpf when it is one, else "".
std::string visibleBpffs();

}  // namespace ha
