#include "director/ctl/edit_verbs.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <istream>
#include <ostream>

#include "admin.grpc.pb.h"
#include "director/ctl/admin_client.h"
#include "director/ctl/ipvsadm_edit_args.h"

namespace ha::director {
namespace {

namespace pb = directord::admin;

// Longer than a read: a -R batch of thousands of services is planned and committed in this time.
constexpr auto kEditTimeout = std::chrono::seconds(30);
constexpr int kMaxMessageBytes = 64 << 20;

int usage(std::ostream& err, const std::string& why) {
  err << "directorctl: " << why << "\nusage:\n" << kEditUsage << "(see directorctl --help)\n";
  return kEditExitUsage;
}

int exitCodeOf(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      return kEditExitUsage;
    case grpc::StatusCode::NOT_FOUND:
      return kEditExitNotFound;
    case grpc::StatusCode::ALREADY_EXISTS:
      return kEditExitExists;
    case grpc::StatusCode::FAILED_PRECONDITION:
      return kEditExitKernelRefused;
    case grpc::StatusCode::PERMISSION_DENIED:
      return kEditExitDenied;
    default:
      return kEditExitUnreachable;
  }
}

int send(const std::string& socketPath, const pb::EditBatch& batch, std::ostream& err) {
  grpc::ChannelArguments channelArgs;
  channelArgs.SetMaxSendMessageSize(kMaxMessageBytes);
  auto stub = pb::Admin::NewStub(grpc::CreateCustomChannel(
      "unix:" + socketPath, grpc::InsecureChannelCredentials(), channelArgs));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kEditTimeout);
  pb::EditReply reply;
  grpc::Status status = stub->ApplyEdits(&context, batch, &reply);
  if (status.ok()) return kEditExitOk;
  int code = exitCodeOf(status);
  if (code == kEditExitUnreachable) {
    err << "directorctl: cannot reach directord at " << socketPath << ": " << status.error_message()
        << "\n";
  } else {
    err << "directorctl: " << status.error_message() << "\n";
  }
  return code;
}

}  // namespace

int runEditVerb(const std::string& socketPath, const std::vector<std::string_view>& args,
                std::istream& in, std::ostream& out, std::ostream& err) {
  auto command = parseEditArgs(args);
  if (!command) return usage(err, command.error());
  switch (command->verb) {
    case EditCommand::Verb::kSave: {
      AdminClient client(socketPath);
      pb::ServiceList list;
      if (auto status = client.list(&list); !status.ok()) {
        err << "directorctl: cannot reach directord at " << socketPath << ": "
            << status.error_message() << "\n";
        return kEditExitUnreachable;
      }
      out << formatSave(list);
      return kEditExitOk;
    }
    case EditCommand::Verb::kRestore: {
      auto batch = parseRestore(in);
      if (!batch) return usage(err, "-R: " + batch.error());
      return send(socketPath, batch.value(), err);
    }
    case EditCommand::Verb::kEdit: {
      pb::EditBatch batch;
      *batch.add_edits() = command->edit;
      return send(socketPath, batch, err);
    }
  }
  return kEditExitUsage;
}

}  // namespace ha::director
