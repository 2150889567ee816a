/* The director's eBPF datapath, at tcx ingress of the devices VIPs arrive on: TUN (IP-in-IP to
 * the real) and TOA (the client's address in the SYNs of FULLNAT services). The maps are fed by
 * directord (director/bpf) from the same plan as the nf_tables ruleset; their layout is abi.h.
 *
 * Packets are read with bpf_skb_load_bytes and written with bpf_skb_store_bytes, never through
 * direct packet pointers: headers may sit in a paged skb and IPv4 options make every offset
 * variable. Anything this program does not fully understand leaves untouched (TC_ACT_OK), so the
 * kernel's nf_tables path sees it as if this program were absent; a TUN packet is encapsulated
 * only after every header it depends on parsed cleanly. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "director/bpf/abi.h"

#include "director/bpf/progs/datapath_maps.h"

/* <sys/socket.h> is userspace; the kernel's values. */
#define DD_AF_INET 2
#define DD_AF_INET6 10

#define DD_ETH_LEN 14
#define DD_IP4_LEN 20
#define DD_IP6_LEN 40
#define DD_TCP_LEN 20
#define DD_UDP_LEN 8
#define DD_TCP_MAX_OPTIONS 40
#define DD_OUTER_TTL 64

#define DD_TCP_FLAG_SYN 0x02
#define DD_TCP_FLAG_ACK 0x10
#define DD_TCPOPT_EOL 0
#define DD_TCPOPT_NOP 1
#define DD_TCPOPT_MSS 2
#define DD_TCPOLEN_MSS 4

#define DD_IP_DF 0x4000
#define DD_IP_FRAGMENT_BITS 0x3fff /* MF and the offset */

/* The route toward the real is looked up as for a packet forwarded from the ingress device
 * (iif = skb->ifindex), not with BPF_FIB_LOOKUP_OUTPUT: in output mode the kernel takes
 * params->ifindex as the required *output* device (fib_lookup_good_nhc), so an IPv4 real behind
 * any other device than the one the VIP arrived on would be unroutable. BPF_FIB_LOOKUP_SRC
 * (kernel 6.7; Debian 12's 6.1 uapi has it through a stable backport, defined here if not) makes
 * the kernel pick the director's source address on the real's side, the outer source. */
#ifndef BPF_FIB_LOOKUP_SRC
#define BPF_FIB_LOOKUP_SRC (1U << 4)
#endif
#define DD_FIB_FLAGS BPF_FIB_LOOKUP_SRC

/* What the parser learnt about a packet to a VIP. Addresses and ports as on the wire. */
struct dd_flow {
  __u8 family;
  __u8 protocol;
  __u8 tos;       /* IPv4 TOS / IPv6 traffic class */
  __u8 df;        /* IPv4 DF set (IPv6: always, no fragmentation on path) */
  __u32 l4_off;   /* from the start of the frame */
  __u32 l3_len;   /* IP header(s) + payload, as the IP header says */
  __u32 l4_len;   /* l3_len minus the IP header(s) */
  __be16 sport;
  __be16 dport;
  __u8 saddr[16];
  __u8 daddr[16];
  __u8 tcp[DD_TCP_LEN]; /* the fixed TCP header, when protocol is TCP */
};

static __always_inline void count_n(__u32 which, __u64 n) {
  __u64 *value = bpf_map_lookup_elem(&dd_counters, &which);
  if (value) *value += n;
}

static __always_inline void count(__u32 which) { count_n(which, 1); }

/* ---- jhash: the kernel's lookup3 (include/linux/jhash.h) over whole 32-bit words ---------- */

static __always_inline __u32 rol32(__u32 word, unsigned int shift) {
  return (word << shift) | (word >> ((-shift) & 31));
}

#define DD_JHASH_MIX(a, b, c)                                                                      \
  do {                                                                                             \
    a -= c; a ^= rol32(c, 4);  c += b;                                                              \
    b -= a; b ^= rol32(a, 6);  a += c;                                                              \
    c -= b; c ^= rol32(b, 8);  b += a;                                                              \
    a -= c; a ^= rol32(c, 16); c += b;                                                              \
    b -= a; b ^= rol32(a, 19); a += c;                                                              \
    c -= b; c ^= rol32(b, 4);  b += a;                                                              \
  } while (0)

#define DD_JHASH_FINAL(a, b, c)                                                                    \
  do {                                                                                             \
    c ^= b; c -= rol32(b, 14);                                                                      \
    a ^= c; a -= rol32(c, 11);                                                                      \
    b ^= a; b -= rol32(a, 25);                                                                      \
    c ^= b; c -= rol32(b, 16);                                                                      \
    a ^= c; a -= rol32(c, 4);                                                                       \
    b ^= a; b -= rol32(a, 14);                                                                      \
    c ^= b; c -= rol32(b, 24);                                                                      \
  } while (0)

/* jhash(k, words * 4, seed) for 1..5 words. The kernel reads the bytes as host-order words
 * (__get_unaligned_cpu32; the tail switch assembles the same little-endian value), and a BPF
 * program runs in host order, so words loaded from the packet are fed as they are. */
static __always_inline __u32 jhash_words(const __u32 *k, __u32 words, __u32 seed) {
  __u32 a, b, c;
  a = b = c = 0xdeadbeef + words * 4 + seed;
  if (words > 3) { /* 16 or 20 bytes: one 12-byte round, then a tail of 1 or 2 words */
    a += k[0];
    b += k[1];
    c += k[2];
    DD_JHASH_MIX(a, b, c);
    k += 3;
    words -= 3;
  }
  if (words >= 3) c += k[2];
  if (words >= 2) b += k[1];
  a += k[0];
  DD_JHASH_FINAL(a, b, c);
  return c;
}

/* nft's registers for `jhash ip saddr [. th sport]`: the address, then the port padded to a
 * 4-byte register with zeros (the C++ twin: director/plan/flow_oracle.cc). */
static __always_inline __u32 flow_slot(const struct dd_flow *flow, const struct dd_service *svc) {
  __u32 words[5] = {};
  __u32 n = flow->family == DD_AF_INET ? 1 : 4;
  __builtin_memcpy(words, flow->saddr, 16);
  if (svc->flags & DD_SVC_HASH_PORT) {
    __u8 *port_register = (__u8 *)&words[n];
    __builtin_memcpy(port_register, &flow->sport, 2);
    port_register[2] = 0;
    port_register[3] = 0;
    n += 1;
  }
  __u32 hash = jhash_words(words, n, svc->seed);
  return (__u32)(((__u64)hash * svc->modulus) >> 32);
}

/* ---- parsing ------------------------------------------------------------------------------ */

enum dd_parse {
  DD_PARSE_OK,
  DD_PARSE_NOT_OURS, /* pass untouched, not counted */
  DD_PARSE_MALFORMED,
  DD_PARSE_FRAGMENT,
};

static __always_inline int vip_flags(__u8 family, const __u8 *daddr, __u32 *flags) {
  struct dd_vip_key key = {.family = family};
  __builtin_memcpy(key.vip, daddr, family == DD_AF_INET ? 4 : 16);
  __u32 *found = bpf_map_lookup_elem(&dd_vips, &key);
  if (!found) return -1;
  *flags = *found;
  return 0;
}

static __always_inline int parse_ipv4(struct __sk_buff *skb, struct dd_flow *flow) {
  struct iphdr ip;
  if (bpf_skb_load_bytes(skb, DD_ETH_LEN, &ip, sizeof(ip)) < 0) return DD_PARSE_NOT_OURS;
  flow->family = DD_AF_INET;
  __builtin_memcpy(flow->daddr, &ip.daddr, 4);
  __builtin_memcpy(flow->saddr, &ip.saddr, 4);
  __u32 flags;
  if (vip_flags(DD_AF_INET, flow->daddr, &flags) < 0) return DD_PARSE_NOT_OURS;

  __u8 version_ihl = *(__u8 *)&ip;
  __u32 header_len = (version_ihl & 0x0f) * 4;
  __u32 total_len = bpf_ntohs(ip.tot_len);
  if ((version_ihl >> 4) != 4 || header_len < DD_IP4_LEN || total_len < header_len ||
      DD_ETH_LEN + total_len > skb->len)
    return DD_PARSE_MALFORMED;
  if (ip.frag_off & bpf_htons(DD_IP_FRAGMENT_BITS))
    return (flags & DD_SVC_TUN) ? DD_PARSE_FRAGMENT : DD_PARSE_NOT_OURS;
  if (ip.protocol != IPPROTO_TCP && ip.protocol != IPPROTO_UDP) return DD_PARSE_NOT_OURS;

  flow->protocol = ip.protocol;
  flow->tos = ip.tos;
  flow->df = (ip.frag_off & bpf_htons(DD_IP_DF)) != 0;
  flow->l4_off = DD_ETH_LEN + header_len;
  flow->l3_len = total_len;
  flow->l4_len = total_len - header_len;
  return DD_PARSE_OK;
}

static __always_inline int parse_ipv6(struct __sk_buff *skb, struct dd_flow *flow) {
  struct ipv6hdr ip;
  if (bpf_skb_load_bytes(skb, DD_ETH_LEN, &ip, sizeof(ip)) < 0) return DD_PARSE_NOT_OURS;
  flow->family = DD_AF_INET6;
  __builtin_memcpy(flow->daddr, &ip.daddr, 16);
  __builtin_memcpy(flow->saddr, &ip.saddr, 16);
  __u32 flags;
  if (vip_flags(DD_AF_INET6, flow->daddr, &flags) < 0) return DD_PARSE_NOT_OURS;

  const __u8 *first = (const __u8 *)&ip;
  __u32 payload_len = bpf_ntohs(ip.payload_len);
  if ((first[0] >> 4) != 6 || DD_ETH_LEN + DD_IP6_LEN + payload_len > skb->len)
    return DD_PARSE_MALFORMED;
  /* Extension headers (fragments included) are not ours: the kernel's path handles them. */
  if (ip.nexthdr != IPPROTO_TCP && ip.nexthdr != IPPROTO_UDP) return DD_PARSE_NOT_OURS;

  flow->protocol = ip.nexthdr;
  flow->tos = (__u8)(((first[0] & 0x0f) << 4) | (first[1] >> 4));
  flow->df = 1;
  flow->l4_off = DD_ETH_LEN + DD_IP6_LEN;
  flow->l3_len = DD_IP6_LEN + payload_len;
  flow->l4_len = payload_len;
  return DD_PARSE_OK;
}

static __always_inline int parse_l4(struct __sk_buff *skb, struct dd_flow *flow) {
  if (flow->protocol == IPPROTO_TCP) {
    if (flow->l4_len < DD_TCP_LEN) return DD_PARSE_MALFORMED;
    if (bpf_skb_load_bytes(skb, flow->l4_off, flow->tcp, DD_TCP_LEN) < 0) return DD_PARSE_MALFORMED;
    __u32 header_len = (flow->tcp[12] >> 4) * 4;
    if (header_len < DD_TCP_LEN || header_len > flow->l4_len) return DD_PARSE_MALFORMED;
    __builtin_memcpy(&flow->sport, &flow->tcp[0], 2);
    __builtin_memcpy(&flow->dport, &flow->tcp[2], 2);
    return DD_PARSE_OK;
  }
  __u8 udp[DD_UDP_LEN];
  if (flow->l4_len < DD_UDP_LEN) return DD_PARSE_MALFORMED;
  if (bpf_skb_load_bytes(skb, flow->l4_off, udp, DD_UDP_LEN) < 0) return DD_PARSE_MALFORMED;
  __builtin_memcpy(&flow->sport, &udp[0], 2);
  __builtin_memcpy(&flow->dport, &udp[2], 2);
  return DD_PARSE_OK;
}

/* ---- TCP options -------------------------------------------------------------------------- */

/* The MSS clamp (TUN) walks and edits the options in the packet itself, through
 * bpf_skb_load_bytes and bpf_skb_store_bytes; TOA walks a copy on the stack and stores the area
 * back whole (below). Either way the TCP checksum is then fixed from two snapshots of the option
 * area, before and after. */

/* Word 3 of the TCP header (data offset, flags, window) and the option area, contiguous so one
 * bpf_csum_diff covers both; every edit is 4-byte aligned relative to the TCP header, so the
 * one's-complement sum does not care where the bytes sit. */
struct dd_tcp_options {
  __u8 word3[4];
  __u8 bytes[DD_TCP_MAX_OPTIONS];
};

/* The MSS clamp's walk (TUN): the MSS option lowered to mss_limit. */
struct dd_walk {
  __u32 clamped; /* the MSS lowered */
  __u32 eol;     /* offset of End of Option List; `length` when none */
};

struct dd_walk_args {
  __u32 opt_off; /* packet offset of the option area */
  __u32 length;  /* its length (data offset - 20), <= 40 */
  __u32 mss_limit;
};

/* Stores 0..40 bytes. The empty asm keeps clang from folding the two bound checks into one on a
 * copy of `len`, which would leave the verifier without a lower bound on the register passed. */
static __always_inline int store_upto40(struct __sk_buff *skb, __u32 off, const void *from,
                                        __u32 len) {
  __u64 n = len; /* zero-extended once, in the register that is checked and passed */
  asm volatile("" : "+r"(n));
  if (n > DD_TCP_MAX_OPTIONS) return -1;
  asm volatile("" : "+r"(n));
  if (n == 0) return 0;
  return bpf_skb_store_bytes(skb, off, from, (__u32)n, 0) < 0 ? -1 : 0;
}

struct dd_walk_ctx {
  struct __sk_buff *skb;
  const struct dd_walk_args *args;
  struct dd_walk *walk;
  __u32 at;
  int result; /* 0, or -1 once malformed */
};

/* One option per call, from bpf_loop: the verifier checks a callback until its states converge,
 * widening what it need not track exactly; an open-coded loop made it explore every combination
 * of option boundaries and give up at a million instructions. Returns 1 to stop. */
static long walk_step(__u32 index, void *data) {
  struct dd_walk_ctx *c = data;
  const struct dd_walk_args *args = c->args;
  struct dd_walk *walk = c->walk;
  struct __sk_buff *skb = c->skb;
  const __u32 at = c->at;
  (void)index;
  if (at >= args->length) return 1;
  __u8 head[2];
  if (bpf_skb_load_bytes(skb, args->opt_off + at, head, 1) < 0) goto malformed;
  if (head[0] == DD_TCPOPT_EOL) {
    walk->eol = at;
    return 1;
  }
  if (head[0] == DD_TCPOPT_NOP) {
    c->at = at + 1;
    return 0;
  }
  if (at + 1 >= args->length) goto malformed;
  if (bpf_skb_load_bytes(skb, args->opt_off + at + 1, &head[1], 1) < 0) goto malformed;
  __u32 len = head[1];
  if (len < 2 || at + len > args->length) goto malformed;
  if (head[0] == DD_TCPOPT_MSS && len == DD_TCPOLEN_MSS) {
    __be16 mss;
    if (bpf_skb_load_bytes(skb, args->opt_off + at + 2, &mss, 2) < 0) goto malformed;
    if (bpf_ntohs(mss) > args->mss_limit) {
      mss = bpf_htons((__u16)args->mss_limit);
      if (bpf_skb_store_bytes(skb, args->opt_off + at + 2, &mss, 2, 0) < 0) goto malformed;
      walk->clamped = 1;
    }
  }
  c->at = at + len;
  return 0;
malformed:
  c->result = -1;
  return 1;
}

/* Walks the options and edits them in place; -1 when they are malformed (an option shorter than
 * 2 bytes or running past the data offset) or a helper failed. Every option but EOL and NOP has
 * a length byte; what follows an EOL is padding. Each step consumes at least one byte, so 40
 * steps reach the end of the longest option area. */
static __always_inline int walk_options(struct __sk_buff *skb, const struct dd_walk_args *args,
                                        struct dd_walk *walk) {
  walk->clamped = 0;
  walk->eol = args->length;
  struct dd_walk_ctx c = {.skb = skb, .args = args, .walk = walk};
  if (bpf_loop(DD_TCP_MAX_OPTIONS, walk_step, &c, 0) < 0) return -1;
  return c.result;
}

static __always_inline int load_options(struct __sk_buff *skb, __u32 l4_off, __u32 length,
                                        struct dd_tcp_options *opts) {
  if (bpf_skb_load_bytes(skb, l4_off + 12, opts->word3, 4) < 0) return -1;
  __u64 n = length; /* as in store_upto40 */
  asm volatile("" : "+r"(n));
  if (n > DD_TCP_MAX_OPTIONS) return -1;
  asm volatile("" : "+r"(n));
  if (n == 0) return 0;
  return bpf_skb_load_bytes(skb, l4_off + DD_TCP_LEN, opts->bytes, (__u32)n) < 0 ? -1 : 0;
}

/* Folds the change from `before` to what the packet now holds (word 3 and `new_len` bytes of
 * options) into the TCP checksum. With CHECKSUM_PARTIAL the kernel ignores this data part of the
 * update (the device sums the bytes later), which is right. */
static __always_inline int fix_tcp_checksum(struct __sk_buff *skb, __u32 l4_off,
                                            const struct dd_tcp_options *before, __u32 old_len,
                                            __u32 new_len) {
  struct dd_tcp_options after = {};
  if (load_options(skb, l4_off, new_len, &after) < 0) return -1;
  __u64 from_size = 4 + (__u64)old_len, to_size = 4 + (__u64)new_len; /* see store_upto40 */
  asm volatile("" : "+r"(from_size), "+r"(to_size));
  if (from_size > sizeof(after) || to_size > sizeof(after)) return -1;
  asm volatile("" : "+r"(from_size), "+r"(to_size));
  __s64 diff = bpf_csum_diff((__be32 *)before, (__u32)from_size, (__be32 *)&after, (__u32)to_size, 0);
  if (diff < 0) return -1;
  return bpf_l4_csum_replace(skb, l4_off + 16, 0, (__u32)diff, 0) < 0 ? -1 : 0;
}

/* ---- TOA ----------------------------------------------------------------------------------
 * A client SYN to a FULLNAT service with `client_address toa` gets the client's port and address
 * in a TCP option (Alibaba's / DPVS's TOA: the real's decoder reads it, the SNAT hides the
 * client); kind-254 options from outside are forgeries, voided (NOPs) or overwritten with ours.
 * The option area is copied to the stack once, walked there, and stored back whole; the TCP
 * checksum follows from the two copies.
 *
 * The walk goes byte by byte in a bpf_loop callback that touches only struct dd_toa_walk (no
 * helper, no variable size): the verifier checks a callback until its states converge,
 * forgetting what no decision depends on. Two designs the 6.18 verifier refused at a million
 * instructions: a bpf_loop walk from option to option editing the packet through skb helpers,
 * and an open-coded loop over the stack copy (states inside a running loop are rarely kept as
 * checkpoints, so every combination of option boundaries was explored again and again). */

/* The walk's state and findings. Offsets are relative to the option area. */
struct dd_toa_walk {
  struct dd_tcp_options before;   /* word 3 and the options as they came, zero past `length` */
  __u8 after[DD_TCP_MAX_OPTIONS]; /* the options with the forgeries (and EOL) voided */
  __u64 length;                   /* of the options, 0..40 */
  __u64 reuse_len;  /* a forged option this long is overwritten with ours; 0: never */
  __u64 may_append; /* EOL and the padding after it become NOPs (ours goes after them) */
  __u64 next;       /* where the next option starts: bytes before it are the current one's */
  __u64 voiding;    /* the current option (or the padding after EOL) becomes NOPs */
  __u64 forged;     /* kind-254 options: arrived from outside, never trusted; only counted */
  __u64 reuse_at;   /* the forged option ours overwrites in place, when `reused` */
  __u64 any_forged;
  __u64 reused;
  __u64 malformed; /* an option shorter than 2 bytes or running past the data offset */
};

/* Byte `index` of the options: inside the current option (index < next), or the start of one.
 * Returns 1 to stop. */
static long toa_walk_step(__u32 index, void *data) {
  struct dd_toa_walk *w = data;
  const __u64 i = index;
  if (i >= DD_TCP_MAX_OPTIONS || i >= w->length) return 1;
  if (i < w->next) {
    if (w->voiding) w->after[i] = DD_TCPOPT_NOP;
    return 0;
  }
  const __u8 kind = w->before.bytes[i];
  w->voiding = 0;
  w->next = i + 1;
  if (kind == DD_TCPOPT_NOP) return 0;
  if (kind == DD_TCPOPT_EOL) {
    if (!w->may_append || w->reused) return 1;
    w->after[i] = DD_TCPOPT_NOP;
    w->voiding = 1;
    w->next = DD_TCP_MAX_OPTIONS;
    return 0;
  }
  if (i + 1 >= w->length) { /* no length byte */
    w->malformed = 1;
    return 1;
  }
  const __u64 len = w->before.bytes[i + 1];
  if (len < 2 || i + len > w->length) {
    w->malformed = 1;
    return 1;
  }
  w->next = i + len;
  if (kind != DD_TOA_KIND) return 0;
  w->forged += 1;
  w->any_forged = 1;
  if (w->reuse_len && len == w->reuse_len && !w->reused) {
    w->reused = 1;
    w->reuse_at = i;
    return 0;
  }
  w->voiding = 1;
  w->after[i] = DD_TCPOPT_NOP;
  return 0;
}

/* The TCP length in the pseudo header and the IP header's length grow by `added` bytes. */
static __always_inline int toa_grow_lengths(struct __sk_buff *skb, const struct dd_flow *flow,
                                            __u32 added) {
  const __u16 old_l4 = (__u16)flow->l4_len, new_l4 = (__u16)(flow->l4_len + added);
  if (bpf_l4_csum_replace(skb, flow->l4_off + 16, bpf_htons(old_l4), bpf_htons(new_l4),
                          BPF_F_PSEUDO_HDR | sizeof(__u16)) < 0)
    return -1;
  if (flow->family == DD_AF_INET) {
    const __be16 old_total = bpf_htons((__u16)flow->l3_len);
    const __be16 new_total = bpf_htons((__u16)(flow->l3_len + added));
    if (bpf_l3_csum_replace(skb, DD_ETH_LEN + 10, old_total, new_total, sizeof(__u16)) < 0)
      return -1;
    return bpf_skb_store_bytes(skb, DD_ETH_LEN + 2, &new_total, 2, 0) < 0 ? -1 : 0;
  }
  const __be16 new_payload = bpf_htons(new_l4);
  return bpf_skb_store_bytes(skb, DD_ETH_LEN + 4, &new_payload, 2, 0) < 0 ? -1 : 0;
}

/* TC_ACT_OK with the packet edited or untouched; TC_ACT_SHOT when an edit failed halfway (a
 * half-edited SYN, or one still carrying a forgery, is never forwarded). */
static __noinline int toa(struct __sk_buff *skb, const struct dd_flow *flow) {
  const __u32 header_len = (flow->tcp[12] >> 4) * 4;
  if (header_len < DD_TCP_LEN || header_len > DD_TCP_LEN + DD_TCP_MAX_OPTIONS)
    return TC_ACT_OK; /* the parser excluded it: this is for the verifier */
  const __u32 length = header_len - DD_TCP_LEN; /* of the options, 0..40 */
  const __u32 toa_len = flow->family == DD_AF_INET ? DD_TOA_LEN_V4 : DD_TOA_LEN_V6;
  const __u8 flags = flow->tcp[13];
  const int client_syn = (flags & DD_TCP_FLAG_SYN) && !(flags & DD_TCP_FLAG_ACK);
  const int payload = flow->l4_len > header_len;
  const int room = length + toa_len <= DD_TCP_MAX_OPTIONS;

  /* Almost every segment after the SYN carries no option or Linux's NOP NOP timestamp (12 bytes,
   * no room for another): nothing there can be a TOA, so the walk is skipped (bench/forwarding.sh,
   * keep-alive through a client_address service: 0.92 of plain FULLNAT with the walk, 0.95 without). */
  if (!client_syn) {
    if (length == 0) return TC_ACT_OK;
    __u32 head = 0;
    if (length == 12 && bpf_skb_load_bytes(skb, flow->l4_off + DD_TCP_LEN, &head, sizeof(head)) == 0 &&
        head == bpf_htonl(0x0101080a))
      return TC_ACT_OK;
  }

  struct dd_toa_walk walk = {};
  if (load_options(skb, flow->l4_off, length, &walk.before) < 0) {
    count(DD_CNT_MALFORMED);
    return TC_ACT_OK;
  }
  __builtin_memcpy(walk.after, walk.before.bytes, sizeof(walk.after));
  walk.length = length;
  walk.reuse_len = client_syn ? toa_len : 0;
  walk.may_append = client_syn && !payload && room;
  if (bpf_loop(DD_TCP_MAX_OPTIONS, toa_walk_step, &walk, 0) < 0 || walk.malformed) {
    count(DD_CNT_MALFORMED);
    return TC_ACT_OK;
  }
  if (walk.any_forged) count_n(DD_CNT_TOA_FORGED, walk.forged);
  const int reuse = walk.reused != 0;
  int append = 0;
  if (client_syn && !reuse) {
    if (payload)
      count(DD_CNT_TOA_SKIPPED); /* TCP Fast Open: the tail is data, not the options' end */
    else if (!room)
      count(DD_CNT_TOA_NO_ROOM);
    else
      append = 1;
  }
  /* Appended at the packet's tail (a SYN without payload ends with its options), so nothing
   * moves: moving the header (bpf_skb_adjust_room) breaks the checksum offload offsets of
   * CHECKSUM_PARTIAL packets. Link-layer padding is trimmed first so the tail always grows:
   * growing turns CHECKSUM_COMPLETE into NONE, where padding overwritten with ours would leave
   * skb->csum stale. The edits in place need no such care: each change to the bytes is matched
   * by the opposite change to the checksum field, so the sum over the packet stays. */
  if (append && ((skb->len > DD_ETH_LEN + flow->l3_len &&
                  bpf_skb_change_tail(skb, DD_ETH_LEN + flow->l3_len, 0) < 0) ||
                 bpf_skb_change_tail(skb, DD_ETH_LEN + flow->l3_len + toa_len, 0) < 0)) {
    append = 0;
    count(DD_CNT_TOA_NO_ROOM); /* the kernel would not resize it: forwarded without ours */
  }
  if (!walk.any_forged && !append) return TC_ACT_OK;

  /* Ours: kind, length, client port, client address, all as on the wire. */
  __u8 ours[DD_TOA_LEN_V6] = {DD_TOA_KIND, (__u8)toa_len};
  __builtin_memcpy(&ours[2], &flow->sport, 2);
  __builtin_memcpy(&ours[4], flow->saddr, 16);
  const __u32 opt_off = flow->l4_off + DD_TCP_LEN;
  if (store_upto40(skb, opt_off, walk.after, length) < 0) return TC_ACT_SHOT;
  if (reuse && bpf_skb_store_bytes(skb, opt_off + (__u32)walk.reuse_at, ours, toa_len, 0) < 0)
    return TC_ACT_SHOT;
  __u32 new_len = length;
  if (append) {
    new_len = length + toa_len;
    const __u8 data_offset =
        (__u8)((((DD_TCP_LEN + new_len) / 4) << 4) | (walk.before.word3[0] & 0x0f));
    if (bpf_skb_store_bytes(skb, opt_off + length, ours, toa_len, 0) < 0 ||
        bpf_skb_store_bytes(skb, flow->l4_off + 12, &data_offset, 1, 0) < 0 ||
        toa_grow_lengths(skb, flow, toa_len) < 0)
      return TC_ACT_SHOT;
  }
  if (fix_tcp_checksum(skb, flow->l4_off, &walk.before, length, new_len) < 0) return TC_ACT_SHOT;
  /* A changed SYN is checked again by whoever checks (netfilter), not trusted as verified. */
  bpf_csum_level(skb, BPF_CSUM_LEVEL_RESET);
  if (reuse || append) count(DD_CNT_TOA_ADDED);
  return TC_ACT_OK;
}

/* ---- TUN ---------------------------------------------------------------------------------- */

/* A SYN's MSS option lowered to what fits the tunnel: egress MTU - outer header - inner IP header
 * - TCP header. Returns -1 when the options are malformed (the caller passes the packet). */
static __always_inline int clamp_mss(struct __sk_buff *skb, const struct dd_flow *flow, __u32 mtu,
                                __u32 outer_len) {
  if (!(flow->tcp[13] & DD_TCP_FLAG_SYN)) return 0;
  const __u32 inner_ip = flow->family == DD_AF_INET ? DD_IP4_LEN : DD_IP6_LEN;
  if (mtu <= outer_len + inner_ip + DD_TCP_LEN) return 0;
  const __u32 length = (flow->tcp[12] >> 4) * 4 - DD_TCP_LEN;
  struct dd_tcp_options before = {};
  if (load_options(skb, flow->l4_off, length, &before) < 0) return -1;
  struct dd_walk_args args = {.opt_off = flow->l4_off + DD_TCP_LEN,
                              .length = length,
                              .mss_limit = mtu - outer_len - inner_ip - DD_TCP_LEN};
  struct dd_walk walk;
  if (walk_options(skb, &args, &walk) < 0) {
    store_upto40(skb, args.opt_off, before.bytes, length);
    return -1;
  }
  if (!walk.clamped) return 0;
  if (fix_tcp_checksum(skb, flow->l4_off, &before, length, length) < 0) return -1;
  count(DD_CNT_TUN_MSS_CLAMPED);
  return 0;
}

static __always_inline __u16 ipv4_header_checksum(const void *header) {
  const __u16 *words = header;
  __u32 sum = 0;
#pragma unroll
  for (int i = 0; i < DD_IP4_LEN / 2; i++) sum += words[i];
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return (__u16)~sum;
}

static __always_inline void account_service(__u32 id, __u64 bytes) {
  struct dd_service_stats *stats = bpf_map_lookup_elem(&dd_service_stats, &id);
  if (!stats) {
    struct dd_service_stats first = {.packets = 1, .bytes = bytes};
    if (bpf_map_update_elem(&dd_service_stats, &id, &first, BPF_NOEXIST) == 0) return;
    stats = bpf_map_lookup_elem(&dd_service_stats, &id); /* raced with another CPU's insert */
    if (!stats) return;
  }
  stats->packets += 1;
  stats->bytes += bytes;
}

static __always_inline int drop(__u32 counter) {
  count(counter);
  return TC_ACT_SHOT;
}

/* ---- TUN: ICMP "too big" -------------------------------------------------------------------
 * A packet that does not fit the path to the real once encapsulated is answered as IPVS does
 * (ip_vs_tunnel_xmit -> icmp_send / icmpv6_send): ICMP "fragmentation needed" when the IPv4
 * packet has DF, ICMPv6 "packet too big" always, with the MTU left for the inner packet. The
 * client then lowers its path MTU toward the VIP and TCP its segment size; in TUN that matters
 * for the client's uploads, whose segments are sized by the real's SYN-ACK, never seen here.
 * The packet itself becomes the reply: its tail trimmed to the quoted part, room for the new IP
 * and ICMP headers made after the Ethernet header, then back out of the device it came in on.
 *
 * The quote is the invoking packet's IP header and its fixed L4 header (TCP 20, UDP 8 bytes):
 * at least RFC 792's 8 bytes, the ports and sequence number the client's stack looks up, and
 * whole enough that a CHECKSUM_PARTIAL packet (from a local sender through a veth) can be
 * trimmed (the kernel refuses to cut its checksum field off). IPv4 without DF is dropped and
 * counted: the kernel would fragment it, which a TC program cannot.
 *
 * Linux's icmp_ratelimit does not see packets built here, so a token bucket per CPU limits the
 * replies (as net.ipv4.icmp_msgs_per_sec / icmp_msgs_burst, but per CPU); over it, dropped and
 * counted as DD_CNT_TUN_TOO_BIG. */

#define DD_ICMP_LEN 8
#define DD_ICMP_DEST_UNREACH 3
#define DD_ICMP_FRAG_NEEDED 4
#define DD_ICMPV6_PKT_TOOBIG 2
#define DD_IPPROTO_ICMP 1
#define DD_IPPROTO_ICMPV6 58
#define DD_ICMP_TOS 0xc0                    /* IPTOS_PREC_INTERNETCONTROL, as Linux's icmp_send */
#define DD_QUOTE_MAX (60 + DD_TCP_LEN)      /* the longest IPv4 header and a TCP header */
#define DD_ICMP_PER_SEC 1000
#define DD_ICMP_BURST 50
#define DD_NSEC_PER_ICMP (1000000000ull / DD_ICMP_PER_SEC)

/* The reply's headers as they are written, behind the quote they are summed with. The pad keeps
 * the IP header 4-byte aligned. */
struct dd_icmp4_reply {
  __u8 pad[2];
  __u8 eth[DD_ETH_LEN];
  struct iphdr ip;
  __u8 icmp[DD_ICMP_LEN];
  __u8 quote[DD_QUOTE_MAX];
};

struct dd_icmp6_reply {
  __u8 pad[2];
  __u8 eth[DD_ETH_LEN];
  struct ipv6hdr ip;
  __u8 icmp[DD_ICMP_LEN];
  __u8 quote[DD_QUOTE_MAX];
};

/* Per CPU: the rate limit's token bucket, and the reply being built (too big for the stack of a
 * program that reaches it three calls deep). A program runs to its end on one CPU and the tc
 * hook does not nest, so one slot per CPU is enough. */
struct dd_icmp_cpu {
  __u64 stamp_ns; /* when the last whole token was earned */
  __u64 tokens;
  union {
    struct dd_icmp4_reply v4;
    struct dd_icmp6_reply v6;
  } reply;
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct dd_icmp_cpu);
} dd_icmp_cpu SEC(".maps");

/* One token per DD_NSEC_PER_ICMP, at most DD_ICMP_BURST saved; a fresh bucket (stamp 0) starts
 * full. */
static __always_inline int icmp_budget_take(struct dd_icmp_cpu *cpu) {
  const __u64 now = bpf_ktime_get_ns();
  const __u64 earned = (now - cpu->stamp_ns) / DD_NSEC_PER_ICMP;
  if (earned >= DD_ICMP_BURST) {
    cpu->tokens = DD_ICMP_BURST;
    cpu->stamp_ns = now;
  } else if (earned > 0) {
    cpu->tokens = cpu->tokens + earned > DD_ICMP_BURST ? DD_ICMP_BURST : cpu->tokens + earned;
    cpu->stamp_ns += earned * DD_NSEC_PER_ICMP;
  }
  if (cpu->tokens == 0) return 0;
  cpu->tokens -= 1;
  return 1;
}

/* No error message to an address that cannot have sent the packet alone (RFC 1812 4.3.2.7,
 * RFC 4443 2.4 e): unspecified, multicast or limited broadcast. */
static __always_inline int icmp_destination_ok(const struct dd_flow *flow) {
  if (flow->family == DD_AF_INET) {
    __u32 client;
    __builtin_memcpy(&client, flow->saddr, 4);
    return client != 0 && (flow->saddr[0] & 0xf0) < 0xe0; /* 224/4 multicast, 240/4, broadcast */
  }
  __u64 words[2];
  __builtin_memcpy(words, flow->saddr, 16);
  return (words[0] | words[1]) != 0 && flow->saddr[0] != 0xff;
}

/* The bound of a variable length kept where the verifier sees it (as store_upto40). */
static __always_inline __u32 bounded(__u32 len, __u32 max) {
  __u64 n = len;
  asm volatile("" : "+r"(n));
  if (n == 0 || n > max) return 0;
  asm volatile("" : "+r"(n));
  return (__u32)n;
}

/* Reads the Ethernet header with its addresses swapped, and the quote. */
static __always_inline int load_reply_source(struct __sk_buff *skb, __u8 *eth, __u8 *quote,
                                             __u32 quote_len) {
  const __u32 n = bounded(quote_len, DD_QUOTE_MAX);
  if (n == 0 || bpf_skb_load_bytes(skb, DD_ETH_LEN, quote, n) < 0) return -1;
  if (bpf_skb_load_bytes(skb, 0, eth, DD_ETH_LEN) < 0) return -1;
#pragma unroll
  for (int i = 0; i < 6; i++) {
    const __u8 destination = eth[i];
    eth[i] = eth[6 + i];
    eth[6 + i] = destination;
  }
  return 0;
}

/* The one's-complement sum of the ICMP header and the quote behind it (seeded with the IPv6
 * pseudo header), folded: the ICMP checksum. -1 when the helper fails. */
static __always_inline int icmp_checksum(const __u8 *icmp, __u32 quote_len, __s64 seed,
                                         __u16 *checksum) {
  const __u32 n = bounded(DD_ICMP_LEN + quote_len, DD_ICMP_LEN + DD_QUOTE_MAX);
  if (n == 0 || seed < 0) return -1;
  __s64 sum = bpf_csum_diff(0, 0, (__be32 *)icmp, n, (__wsum)seed);
  if (sum < 0) return -1;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  *checksum = (__u16)~sum;
  return 0;
}

/* The packet becomes the reply: the tail after the quote goes, room for the new IP and ICMP
 * headers opens after the Ethernet header (at the MAC layer, no encapsulation to record), the
 * headers are written over it, and it leaves by the device it came in on. */
static __always_inline int send_reply(struct __sk_buff *skb, const __u8 *headers,
                                      __u32 headers_len, __u32 quote_len) {
  if (bpf_skb_change_tail(skb, DD_ETH_LEN + quote_len, 0) < 0 ||
      bpf_skb_adjust_room(skb, (__s32)(headers_len - DD_ETH_LEN), BPF_ADJ_ROOM_MAC, 0) < 0)
    return drop(DD_CNT_TUN_ENCAP_FAILED);
  if (bpf_skb_store_bytes(skb, 0, headers, headers_len, 0) < 0) return TC_ACT_SHOT;
  count(DD_CNT_TUN_ICMP_SENT);
  return bpf_redirect(skb->ifindex, 0);
}

static __always_inline int icmp4_too_big(struct __sk_buff *skb, const struct dd_flow *flow,
                                         __u32 mtu, __u32 quote_len, struct dd_icmp4_reply *r) {
  __builtin_memset(r, 0, sizeof(*r));
  if (load_reply_source(skb, r->eth, r->quote, quote_len) < 0) return drop(DD_CNT_TUN_ENCAP_FAILED);
  *(__u8 *)&r->ip = 0x45;
  r->ip.tos = DD_ICMP_TOS | (flow->tos & 0x1e);
  r->ip.tot_len = bpf_htons((__u16)(DD_IP4_LEN + DD_ICMP_LEN + quote_len));
  r->ip.id = (__be16)bpf_get_prandom_u32();
  r->ip.ttl = DD_OUTER_TTL;
  r->ip.protocol = DD_IPPROTO_ICMP;
  __builtin_memcpy(&r->ip.saddr, flow->daddr, 4); /* from the VIP the client sent to */
  __builtin_memcpy(&r->ip.daddr, flow->saddr, 4);
  r->ip.check = ipv4_header_checksum(&r->ip);
  r->icmp[0] = DD_ICMP_DEST_UNREACH;
  r->icmp[1] = DD_ICMP_FRAG_NEEDED;
  r->icmp[6] = (__u8)(mtu >> 8); /* next-hop MTU, 16 bits */
  r->icmp[7] = (__u8)mtu;
  __u16 checksum;
  if (icmp_checksum(r->icmp, quote_len, 0, &checksum) < 0) return drop(DD_CNT_TUN_ENCAP_FAILED);
  __builtin_memcpy(&r->icmp[2], &checksum, 2);
  return send_reply(skb, r->eth, DD_ETH_LEN + DD_IP4_LEN + DD_ICMP_LEN, quote_len);
}

static __always_inline int icmp6_too_big(struct __sk_buff *skb, const struct dd_flow *flow,
                                         __u32 mtu, __u32 quote_len, struct dd_icmp6_reply *r) {
  __builtin_memset(r, 0, sizeof(*r));
  if (load_reply_source(skb, r->eth, r->quote, quote_len) < 0) return drop(DD_CNT_TUN_ENCAP_FAILED);
  *(__u8 *)&r->ip = 0x60;
  r->ip.payload_len = bpf_htons((__u16)(DD_ICMP_LEN + quote_len));
  r->ip.nexthdr = DD_IPPROTO_ICMPV6;
  r->ip.hop_limit = DD_OUTER_TTL;
  __builtin_memcpy(&r->ip.saddr, flow->daddr, 16);
  __builtin_memcpy(&r->ip.daddr, flow->saddr, 16);
  r->icmp[0] = DD_ICMPV6_PKT_TOOBIG;
  const __be32 path_mtu = bpf_htonl(mtu);
  __builtin_memcpy(&r->icmp[4], &path_mtu, 4);
  /* The pseudo header: both addresses (together in the header), the ICMPv6 length and the next
   * header, as 32-bit words. */
  const __be32 length_and_next[2] = {bpf_htonl(DD_ICMP_LEN + quote_len),
                                     bpf_htonl(DD_IPPROTO_ICMPV6)};
  __s64 seed = bpf_csum_diff(0, 0, (__be32 *)&r->ip.saddr, 32, 0);
  if (seed >= 0) seed = bpf_csum_diff(0, 0, (__be32 *)length_and_next, 8, (__wsum)seed);
  __u16 checksum;
  if (icmp_checksum(r->icmp, quote_len, seed, &checksum) < 0) return drop(DD_CNT_TUN_ENCAP_FAILED);
  __builtin_memcpy(&r->icmp[2], &checksum, 2);
  return send_reply(skb, r->eth, DD_ETH_LEN + DD_IP6_LEN + DD_ICMP_LEN, quote_len);
}

/* Answers an oversize packet to a TUN service; `mtu` is what the inner packet may carry (the
 * egress MTU minus the outer header). Returns the verdict. */
static __always_inline int icmp_too_big(struct __sk_buff *skb, const struct dd_flow *flow,
                                        __u32 mtu) {
  __u32 zero = 0;
  struct dd_icmp_cpu *cpu = bpf_map_lookup_elem(&dd_icmp_cpu, &zero);
  if (!cpu || !flow->df || mtu == 0 || !icmp_destination_ok(flow) || !icmp_budget_take(cpu))
    return drop(DD_CNT_TUN_TOO_BIG);
  const __u32 quote_len =
      flow->l4_off - DD_ETH_LEN + (flow->protocol == IPPROTO_TCP ? DD_TCP_LEN : DD_UDP_LEN);
  if (flow->family == DD_AF_INET) return icmp4_too_big(skb, flow, mtu, quote_len, &cpu->reply.v4);
  return icmp6_too_big(skb, flow, mtu, quote_len, &cpu->reply.v6);
}

static __noinline int tun(struct __sk_buff *skb, const struct dd_flow *flow,
                               const struct dd_service *svc) {
  if (svc->modulus == 0) return drop(DD_CNT_TUN_NO_REAL);
  struct dd_slot_key slot_key = {.service_id = svc->id, .slot = flow_slot(flow, svc)};
  struct dd_real *found = bpf_map_lookup_elem(&dd_slots, &slot_key);
  if (!found) return drop(DD_CNT_TUN_NO_REAL);
  const struct dd_real *real = found;
  if (real->family != flow->family) return drop(DD_CNT_TUN_NO_ROUTE); /* the feeder's promise */

  const int v4 = flow->family == DD_AF_INET;
  const __u32 outer_len = v4 ? DD_IP4_LEN : DD_IP6_LEN;
  struct bpf_fib_lookup fib = {};
  fib.family = real->family;
  fib.l4_protocol = v4 ? IPPROTO_IPIP : IPPROTO_IPV6;
  fib.ifindex = skb->ifindex;
  if (v4) {
    fib.tos = flow->tos;
    __builtin_memcpy(&fib.ipv4_dst, real->addr, 4);
  } else {
    __builtin_memcpy(fib.ipv6_dst, real->addr, 16);
  }
  /* tot_len 0: the kernel checks the packet as it is against the device and reports the
   * device's MTU; the encapsulated size is checked below with bpf_check_mtu. */
  long rc = bpf_fib_lookup(skb, &fib, sizeof(fib), DD_FIB_FLAGS);
  /* The packet as it is exceeds the egress device's MTU (fib.mtu_result); not for GSO packets,
   * the kernel segments those. */
  if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED)
    return icmp_too_big(skb, flow, fib.mtu_result > outer_len ? fib.mtu_result - outer_len : 0);
  if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH)
    return drop(DD_CNT_TUN_NO_ROUTE);
  const __u32 egress = fib.ifindex;
  if (v4 ? fib.ipv4_src == 0
         : (fib.ipv6_src[0] | fib.ipv6_src[1] | fib.ipv6_src[2] | fib.ipv6_src[3]) == 0)
    return drop(DD_CNT_TUN_NO_ROUTE); /* no address to send from on the real's side */

  /* PMTU: a packet that does not fit once encapsulated is answered with ICMP, as IPVS does (GSO
   * packets pass: bpf_skb_adjust_room lowers gso_size by the outer header, the kernel segments
   * them to fit). SYNs still get a lower MSS: in TUN it only sizes the real's segments to the
   * client, which never cross the tunnel, so it rarely helps; it is kept as harmless (20 or 40
   * bytes less per segment at most) and it spares the first ICMP round trip when a real answers
   * through a path as small as the tunnel. */
  __u32 mtu = flow->l3_len + outer_len;
  long mtu_rc = bpf_check_mtu(skb, egress, &mtu, 0, 0);
  if (mtu_rc == BPF_MTU_CHK_RET_FRAG_NEEDED)
    return icmp_too_big(skb, flow, mtu > outer_len ? mtu - outer_len : 0);
  if (mtu_rc != BPF_MTU_CHK_RET_SUCCESS) return drop(DD_CNT_TUN_NO_ROUTE);
  if (flow->protocol == IPPROTO_TCP && clamp_mss(skb, flow, mtu, outer_len) < 0) {
    count(DD_CNT_MALFORMED);
    return TC_ACT_OK;
  }

  /* Link-layer padding past the IP packet must not end up inside the tunnel. */
  if (skb->len > DD_ETH_LEN + flow->l3_len &&
      bpf_skb_change_tail(skb, DD_ETH_LEN + flow->l3_len, 0) < 0)
    return drop(DD_CNT_TUN_ENCAP_FAILED);
  const __u64 encap = v4 ? BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 : BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;
  if (bpf_skb_adjust_room(skb, (__s32)outer_len, BPF_ADJ_ROOM_MAC, encap) < 0)
    return drop(DD_CNT_TUN_ENCAP_FAILED);

  if (v4) {
    struct iphdr outer = {};
    *(__u8 *)&outer = 0x45;
    outer.tos = flow->tos;
    outer.tot_len = bpf_htons((__u16)(flow->l3_len + DD_IP4_LEN));
    /* As ip_vs_tunnel_xmit: DF from the inner header; an ID only where fragments may happen. */
    outer.frag_off = flow->df ? bpf_htons(DD_IP_DF) : 0;
    outer.id = flow->df ? 0 : (__be16)bpf_get_prandom_u32();
    outer.ttl = DD_OUTER_TTL;
    outer.protocol = IPPROTO_IPIP;
    outer.saddr = fib.ipv4_src;
    __builtin_memcpy(&outer.daddr, real->addr, 4);
    outer.check = ipv4_header_checksum(&outer);
    if (bpf_skb_store_bytes(skb, DD_ETH_LEN, &outer, sizeof(outer), 0) < 0) return TC_ACT_SHOT;
  } else {
    struct ipv6hdr outer = {};
    __u8 *first = (__u8 *)&outer;
    first[0] = (__u8)(0x60 | (flow->tos >> 4));
    first[1] = (__u8)((flow->tos & 0x0f) << 4);
    outer.payload_len = bpf_htons((__u16)flow->l3_len);
    outer.nexthdr = IPPROTO_IPV6;
    outer.hop_limit = DD_OUTER_TTL;
    __builtin_memcpy(&outer.saddr, fib.ipv6_src, 16);
    __builtin_memcpy(&outer.daddr, real->addr, 16);
    if (bpf_skb_store_bytes(skb, DD_ETH_LEN, &outer, sizeof(outer), 0) < 0) return TC_ACT_SHOT;
  }

  account_service(svc->id, flow->l3_len);
  count(DD_CNT_TUN_ENCAPSULATED);
  if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
    if (bpf_skb_store_bytes(skb, 0, fib.dmac, 6, 0) < 0 ||
        bpf_skb_store_bytes(skb, 6, fib.smac, 6, 0) < 0)
      return TC_ACT_SHOT;
    return bpf_redirect(egress, 0);
  }
  /* No neighbour entry yet: the kernel resolves it (and queues the packet meanwhile). */
  struct bpf_redir_neigh next_hop = {};
  next_hop.nh_family = fib.family;
  if (fib.family == DD_AF_INET)
    next_hop.ipv4_nh = fib.ipv4_dst;
  else
    __builtin_memcpy(next_hop.ipv6_nh, fib.ipv6_dst, 16);
  return bpf_redirect_neigh(egress, &next_hop, sizeof(next_hop), 0);
}

/* ---- entry -------------------------------------------------------------------------------- */

SEC("tc")
int dd_ingress(struct __sk_buff *skb) {
  __be16 ethertype;
  if (bpf_skb_load_bytes(skb, 12, &ethertype, 2) < 0) return TC_ACT_OK;
  struct dd_flow flow = {};
  int parsed;
  if (ethertype == bpf_htons(ETH_P_IP))
    parsed = parse_ipv4(skb, &flow);
  else if (ethertype == bpf_htons(ETH_P_IPV6))
    parsed = parse_ipv6(skb, &flow);
  else
    return TC_ACT_OK;
  if (parsed == DD_PARSE_OK) parsed = parse_l4(skb, &flow);
  switch (parsed) {
    case DD_PARSE_NOT_OURS:
      return TC_ACT_OK;
    case DD_PARSE_MALFORMED:
      count(DD_CNT_MALFORMED);
      return TC_ACT_OK;
    case DD_PARSE_FRAGMENT:
      return drop(DD_CNT_TUN_FRAGMENT);
  }

  struct dd_service_key key = {.family = flow.family, .protocol = flow.protocol, .port = flow.dport};
  __builtin_memcpy(key.vip, flow.daddr, 16);
  struct dd_service *found = bpf_map_lookup_elem(&dd_services, &key);
  if (!found) return TC_ACT_OK;
  if (found->flags & DD_SVC_TUN) return tun(skb, &flow, found);
  if ((found->flags & DD_SVC_TOA) && flow.protocol == IPPROTO_TCP) return toa(skb, &flow);
  return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
