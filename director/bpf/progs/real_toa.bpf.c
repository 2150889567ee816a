/* TOA on the real server (directord-real toa attach): the client address a FULLNAT director put
 * in the SYN as a TCP option (kind 254; len 8: port + IPv4, Alibaba's TOA; len 20: port + IPv6,
 * DPVS's) becomes what accept() and getpeername() return, for unmodified servers.
 *   sockops LISTEN_CB              TCP_SAVE_SYN on every listener of the cgroup
 *   sockops PASSIVE_ESTABLISHED_CB the saved SYN's options walked; the peer kept in sk storage
 *   cgroup/getpeername4|6          the kept peer rewrites the answer
 * The SYN is only readable if saved, so listeners opened before the attach see no TOA; neither
 * do connections completed by a SYN cookie (no saved SYN): they keep the packet's source. */
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "director/real/real_abi.h"

#define AF_INET 2
#define AF_INET6 10
#define SOL_TCP 6
#define TCP_SAVE_SYN 27
#ifndef TCP_BPF_SYN
#define TCP_BPF_SYN 1005
#endif

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCP_MAX_HEADER 60

struct {
  __uint(type, BPF_MAP_TYPE_SK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct real_toa_peer);
} real_toa_peers SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, REAL_TOA_COUNTER_MAX);
  __type(key, __u32);
  __type(value, __u64);
} real_toa_counters SEC(".maps");

/* The saved SYN's TCP header, with room past its end so every read at a masked offset is in
 * bounds for the verifier (offset <= 63, read up to offset + 19). */
struct syn_buffer {
  __u8 bytes[TCP_MAX_HEADER + 4 + REAL_TOA_LEN_V6];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct syn_buffer);
} real_toa_scratch SEC(".maps");

static __always_inline void count(__u32 counter) {
  __u64 *value = bpf_map_lookup_elem(&real_toa_counters, &counter);
  if (value) *value += 1;
}

/* Walks the options of a TCP header (RFC 9293 §3.1: EOL ends, NOP is one byte, the rest carry
 * a length >= 2). Returns 1 and fills peer on a well-formed kind 254 of length 8 or 20. */
static __always_inline int find_toa(const __u8 *tcp, __u32 header_len, struct real_toa_peer *peer) {
  __u32 off = 20;
#pragma clang loop unroll(disable)
  for (int i = 0; i < 40; i++) { /* at most 40 option bytes, so at most 40 options */
    off &= 63;
    if (off >= header_len) return 0;
    __u8 kind = tcp[off];
    if (kind == TCPOPT_EOL) return 0;
    if (kind == TCPOPT_NOP) {
      off++;
      continue;
    }
    if (off + 1 >= header_len) return 0;
    __u8 len = tcp[off + 1];
    if (len < 2 || off + len > header_len) return 0;
    if (kind == REAL_TOA_KIND && (len == REAL_TOA_LEN_V4 || len == REAL_TOA_LEN_V6)) {
      __builtin_memset(peer, 0, sizeof(*peer));
      peer->family = len == REAL_TOA_LEN_V4 ? AF_INET : AF_INET6;
      __builtin_memcpy(&peer->port, &tcp[off + 2], 2);
      if (len == REAL_TOA_LEN_V4)
        __builtin_memcpy(peer->addr, &tcp[off + 4], 4);
      else
        __builtin_memcpy(peer->addr, &tcp[off + 4], 16);
      return 1;
    }
    off += len;
  }
  return 0;
}

static __always_inline void keep_peer(struct bpf_sock_ops *skops) {
  __u32 zero = 0;
  struct syn_buffer *syn = bpf_map_lookup_elem(&real_toa_scratch, &zero);
  if (!syn) return;
  int len = bpf_getsockopt(skops, SOL_TCP, TCP_BPF_SYN, syn->bytes, TCP_MAX_HEADER);
  if (len < 20) {
    count(REAL_TOA_NO_SAVED_SYN);
    return;
  }
  __u32 header_len = (syn->bytes[12] >> 4) * 4;
  if (header_len > (__u32)len) header_len = len;
  struct real_toa_peer peer;
  if (!find_toa(syn->bytes, header_len, &peer)) {
    count(REAL_TOA_ABSENT);
    return;
  }
  struct bpf_sock *sk = skops->sk;
  if (!sk) return;
  struct real_toa_peer *kept =
      bpf_sk_storage_get(&real_toa_peers, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
  if (!kept) return;
  *kept = peer;
  count(REAL_TOA_FOUND);
}

SEC("sockops")
int real_toa_sockops(struct bpf_sock_ops *skops) {
  int one = 1;
  switch (skops->op) {
    case BPF_SOCK_OPS_TCP_LISTEN_CB:
      bpf_setsockopt(skops, SOL_TCP, TCP_SAVE_SYN, &one, sizeof(one));
      break;
    case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
      keep_peer(skops);
      break;
  }
  return 1;
}

SEC("cgroup/getpeername4")
int real_toa_getpeername4(struct bpf_sock_addr *ctx) {
  struct bpf_sock *sk = ctx->sk;
  if (!sk) return 1;
  struct real_toa_peer *peer = bpf_sk_storage_get(&real_toa_peers, sk, 0, 0);
  if (!peer || peer->family != AF_INET) return 1; /* an IPv6 client has no AF_INET form */
  __u32 addr;
  __builtin_memcpy(&addr, peer->addr, 4);
  ctx->user_ip4 = addr;
  ctx->user_port = peer->port;
  count(REAL_TOA_REWRITTEN);
  return 1;
}

SEC("cgroup/getpeername6")
int real_toa_getpeername6(struct bpf_sock_addr *ctx) {
  struct bpf_sock *sk = ctx->sk;
  if (!sk) return 1;
  struct real_toa_peer *peer = bpf_sk_storage_get(&real_toa_peers, sk, 0, 0);
  if (!peer) return 1;
  __u32 words[4];
  if (peer->family == AF_INET) { /* an IPv4 client on an AF_INET6 socket: ::ffff:a.b.c.d */
    words[0] = 0;
    words[1] = 0;
    words[2] = bpf_htonl(0xffff);
    __builtin_memcpy(&words[3], peer->addr, 4);
  } else {
    __builtin_memcpy(words, peer->addr, 16);
  }
  ctx->user_ip6[0] = words[0];
  ctx->user_ip6[1] = words[1];
  ctx->user_ip6[2] = words[2];
  ctx->user_ip6[3] = words[3];
  ctx->user_port = peer->port;
  count(REAL_TOA_REWRITTEN);
  return 1;
}

char LICENSE[] SEC("license") = "GPL";
