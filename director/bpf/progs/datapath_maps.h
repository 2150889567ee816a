/* The director datapath's maps, as directord looks them up by name
 * (director/bpf/libbpf_datapath.cc): one definition for the program and for
 * tests/netns/bpf/refused_datapath.bpf.c. Layouts: abi.h. */
#ifndef HA_DIRECTOR_BPF_DATAPATH_MAPS_H
#define HA_DIRECTOR_BPF_DATAPATH_MAPS_H

#include <bpf/bpf_helpers.h>
#include <linux/bpf.h>

#include "director/bpf/abi.h"

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, DD_MAX_SERVICES);
  __type(key, struct dd_service_key);
  __type(value, struct dd_service);
} dd_services SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, DD_MAX_SERVICES);
  __type(key, struct dd_vip_key);
  __type(value, __u32); /* dd_service_flags of the services on this VIP */
} dd_vips SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, DD_MAX_SLOTS);
  /* Allocated per element as directord writes them: a preallocated 1M-slot table would cost
   * ~80 MB of kernel memory on every director, TUN or not. */
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct dd_slot_key);
  __type(value, struct dd_real);
} dd_slots SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, DD_MAX_SERVICES);
  __type(key, __u32);
  __type(value, struct dd_service_stats);
} dd_service_stats SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, DD_COUNTER_MAX);
  __type(key, __u32);
  __type(value, __u64);
} dd_counters SEC(".maps");

#endif
