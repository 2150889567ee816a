/* The director's eBPF datapath, at tcx ingress of the devices VIPs arrive on: TUN (IP-in-IP to
 * the real) and TOA (the client's address in the SYNs of FULLNAT services). The maps are fed by
 * directord (director/bpf) from the same plan as the nf_tables ruleset; their layout is abi.h. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

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

SEC("tc")
int dd_ingress(struct __sk_buff *skb) {
  (void)skb;
  return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
