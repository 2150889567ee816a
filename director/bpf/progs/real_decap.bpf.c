/* The real server's TUN decapsulator, at tcx ingress of the device the director's packets
 * arrive on (directord-real tun up): IPv4-in-IPv4 and IPv6-in-IPv6 whose inner destination is a
 * configured VIP, and, with an allow-list, whose outer source is a director. Anything else is
 * dropped and counted: an open decapsulator would let anyone inject packets with forged sources.
 * The outer header is removed with bpf_skb_adjust_room; the inner packet goes up the stack with
 * skb->dev unchanged, so rp_filter judges the client address against this device. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "director/real/real_abi.h"

/* uapi 6.3+; Debian 12's 6.1 header lacks them. They set skb->protocol and clear the encap marks. */
#ifndef BPF_F_ADJ_ROOM_DECAP_L3_IPV4
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV4 (1ULL << 7)
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV6 (1ULL << 8)
#endif

#define AF_INET 2
#define AF_INET6 10

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, REAL_MAX_VIPS);
  __type(key, struct real_addr_key);
  __type(value, __u8);
} real_vips SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, REAL_MAX_DIRECTORS);
  __type(key, struct real_addr_key);
  __type(value, __u8);
} real_directors SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32); /* real_decap_config_flags */
} real_decap_config SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, REAL_DECAP_COUNTER_MAX);
  __type(key, __u32);
  __type(value, __u64);
} real_decap_counters SEC(".maps");

static __always_inline void count(__u32 counter) {
  __u64 *value = bpf_map_lookup_elem(&real_decap_counters, &counter);
  if (value) *value += 1;
}

static __always_inline int director_allowed(const struct real_addr_key *outer_src) {
  __u32 zero = 0;
  __u32 *flags = bpf_map_lookup_elem(&real_decap_config, &zero);
  if (!flags || !(*flags & REAL_DECAP_REQUIRE_DIRECTOR)) return 1;
  return bpf_map_lookup_elem(&real_directors, outer_src) != NULL;
}

/* Judges the addresses, then strips outer_len bytes after the Ethernet header. */
static __always_inline int decap(struct __sk_buff *skb, const struct real_addr_key *outer_src,
                                 const struct real_addr_key *inner_dst, __u32 outer_len,
                                 __u64 flags) {
  if (!bpf_map_lookup_elem(&real_vips, inner_dst)) {
    count(REAL_DECAP_REFUSED_VIP);
    return TC_ACT_SHOT;
  }
  if (!director_allowed(outer_src)) {
    count(REAL_DECAP_REFUSED_DIRECTOR);
    return TC_ACT_SHOT;
  }
  if (bpf_skb_adjust_room(skb, -(__s32)outer_len, BPF_ADJ_ROOM_MAC, flags)) {
    count(REAL_DECAP_FAILED);
    return TC_ACT_SHOT;
  }
  count(REAL_DECAP_DONE);
  return TC_ACT_OK;
}

static __always_inline int ipip4(struct __sk_buff *skb, void *data, void *data_end) {
  struct iphdr *outer = data + sizeof(struct ethhdr);
  if ((void *)(outer + 1) > data_end) return TC_ACT_OK; /* not ours to judge */
  if (outer->protocol != IPPROTO_IPIP) return TC_ACT_OK;
  __u32 outer_len = outer->ihl * 4;
  /* A fragmented outer packet is not reassembled here; the stack has no ipip to take it. */
  if (outer->ihl < 5 || (outer->frag_off & bpf_htons(0x3fff))) {
    count(REAL_DECAP_MALFORMED);
    return TC_ACT_SHOT;
  }
  struct iphdr *inner = (void *)outer + outer_len;
  if ((void *)(inner + 1) > data_end || inner->version != 4) {
    count(REAL_DECAP_MALFORMED);
    return TC_ACT_SHOT;
  }
  struct real_addr_key src = {.family = AF_INET}, dst = {.family = AF_INET};
  __builtin_memcpy(src.addr, &outer->saddr, 4);
  __builtin_memcpy(dst.addr, &inner->daddr, 4);
  return decap(skb, &src, &dst, outer_len, BPF_F_ADJ_ROOM_DECAP_L3_IPV4);
}

static __always_inline int ipip6(struct __sk_buff *skb, void *data, void *data_end) {
  struct ipv6hdr *outer = data + sizeof(struct ethhdr);
  if ((void *)(outer + 1) > data_end) return TC_ACT_OK;
  /* Only a bare outer header: extension headers before IPPROTO_IPV6 are not walked. */
  if (outer->nexthdr != IPPROTO_IPV6) return TC_ACT_OK;
  struct ipv6hdr *inner = (void *)(outer + 1);
  if ((void *)(inner + 1) > data_end || inner->version != 6) {
    count(REAL_DECAP_MALFORMED);
    return TC_ACT_SHOT;
  }
  struct real_addr_key src = {.family = AF_INET6}, dst = {.family = AF_INET6};
  __builtin_memcpy(src.addr, &outer->saddr, 16);
  __builtin_memcpy(dst.addr, &inner->daddr, 16);
  return decap(skb, &src, &dst, sizeof(*outer), BPF_F_ADJ_ROOM_DECAP_L3_IPV6);
}

/* Ethernet, an outer IPv4 header with options or IPv6, and the inner header. */
#define REAL_DECAP_HEADROOM (sizeof(struct ethhdr) + 60 + sizeof(struct ipv6hdr))

SEC("tc")
int real_decap_ingress(struct __sk_buff *skb) {
  /* Headers split across fragments (GRO, a driver's small linear head) are pulled first. */
  if (skb->data + REAL_DECAP_HEADROOM > skb->data_end)
    bpf_skb_pull_data(skb, skb->len < REAL_DECAP_HEADROOM ? skb->len : REAL_DECAP_HEADROOM);
  void *data = (void *)(long)skb->data;
  void *data_end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return TC_ACT_OK;
  if (eth->h_proto == bpf_htons(ETH_P_IP)) return ipip4(skb, data, data_end);
  if (eth->h_proto == bpf_htons(ETH_P_IPV6)) return ipip6(skb, data, data_end);
  return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
