// libFuzzer target for the sync codec (sync/sync_codec.h): any bytes a peer sends are parsed as a
// SyncMessage and decoded. decode() must accept or give a reason, never crash; every message it
// accepts must survive encode() -> bytes -> decode() unchanged (the codec normalises: a remove
// keeps only its key, so the first decode is the reference). Built with standalone_driver.cc where
// g++ has no libFuzzer.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sync/sync_codec.h"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "sync_message_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // protobuf logs every string field that is not UTF-8; mutated inputs are full of them.
  static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)quiet;
  ha::sync::proto::SyncMessage message;
  if (!message.ParseFromArray(data, static_cast<int>(size))) return 0;
  auto decoded = ha::sync::decode(message);
  if (!decoded) {
    if (decoded.error().empty()) fail("a refusal without a reason");
    return 0;
  }
  const std::string bytes = ha::sync::encode(*decoded).SerializeAsString();
  ha::sync::proto::SyncMessage reparsed;
  if (!reparsed.ParseFromString(bytes)) fail("our own encoding does not parse");
  auto again = ha::sync::decode(reparsed);
  if (!again) fail("our own encoding was refused");
  if (!(*again == *decoded)) fail("decode(encode(message)) != message");
  return 0;
}
