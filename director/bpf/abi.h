/* The maps the director's eBPF datapath shares with directord: C, so the BPF programs
 * (progs/director_datapath.bpf.c) and the C++ feeder (director/bpf) include the same layout.
 * Byte order: addresses and ports as on the wire; every other field host order. */
#ifndef HA_DIRECTOR_BPF_ABI_H
#define HA_DIRECTOR_BPF_ABI_H

#include <linux/types.h>

/* C names, as the kernel's and the BPF programs' own. */
/* NOLINTBEGIN(readability-identifier-naming) */

/* Map capacities, fixed at load. dd_slots holds the TUN services' slot tables (65537 for one mh
 * service at the default table size); the feeder refuses a plan that does not fit. */
#define DD_MAX_SERVICES 4096
#define DD_MAX_SLOTS (1 << 20)

enum dd_service_flags {
  DD_SVC_TUN = 1 << 0,       /* encapsulate new and established packets to the slot's real */
  DD_SVC_TOA = 1 << 1,       /* FULLNAT client_address toa: client SYNs get a TOA option */
  DD_SVC_HASH_PORT = 1 << 2, /* sh-port / mh-port: the source port is hashed too */
};

/* A VIP:port as the packet names it (a virtual_server_group has one key per member). */
struct dd_service_key {
  __u8 family;   /* AF_INET (2) or AF_INET6 (10) */
  __u8 protocol; /* IPPROTO_TCP (6) or IPPROTO_UDP (17) */
  __be16 port;
  __u8 vip[16]; /* IPv4: the first 4 bytes, the rest zero */
};

/* Every VIP address of the services above, with the union of their flags: the datapath counts
 * malformed packets and drops fragments only for these (ports are unknown in a fragment). */
struct dd_vip_key {
  __u8 family;
  __u8 pad[3];
  __u8 vip[16];
};

struct dd_service {
  __u32 id;      /* the plan's service id: key of dd_slots and dd_service_stats */
  __u32 flags;   /* dd_service_flags */
  __u32 modulus; /* TUN: slots in the table; 0 = no real in rotation (dropped, counted) */
  __u32 seed;    /* lb_hash_seed: slot = reciprocal_scale(jhash(saddr [. sport], seed), modulus),
                    the kernel's jhash over nft's registers, as DR and the flow oracle compute it */
};

struct dd_slot_key {
  __u32 service_id;
  __u32 slot;
};

struct dd_real {
  __u8 family; /* of the outer header: AF_INET (IPIP) or AF_INET6 (IPv6-in-IPv6) */
  __u8 pad[3];
  __u8 addr[16];
};

struct dd_service_stats {
  __u64 packets;
  __u64 bytes; /* of the packets as they arrived, before encapsulation */
};

/* dd_counters (per-CPU array): what the datapath did with packets it looked at. */
enum dd_counter {
  DD_CNT_TUN_ENCAPSULATED = 0, /* sent to a real inside an outer header */
  DD_CNT_TUN_NO_REAL,          /* dropped: the service has no real in rotation */
  DD_CNT_TUN_FRAGMENT,         /* dropped: an IP fragment to a TUN service (no ports to hash) */
  DD_CNT_TUN_NO_ROUTE,         /* dropped: no route or neighbour toward the real */
  DD_CNT_TUN_TOO_BIG,          /* dropped unanswered: over the path MTU once encapsulated, and
                                  IPv4 without DF or over the ICMP rate limit */
  DD_CNT_TUN_MSS_CLAMPED,      /* SYNs whose MSS was lowered so the encapsulated segments fit */
  DD_CNT_MALFORMED,            /* passed untouched: truncated or inconsistent headers */
  DD_CNT_TOA_ADDED,            /* client SYNs that left with the client's address */
  DD_CNT_TOA_NO_ROOM,          /* SYNs forwarded unchanged: no room left in the options */
  DD_CNT_TOA_SKIPPED,          /* SYNs forwarded without TOA: they carry payload (TFO) */
  DD_CNT_TOA_FORGED,           /* TOA options that arrived from outside, overwritten or voided */
  DD_CNT_TUN_ENCAP_FAILED,     /* dropped: the kernel refused to trim or grow the packet */
  DD_CNT_TUN_ICMP_SENT,        /* too big for the tunnel: answered with ICMP frag-needed / packet
                                  too big instead (DD_CNT_TUN_TOO_BIG counts those dropped unanswered) */
  DD_COUNTER_MAX
};

/* TCP option "TOA" (Alibaba's LVS, DPVS): kind 254; IPv4 len 8 = kind, len, client port, client
 * IPv4; IPv6 len 20 = kind, len, client port, client IPv6 (DPVS's TCPOLEN_IP6_TOA). */
#define DD_TOA_KIND 254
#define DD_TOA_LEN_V4 8
#define DD_TOA_LEN_V6 20

/* NOLINTEND(readability-identifier-naming) */

#endif
