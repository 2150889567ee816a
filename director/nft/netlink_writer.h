#pragma once
// NetlinkNftWriter: the NftWriter on a NETLINK_NETFILTER socket (libnftnl
// builds the messages, libmnl moves them). The only code in directord that
// talks to nf_tables (docs/style.md §2).
//
//   Transaction ──► BatchBuilder: BEGIN | msg per op (elements packed ~64 KB
//   per msg) | END
//                   one contiguous buffer, one sendmsg()  ──►  kernel: all or
//                   nothing
//   ACK per msg ◄── error replies mapped back by sequence number to the op
//   (and, with
//                   extended ACKs, to the expression or element) that failed
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "director/nft/nft_writer.h"

struct mnl_socket;
struct nlmsghdr;
struct nftnl_set_elem;

namespace ha::director::nft {

class NetlinkNftWriter final : public NftWriter {
 public:
  // Opens the socket in the calling thread's network namespace; needs
  // CAP_NET_ADMIN to commit.
  static Result<std::unique_ptr<NetlinkNftWriter>> open();
  ~NetlinkNftWriter() override;
  NetlinkNftWriter(const NetlinkNftWriter &) = delete;
  NetlinkNftWriter &operator=(const NetlinkNftWriter &) = delete;

  // Tables are created with the flags asked for, or the most of them this kernel accepts.
  Status commit(const Transaction &tx) override;
  TableOwner ownerLimit() const override { return ownerLimit_; }
  // The portid every change of ours carries in nf_tables notifications (DriftMonitor skips them).
  uint32_t portId() const { return portId_; }
  Result<std::vector<ElementCounter>> readSetCounters(const TableId &table,
                                                      const std::string &set) override;
  Result<std::vector<Element>> readSetElements(const TableId &table, const std::string &set) override;
  // A missing table reads as no counters (a rule dump filtered by table does
  // not fail).
  Result<std::vector<RuleCounter>> readChainCounters(const TableId &table) override;

 private:
  struct SocketClose {
    void operator()(mnl_socket *s) const;
  };
  using Socket = std::unique_ptr<mnl_socket, SocketClose>;

  struct Attempt {
    Attempt(Status s) : status(std::move(s)) {}  // NOLINT(google-explicit-constructor)
    Status status;
    std::optional<size_t> failedOp;  // the op the kernel refused first
    int error = 0;                   // its errno
  };

  explicit NetlinkNftWriter(Socket socket);
  Attempt commitOnce(const Transaction &tx);
  // Grows the kernel socket buffers so a batch fits one sendmsg() and all its
  // ACKs fit the receive queue (the kernel queues them before sendmsg() returns
  // and drops what overflows).
  Status fitSocketBuffers(size_t batchBytes, size_t replies);
  // Sends the NLM_F_DUMP request `build` writes into a buffer and hands every
  // reply to `onReply`. A dump that a concurrent change interrupted
  // (NLM_F_DUMP_INTR) is restarted after `restart`.
  Status dump(const std::function<nlmsghdr *(char *buf, uint32_t seq)> &build,
              const std::function<Status(const nlmsghdr *)> &onReply,
              const std::function<void()> &restart);
  // An NLM_F_DUMP of a set's elements; `onElement` sees each nftnl element of every reply.
  Status dumpElements(const TableId &table, const std::string &set,
                      const std::function<void(nftnl_set_elem *)> &onElement, const std::function<void()> &restart);
  int fd() const;

  Socket socket_;
  uint32_t portId_ = 0;
  uint32_t seq_ = 0;
  size_t sndbuf_ = 0;
  size_t rcvbuf_ = 0;
  TableOwner ownerLimit_ = TableOwner::kPersistent;
};

}  // namespace ha::director::nft
