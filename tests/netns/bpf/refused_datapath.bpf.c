/* A datapath the verifier must refuse (test_bpf_refused.sh): the real program's maps, and an
 * entry that reads the packet without a bounds check. */
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
  __type(value, __u32);
} dd_vips SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
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
  unsigned char *data = (unsigned char *)(long)skb->data;
  return data[40] == 6 ? TC_ACT_SHOT : TC_ACT_OK; /* no check against data_end */
}

char LICENSE[] SEC("license") = "GPL";
