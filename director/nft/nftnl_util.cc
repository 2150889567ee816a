#include "director/nft/nftnl_util.h"

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>

#include <system_error>

namespace ha::director::nft::detail {

uint16_t nfproto(TableFamily family) {
  return family == TableFamily::kNetdev ? NFPROTO_NETDEV : NFPROTO_INET;
}

std::string tableText(const TableId &table) {
  return (table.family == TableFamily::kNetdev ? "netdev " : "inet ") + table.name;
}

uint32_t verdictCode(Verdict::Code code) {
  // NFT_RETURN/JUMP/GOTO are negative ints the kernel reads from a u32
  // attribute.
  switch (code) {
    case Verdict::Code::kAccept:
      return NF_ACCEPT;
    case Verdict::Code::kDrop:
      return NF_DROP;
    case Verdict::Code::kReturn:
      return static_cast<uint32_t>(NFT_RETURN);
    case Verdict::Code::kJump:
      return static_cast<uint32_t>(NFT_JUMP);
    case Verdict::Code::kGoto:
      return static_cast<uint32_t>(NFT_GOTO);
  }
  return NF_ACCEPT;
}

Status checkName(std::string_view what, const std::string &name) {
  if (name.empty() || name.size() > kMaxNameLen) {
    return Error{std::string(what) + " name \"" + name.substr(0, 32) + "\" must be 1.." +
                 std::to_string(kMaxNameLen) + " bytes"};
  }
  return okStatus();
}

std::string errnoText(int error) { return std::generic_category().message(error); }

std::optional<KernelError> parseKernelError(const nlmsghdr *nlh) {
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(nlmsgerr)) return std::nullopt;
  const auto *err = static_cast<const nlmsgerr *>(mnl_nlmsg_get_payload(nlh));
  KernelError k;
  k.seq = err->msg.nlmsg_seq;
  k.error = -err->error;
  if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) == 0) return k;
  // The TLVs follow the echoed request, or just its header when the ACK is
  // capped.
  size_t offset = sizeof(nlmsgerr);
  if ((nlh->nlmsg_flags & NLM_F_CAPPED) == 0 && err->msg.nlmsg_len >= sizeof(nlmsghdr)) {
    offset += err->msg.nlmsg_len - sizeof(nlmsghdr);
  }
  const auto *payload = static_cast<const char *>(mnl_nlmsg_get_payload(nlh));
  const auto *tail = static_cast<const char *>(mnl_nlmsg_get_payload_tail(nlh));
  if (payload + offset >= tail) return k;
  for (const auto *attr = reinterpret_cast<const nlattr *>(payload + offset);
       mnl_attr_ok(attr, static_cast<int>(tail - reinterpret_cast<const char *>(attr)));
       attr = mnl_attr_next(attr)) {
    switch (mnl_attr_get_type(attr)) {
      case NLMSGERR_ATTR_MSG:
        if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) k.message = mnl_attr_get_str(attr);
        break;
      case NLMSGERR_ATTR_OFFS:
        if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0) k.badAttrOffset = mnl_attr_get_u32(attr);
        break;
      default:
        break;
    }
  }
  return k;
}

}  // namespace ha::director::nft::detail
