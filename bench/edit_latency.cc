// bench/edit_latency.sh's client: times runtime edits (ApplyEdits, one EDIT_REAL each) over one
// open admin channel, so the figure is directord's (decode, caller check, plan, one nf_tables
// batch acknowledged by the kernel, reply) and not a process start. directord replies after the
// kernel acknowledged the batch, so the reply time bounds "command -> kernel holds the change".
//   edit_latency SOCKET N VIP PORT REAL1 [REAL2 ...]
// Drains and restores (weight 0 / 1) the reals in turn on TCP VIP:PORT, N edits; prints every
// latency in microseconds, one per line, for the script to summarise. Exit 1 on any refusal.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "admin.grpc.pb.h"

namespace pb = directord::admin;

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: edit_latency SOCKET N VIP PORT REAL...\n");
    return 2;
  }
  const std::string socket = argv[1];
  const long count = std::strtol(argv[2], nullptr, 10);
  const std::string vip = argv[3];
  const auto port = static_cast<uint32_t>(std::strtoul(argv[4], nullptr, 10));
  std::vector<std::string> reals(argv + 5, argv + argc);
  auto stub =
      pb::Admin::NewStub(grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials()));
  for (long i = 0; i < count; ++i) {
    pb::EditBatch batch;
    pb::Edit* e = batch.add_edits();
    e->set_op(pb::Edit::EDIT_REAL);
    e->mutable_service()->set_protocol("TCP");
    e->mutable_service()->set_vip(vip);
    e->mutable_service()->set_port(port);
    e->set_real_address(reals[static_cast<size_t>(i / 2) % reals.size()]);
    e->set_real_port(port);
    e->set_weight(i % 2 == 0 ? 0 : 1);  // drain, then restore
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    pb::EditReply reply;
    auto t0 = std::chrono::steady_clock::now();
    grpc::Status status = stub->ApplyEdits(&context, batch, &reply);
    auto t1 = std::chrono::steady_clock::now();
    if (!status.ok()) {
      std::fprintf(stderr, "edit %ld refused: %s\n", i, status.error_message().c_str());
      return 1;
    }
    std::printf("%lld\n",
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
  }
  return 0;
}
