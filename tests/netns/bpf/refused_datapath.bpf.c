/* A datapath the verifier must refuse (test_bpf_refused.sh): the real program's maps, and an
 * entry that reads the packet without a bounds check. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "director/bpf/progs/datapath_maps.h"

SEC("tc")
int dd_ingress(struct __sk_buff *skb) {
  unsigned char *data = (unsigned char *)(long)skb->data;
  return data[40] == 6 ? TC_ACT_SHOT : TC_ACT_OK; /* no check against data_end */
}

char LICENSE[] SEC("license") = "GPL";
