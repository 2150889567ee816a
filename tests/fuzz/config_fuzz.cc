// libFuzzer target for the config loader: any bytes must give diagnostics, never a crash, a hang
// or unbounded memory. Built with clang's -fsanitize=fuzzer where available, and always with
// standalone_driver.cc (bounded mutation loop under ASan/UBSan in CI).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "director/config/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // A virtual name in a directory that does not exist: `include` lines resolve to nothing.
  auto result = ha::director::loadConfigText(text, "/nonexistent-fuzz-dir/fuzz.conf");
  (void)result.hasErrors();
  return 0;
}
