#pragma once
// The admin API's client: one gRPC channel to directord's unix socket, one call per question,
// each with its own deadline so a stuck directord never hangs the CLI.
#include <memory>
#include <string>

#include "admin.grpc.pb.h"

namespace ha::director {

class AdminClient {
 public:
  explicit AdminClient(std::string socketPath);

  // rates: the caller shows them (directorctl --rate); see ListRequest in proto/admin.proto.
  grpc::Status list(directord::admin::ServiceList* reply, bool rates = false);
  grpc::Status lookup(const directord::admin::LookupRequest& request,
                      directord::admin::LookupReply* reply);
  grpc::Status vrrp(directord::admin::VrrpList* reply);
  grpc::Status forwarder(directord::admin::ForwarderReply* reply);
  grpc::Status sync(directord::admin::SyncReply* reply);
  grpc::Status conntrack(directord::admin::ConntrackReply* reply);
  grpc::Status connections(const directord::admin::ConnectionsRequest& request,
                           directord::admin::ConnectionList* reply);
  grpc::Status zero(const directord::admin::ZeroRequest& request,
                    directord::admin::ZeroReply* reply);

  const std::string& socketPath() const { return path_; }

 private:
  std::string path_;
  std::unique_ptr<directord::admin::Admin::Stub> stub_;
};

}  // namespace ha::director
