#pragma once
// Test-only reader of nf_tables objects through plain libnftnl dumps,
// independent of the writer under test: what the kernel holds, not what the
// writer believes it sent.
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "director/nft/ir.h"

namespace ha::director::nft::test {

struct SetInfo {
  uint32_t flags = 0;
  uint32_t keyLen = 0;
  uint32_t dataType = 0;
  uint32_t dataLen = 0;
};
struct RuleInfo {
  std::string chain;
  std::vector<std::string> exprs;
  std::string comment;
};
struct ElemInfo {
  Bytes key;
  Bytes data;
  std::optional<uint32_t> verdict;
  std::string chain;
};

class NftInspector {
 public:
  NftInspector() : sock_(mnl_socket_open(NETLINK_NETFILTER), mnl_socket_close) {
    if (sock_ && mnl_socket_bind(sock_.get(), 0, MNL_SOCKET_AUTOPID) < 0) sock_.reset();
  }

  std::vector<std::string> chains(const TableId &t) {
    std::vector<std::string> out;
    dump(NFT_MSG_GETCHAIN, t, nullptr, [&](const nlmsghdr *nlh) {
      std::unique_ptr<nftnl_chain, void (*)(const nftnl_chain *)> c(nftnl_chain_alloc(),
                                                                    nftnl_chain_free);
      if (nftnl_chain_nlmsg_parse(nlh, c.get()) < 0) return;
      if (t.name == nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TABLE))
        out.emplace_back(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_NAME));
    });
    return out;
  }

  std::vector<std::string> sets(const TableId &t) {
    std::vector<std::string> out;
    forEachSet(t, [&](nftnl_set *s) { out.emplace_back(nftnl_set_get_str(s, NFTNL_SET_NAME)); });
    return out;
  }

  SetInfo set(const TableId &t, const std::string &name) {
    SetInfo info;
    forEachSet(t, [&](nftnl_set *s) {
      if (name != nftnl_set_get_str(s, NFTNL_SET_NAME)) return;
      info.flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
      info.keyLen = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN);
      if (nftnl_set_is_set(s, NFTNL_SET_DATA_TYPE))
        info.dataType = nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE);
      if (nftnl_set_is_set(s, NFTNL_SET_DATA_LEN))
        info.dataLen = nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN);
    });
    return info;
  }

  std::vector<RuleInfo> rules(const TableId &t) {
    std::vector<RuleInfo> out;
    auto table = [&](nlmsghdr *nlh) {
      std::unique_ptr<nftnl_rule, void (*)(const nftnl_rule *)> r(nftnl_rule_alloc(),
                                                                  nftnl_rule_free);
      nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, t.name.c_str());
      nftnl_rule_nlmsg_build_payload(nlh, r.get());
    };
    dump(NFT_MSG_GETRULE, t, table, [&](const nlmsghdr *nlh) {
      std::unique_ptr<nftnl_rule, void (*)(const nftnl_rule *)> r(nftnl_rule_alloc(),
                                                                  nftnl_rule_free);
      if (nftnl_rule_nlmsg_parse(nlh, r.get()) < 0) return;
      RuleInfo info;
      info.chain = nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN);
      nftnl_expr_foreach(
          r.get(),
          [](nftnl_expr *e, void *data) {
            static_cast<std::vector<std::string> *>(data)->emplace_back(
                nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
            return 0;
          },
          &info.exprs);
      uint32_t len = 0;
      // nft's rule user data: TLVs of type, length, value; the comment is a
      // NUL-terminated string.
      const auto *ud =
          static_cast<const uint8_t *>(nftnl_rule_get_data(r.get(), NFTNL_RULE_USERDATA, &len));
      for (uint32_t off = 0; ud != nullptr && off + 2 <= len; off += 2u + ud[off + 1]) {
        if (ud[off] == 0 /* NFTNL_UDATA_RULE_COMMENT */ && ud[off + 1] > 0 &&
            off + 2 + ud[off + 1] <= len) {
          info.comment.assign(reinterpret_cast<const char *>(ud + off + 2), ud[off + 1] - 1u);
        }
      }
      out.push_back(std::move(info));
    });
    return out;
  }

  std::vector<RuleInfo> rulesOf(const TableId &t, const std::string &chain) {
    std::vector<RuleInfo> out;
    for (auto &r : rules(t)) {
      if (r.chain == chain) out.push_back(std::move(r));
    }
    return out;
  }

  std::vector<ElemInfo> elements(const TableId &t, const std::string &set) {
    std::vector<ElemInfo> out;
    auto request = [&](nlmsghdr *nlh) {
      std::unique_ptr<nftnl_set, void (*)(const nftnl_set *)> s(nftnl_set_alloc(), nftnl_set_free);
      nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, t.name.c_str());
      nftnl_set_set_str(s.get(), NFTNL_SET_NAME, set.c_str());
      nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
    };
    dump(NFT_MSG_GETSETELEM, t, request, [&](const nlmsghdr *nlh) {
      std::unique_ptr<nftnl_set, void (*)(const nftnl_set *)> s(nftnl_set_alloc(), nftnl_set_free);
      if (nftnl_set_elems_nlmsg_parse(nlh, s.get()) < 0) return;
      nftnl_set_elem_foreach(
          s.get(),
          [](nftnl_set_elem *e, void *data) {
            ElemInfo info;
            uint32_t len = 0;
            const auto *key =
                static_cast<const uint8_t *>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len));
            if (key != nullptr) info.key.assign(key, key + len);
            if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_DATA)) {
              const auto *d =
                  static_cast<const uint8_t *>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len));
              info.data.assign(d, d + len);
            }
            if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT))
              info.verdict = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT);
            if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN))
              info.chain = nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN);
            static_cast<std::vector<ElemInfo> *>(data)->push_back(std::move(info));
            return 0;
          },
          &out);
    });
    return out;
  }

 private:
  using Reply = std::function<void(const nlmsghdr *)>;

  void forEachSet(const TableId &t, const std::function<void(nftnl_set *)> &fn) {
    dump(NFT_MSG_GETSET, t, nullptr, [&](const nlmsghdr *nlh) {
      std::unique_ptr<nftnl_set, void (*)(const nftnl_set *)> s(nftnl_set_alloc(), nftnl_set_free);
      if (nftnl_set_nlmsg_parse(nlh, s.get()) < 0) return;
      if (t.name == nftnl_set_get_str(s.get(), NFTNL_SET_TABLE)) fn(s.get());
    });
  }

  void dump(uint16_t type, const TableId &t, const std::function<void(nlmsghdr *)> &payload,
            const Reply &onReply) {
    ASSERT_TRUE(sock_) << "inspector socket: " << std::strerror(errno);
    std::vector<char> buf(1 << 16);
    const uint32_t seq = ++seq_;
    const uint16_t family = t.family == TableFamily::kNetdev ? NFPROTO_NETDEV : NFPROTO_INET;
    nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf.data(), type, family, NLM_F_DUMP | NLM_F_ACK, seq);
    if (payload) payload(nlh);
    ASSERT_GE(mnl_socket_sendto(sock_.get(), nlh, nlh->nlmsg_len), 0) << std::strerror(errno);
    const uint32_t portId = mnl_socket_get_portid(sock_.get());
    int ret = 0;
    do {
      const ssize_t n = mnl_socket_recvfrom(sock_.get(), buf.data(), buf.size());
      ASSERT_GE(n, 0) << std::strerror(errno);
      ret = mnl_cb_run(
          buf.data(), static_cast<size_t>(n), seq, portId,
          [](const nlmsghdr *m, void *data) {
            (*static_cast<const Reply *>(data))(m);
            return MNL_CB_OK;
          },
          const_cast<Reply *>(&onReply));
    } while (ret > 0);
    ASSERT_GE(ret, 0) << "dump type " << type << ": " << std::strerror(errno);
  }

  std::unique_ptr<mnl_socket, int (*)(mnl_socket *)> sock_;
  uint32_t seq_ = 1;
};

}  // namespace ha::director::nft::test
