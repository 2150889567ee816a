/* The maps the real-server programs (director/bpf/progs/real_decap.bpf.c, real_toa.bpf.c) share
 * with directord-real: C, so both sides include the same layout. Addresses as on the wire. */
#ifndef HA_DIRECTOR_REAL_ABI_H
#define HA_DIRECTOR_REAL_ABI_H

#include <linux/types.h>

/* C names, as the kernel's and the BPF programs' own. */
/* NOLINTBEGIN(readability-identifier-naming) */

#define REAL_MAX_VIPS 1024
#define REAL_MAX_DIRECTORS 256

/* A VIP (inner destination) or a director (outer source). */
struct real_addr_key {
  __u8 family; /* AF_INET (2) or AF_INET6 (10) */
  __u8 pad[3];
  __u8 addr[16]; /* IPv4: the first 4 bytes, the rest zero */
};

/* real_decap_config[0]: REAL_DECAP_REQUIRE_DIRECTOR when --director was given. */
enum real_decap_config_flags {
  REAL_DECAP_REQUIRE_DIRECTOR = 1 << 0,
};

enum real_decap_counter {
  REAL_DECAP_DONE = 0,         /* outer header stripped, inner packet passed up */
  REAL_DECAP_REFUSED_VIP,      /* inner destination is not a configured VIP: dropped */
  REAL_DECAP_REFUSED_DIRECTOR, /* outer source not in the director allow-list: dropped */
  REAL_DECAP_MALFORMED,        /* truncated, or the inner packet is not IP of the outer's version */
  REAL_DECAP_FAILED,           /* bpf_skb_adjust_room refused: dropped */
  REAL_DECAP_COUNTER_MAX,
};

/* The client a TOA option named, kept on the accepted socket (BPF_MAP_TYPE_SK_STORAGE). */
struct real_toa_peer {
  __u8 family; /* AF_INET or AF_INET6 */
  __u8 pad;
  __be16 port;
  __u8 addr[16];
};

#define REAL_TOA_KIND 254
#define REAL_TOA_LEN_V4 8  /* kind, len, port, IPv4 (Alibaba's TOA) */
#define REAL_TOA_LEN_V6 20 /* kind, len, port, IPv6 (DPVS's) */

enum real_toa_counter {
  REAL_TOA_FOUND = 0,    /* a passive connection whose SYN carried the option */
  REAL_TOA_ABSENT,       /* a passive connection without it (peer is the packet's source) */
  REAL_TOA_NO_SAVED_SYN, /* SYN not saved: the listener predates the attach, or SYN cookies */
  REAL_TOA_REWRITTEN,    /* getpeername/accept answers rewritten */
  REAL_TOA_COUNTER_MAX,
};

/* NOLINTEND(readability-identifier-naming) */

#endif
