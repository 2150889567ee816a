#pragma once
// Internals of NetlinkNftWriter shared by its translation units: owning
// pointers for libnftnl's C objects, the IR -> kernel constant mappings, and
// the limits the message builders rely on. Not part of the NftWriter port;
// nothing outside director/nft/netlink_writer*.cc and nftnl_*.cc includes it.
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "director/nft/ir.h"

namespace ha::director::nft::detail {

template <auto kFree>
struct CFree {
  template <typename T>
  void operator()(T *p) const {
    kFree(p);
  }
};
using TablePtr = std::unique_ptr<nftnl_table, CFree<nftnl_table_free>>;
using ChainPtr = std::unique_ptr<nftnl_chain, CFree<nftnl_chain_free>>;
using SetPtr = std::unique_ptr<nftnl_set, CFree<nftnl_set_free>>;
using SetElemPtr = std::unique_ptr<nftnl_set_elem, CFree<nftnl_set_elem_free>>;
using RulePtr = std::unique_ptr<nftnl_rule, CFree<nftnl_rule_free>>;
using ExprPtr = std::unique_ptr<nftnl_expr, CFree<nftnl_expr_free>>;
using ObjPtr = std::unique_ptr<nftnl_obj, CFree<nftnl_obj_free>>;
using UdataPtr = std::unique_ptr<nftnl_udata_buf, CFree<nftnl_udata_buf_free>>;

// libnftnl copies keys, data and names into fixed arrays without checking their
// length, so every length is checked against these before it reaches libnftnl.
inline constexpr size_t kMaxDataLen = NFT_DATA_VALUE_MAXLEN;  // 64
inline constexpr size_t kMaxNameLen = NFT_NAME_MAXLEN - 1;    // without the NUL

uint16_t nfproto(TableFamily family);
std::string tableText(const TableId &table);  // "inet directord", as nft prints it
uint32_t verdictCode(Verdict::Code code);  // NF_ACCEPT, NFT_GOTO, ... as the u32 the kernel reads
Status checkName(std::string_view what, const std::string &name);

// An NLMSG_ERROR reply: error 0 is an ACK. With NETLINK_EXT_ACK the kernel may
// add a message and the offset, inside the request, of the attribute it
// rejected.
struct KernelError {
  uint32_t seq = 0;
  int error = 0;  // positive errno
  std::string message;
  std::optional<uint32_t> badAttrOffset;
};
std::optional<KernelError> parseKernelError(const nlmsghdr *nlh);  // nullopt: truncated
std::string errnoText(int error);

// One libnftnl expression per IR expression; errors name the offending field.
Result<ExprPtr> buildExpr(const Expr &expr);
// The kernel's name of the expression ("payload", "lookup", ...), for error
// messages.
std::string_view exprName(const Expr &expr);

}  // namespace ha::director::nft::detail
