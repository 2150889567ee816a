#include "director/ctl/admin_client.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <utility>

namespace ha::director {
namespace {

namespace pb = directord::admin;

constexpr auto kRpcTimeout = std::chrono::seconds(5);
constexpr int kMaxReplyBytes = 64 << 20;  // a ServiceList of thousands of services, 100k flows

void withDeadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() + kRpcTimeout);
}

}  // namespace

AdminClient::AdminClient(std::string socketPath) : path_(std::move(socketPath)) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxReplyBytes);
  stub_ = pb::Admin::NewStub(
      grpc::CreateCustomChannel("unix:" + path_, grpc::InsecureChannelCredentials(), args));
}

grpc::Status AdminClient::list(pb::ServiceList* reply, bool rates) {
  grpc::ClientContext context;
  withDeadline(context);
  pb::ListRequest request;
  request.set_rates(rates);
  return stub_->ListServices(&context, request, reply);
}

grpc::Status AdminClient::lookup(const pb::LookupRequest& request, pb::LookupReply* reply) {
  grpc::ClientContext context;
  withDeadline(context);
  return stub_->Lookup(&context, request, reply);
}

grpc::Status AdminClient::vrrp(pb::VrrpList* reply) {
  grpc::ClientContext context;
  withDeadline(context);
  return stub_->VrrpStatus(&context, pb::VrrpRequest(), reply);
}

grpc::Status AdminClient::forwarder(pb::ForwarderReply* reply) {
  grpc::ClientContext context;
  withDeadline(context);
  return stub_->ForwarderStatus(&context, pb::ForwarderRequest(), reply);
}

grpc::Status AdminClient::sync(pb::SyncReply* reply) {
  grpc::ClientContext context;
  withDeadline(context);
  return stub_->SyncStatus(&context, pb::SyncRequest(), reply);
}

grpc::Status AdminClient::conntrack(pb::ConntrackReply* reply) {
  grpc::ClientContext context;
  withDeadline(context);
  return stub_->ConntrackStatus(&context, pb::ConntrackRequest(), reply);
}

grpc::Status AdminClient::connections(const pb::ConnectionsRequest& request,
                                      pb::ConnectionList* reply) {
  grpc::ClientContext context;
  withDeadline(context);
  return stub_->Connections(&context, request, reply);
}

grpc::Status AdminClient::zero(const pb::ZeroRequest& request, pb::ZeroReply* reply) {
  grpc::ClientContext context;
  withDeadline(context);
  return stub_->ZeroCounters(&context, request, reply);
}

}  // namespace ha::director
