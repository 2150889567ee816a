#include "director/ctl/json_output.h"

#include <google/protobuf/message.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

namespace ha::director {
namespace {

namespace gp = google::protobuf;

gp::util::JsonPrintOptions printOptions() {
  gp::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;     // the names in proto/admin.proto, as documented
  options.always_print_primitive_fields = true;  // a zero counter is printed, not left out
  return options;
}

}  // namespace

std::string toJsonEnvelope(const gp::Message& reply) {
  std::string data;
  // Only a message with unset required fields (proto2) fails to print; ours are proto3.
  const auto printed = gp::util::MessageToJsonString(reply, &data, printOptions());
  if (!printed.ok()) data = "{}";
  return R"({"schema":")" + std::string(kJsonSchema) + R"(","kind":")" +
         reply.GetDescriptor()->name() + R"(","data":)" + data + "}\n";
}

Status fromJsonEnvelope(std::string_view json, gp::Message& reply) {
  gp::Struct envelope;
  if (auto parsed =
          gp::util::JsonStringToMessage(gp::StringPiece(json.data(), json.size()), &envelope);
      !parsed.ok()) {
    return Error{"not a JSON object: " + parsed.ToString()};
  }
  const auto& fields = envelope.fields();
  auto text = [&](const std::string& key) -> std::string {
    auto it = fields.find(key);
    return it == fields.end() ? std::string() : it->second.string_value();
  };
  if (text("schema") != kJsonSchema) {
    return Error{"schema is \"" + text("schema") + "\", not " + std::string(kJsonSchema)};
  }
  if (text("kind") != reply.GetDescriptor()->name()) {
    return Error{"kind is \"" + text("kind") + "\", not " + reply.GetDescriptor()->name()};
  }
  auto data = fields.find("data");
  if (data == fields.end() || !data->second.has_struct_value()) return Error{"no data object"};
  std::string dataJson;
  if (auto printed = gp::util::MessageToJsonString(data->second.struct_value(), &dataJson);
      !printed.ok()) {
    return Error{printed.ToString()};
  }
  if (auto parsed = gp::util::JsonStringToMessage(dataJson, &reply); !parsed.ok()) {
    return Error{"data does not match " + reply.GetDescriptor()->name() + ": " + parsed.ToString()};
  }
  return okStatus();
}

}  // namespace ha::director
