// Counter reads: NLM_F_DUMP requests for set elements and rules, parsed with
// libnftnl.
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <utility>

#include "director/nft/netlink_writer.h"
#include "director/nft/nftnl_util.h"

namespace ha::director::nft {
namespace {

constexpr int kDumpAttempts = 3;
constexpr size_t kRequestBytes = 8192;  // a dump request carries a table and a set name at most
// netlink sizes dump messages to the reader's buffer up to 32 KB; twice that
// never truncates.
constexpr size_t kDumpBufferBytes = 64 * 1024;
constexpr int kDumpWaitMs = 5000;

struct CounterValue {
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

// nftnl_*_foreach callback: the first "counter" expression wins.
int firstCounter(nftnl_expr *e, void *data) {
  auto *found = static_cast<std::optional<CounterValue> *>(data);
  const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
  if (!found->has_value() && name != nullptr && std::strcmp(name, "counter") == 0) {
    *found = CounterValue{nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS),
                          nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES)};
  }
  return MNL_CB_OK;
}

int collectElement(nftnl_set_elem *e, void *data) {
  auto *out = static_cast<std::vector<ElementCounter> *>(data);
  uint32_t len = 0;
  const auto *key = static_cast<const uint8_t *>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len));
  if (key == nullptr) return MNL_CB_OK;
  std::optional<CounterValue> counter;
  nftnl_set_elem_expr_foreach(e, firstCounter, &counter);
  ElementCounter c;
  c.key.assign(key, key + len);
  if (counter) {
    c.packets = counter->packets;
    c.bytes = counter->bytes;
  }
  out->push_back(std::move(c));
  return MNL_CB_OK;
}

}  // namespace

Status NetlinkNftWriter::dump(const std::function<nlmsghdr *(char *buf, uint32_t seq)> &build,
                              const std::function<Status(const nlmsghdr *)> &onReply,
                              const std::function<void()> &restart) {
  std::vector<char> request(kRequestBytes);
  std::vector<char> buf(kDumpBufferBytes);
  for (int attempt = 0; attempt < kDumpAttempts; ++attempt) {
    if (attempt > 0) restart();
    const uint32_t seq = seq_++;
    const nlmsghdr *req = build(request.data(), seq);
    if (mnl_socket_sendto(socket_.get(), req, req->nlmsg_len) < 0) {
      return Error{"send dump request: " + detail::errnoText(errno)};
    }
    bool interrupted = false;
    bool done = false;
    while (!done) {
      pollfd p{fd(), POLLIN, 0};
      const int ready = poll(&p, 1, kDumpWaitMs);
      if (ready == 0) return Error{"dump: no reply from the kernel"};
      const ssize_t n = ready < 0 ? -1 : mnl_socket_recvfrom(socket_.get(), buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return Error{"receive dump: " + detail::errnoText(errno)};
      }
      int len = static_cast<int>(n);
      for (auto *nlh = reinterpret_cast<const nlmsghdr *>(buf.data()); mnl_nlmsg_ok(nlh, len);
           nlh = mnl_nlmsg_next(nlh, &len)) {
        // Leftovers of an earlier request (a batch given up on, an abandoned
        // dump) are skipped.
        if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != portId_) continue;
        if ((nlh->nlmsg_flags & NLM_F_DUMP_INTR) != 0) interrupted = true;
        if (nlh->nlmsg_type == NLMSG_DONE) {
          done = true;
          break;
        }
        if (nlh->nlmsg_type == NLMSG_ERROR) {
          auto k = detail::parseKernelError(nlh);
          if (!k) return Error{"truncated error reply"};
          if (k->error != 0) return Error{detail::errnoText(k->error)};
          done = true;  // an ACK ends the reply too
          break;
        }
        if (interrupted) continue;
        if (auto st = onReply(nlh); !st) return st;
      }
    }
    if (!interrupted) return okStatus();
  }
  return Error{"dump interrupted by concurrent ruleset changes " + std::to_string(kDumpAttempts) +
               " times"};
}

Status NetlinkNftWriter::dumpElements(const TableId &table, const std::string &set,
                                      const std::function<void(nftnl_set_elem *)> &onElement,
                                      const std::function<void()> &restart) {
  if (auto st = detail::checkName("set", set); !st) return st;
  if (auto st = detail::checkName("table", table.name); !st) return st;
  return dump(
      [&](char *buf, uint32_t seq) {
        nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM,
                                              detail::nfproto(table.family), NLM_F_DUMP, seq);
        detail::SetPtr s(nftnl_set_alloc());
        nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table.name.c_str());
        nftnl_set_set_str(s.get(), NFTNL_SET_NAME, set.c_str());
        nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
        return nlh;
      },
      [&](const nlmsghdr *nlh) -> Status {
        // One short-lived nftnl_set per reply message keeps a 100k-element
        // dump's memory flat.
        detail::SetPtr s(nftnl_set_alloc());
        if (nftnl_set_elems_nlmsg_parse(nlh, s.get()) < 0) return Error{"malformed element dump"};
        nftnl_set_elem_foreach(
            s.get(),
            [](nftnl_set_elem *e, void *data) {
              (*static_cast<const std::function<void(nftnl_set_elem *)> *>(data))(e);
              return MNL_CB_OK;
            },
            const_cast<std::function<void(nftnl_set_elem *)> *>(&onElement));
        return okStatus();
      },
      restart);
}

Result<std::vector<ElementCounter>> NetlinkNftWriter::readSetCounters(const TableId &table,
                                                                      const std::string &set) {
  std::vector<ElementCounter> out;
  Status st = dumpElements(
      table, set, [&](nftnl_set_elem *e) { collectElement(e, &out); }, [&] { out.clear(); });
  if (!st) return Error{"read counters of set " + set + " in " + detail::tableText(table) + ": " + st.error()};
  return out;
}

Result<std::vector<Element>> NetlinkNftWriter::readSetElements(const TableId &table, const std::string &set) {
  std::vector<Element> out;
  Status st = dumpElements(
      table, set,
      [&](nftnl_set_elem *e) {
        uint32_t len = 0;
        const auto *key = static_cast<const uint8_t *>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len));
        if (key == nullptr) return;
        Element element;
        element.key.assign(key, key + len);
        uint32_t dataLen = 0;
        if (const auto *data = static_cast<const uint8_t *>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &dataLen))) {
          element.data = Bytes(data, data + dataLen);
        }
        out.push_back(std::move(element));
      },
      [&] { out.clear(); });
  if (!st) return Error{"read elements of set " + set + " in " + detail::tableText(table) + ": " + st.error()};
  return out;
}

Result<std::vector<RuleCounter>> NetlinkNftWriter::readChainCounters(const TableId &table) {
  const std::string what = "read rule counters of " + detail::tableText(table);
  if (auto st = detail::checkName("table", table.name); !st) return Error{what + ": " + st.error()};
  std::vector<RuleCounter> out;
  std::set<std::string> counted;
  Status st = dump(
      [&](char *buf, uint32_t seq) {
        nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, detail::nfproto(table.family),
                                              NLM_F_DUMP, seq);
        detail::RulePtr r(nftnl_rule_alloc());
        nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table.name.c_str());
        nftnl_rule_nlmsg_build_payload(nlh, r.get());
        return nlh;
      },
      [&](const nlmsghdr *nlh) -> Status {
        detail::RulePtr r(nftnl_rule_alloc());
        if (nftnl_rule_nlmsg_parse(nlh, r.get()) < 0) return Error{"malformed rule dump"};
        const char *chain = nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN);
        if (chain == nullptr || counted.count(chain) != 0) return okStatus();
        std::optional<CounterValue> counter;
        nftnl_expr_foreach(r.get(), firstCounter, &counter);
        if (counter) {
          counted.insert(chain);
          out.push_back(RuleCounter{chain, counter->packets, counter->bytes});
        }
        return okStatus();
      },
      [&] {
        out.clear();
        counted.clear();
      });
  if (!st) return Error{what + ": " + st.error()};
  return out;
}

}  // namespace ha::director::nft
