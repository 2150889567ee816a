#pragma once
// `directorctl --json`: the reply message in protobuf's own JSON mapping (proto field names,
// every primitive field printed, enums by name, 64-bit integers as strings), wrapped in an
// envelope that names the schema and the message:
//   {"schema":"directord.admin.v1","kind":"ServiceList","data":{...}}
// docs/json.md is the contract: within v1 fields are only added; a removal or rename is v2.
#include <string>
#include <string_view>

#include "common/result.h"

namespace google::protobuf {
class Message;
}

namespace ha::director {

inline constexpr std::string_view kJsonSchema = "directord.admin.v1";

// One line, newline-terminated.
std::string toJsonEnvelope(const google::protobuf::Message& reply);

// The way back, for tests and scripts written in C++: checks the envelope (schema, kind = the
// message's name) and fills `reply` from its data.
Status fromJsonEnvelope(std::string_view json, google::protobuf::Message& reply);

}  // namespace ha::director
