# Warnings and sanitizers for our own targets only (third-party headers are SYSTEM).
add_library(ha_warnings INTERFACE)
target_compile_options(ha_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wnon-virtual-dtor -Wold-style-cast)
if(HA_WERROR)
  target_compile_options(ha_warnings INTERFACE -Werror)
endif()
if(HA_SANITIZE STREQUAL "thread")
  # ThreadSanitizer: the io_context threads (director, vrrp, health, sync) and gRPC's own threads.
  # Third-party libraries are not instrumented; races inside them are suppressed, with the reason,
  # in tests/tsan.supp only.
  # -Wno-tsan: g++ warns that TSan does not model atomic_thread_fence, which Boost.Asio's
  # std_fenced_block uses around each handler. Asio hands handlers between threads under its
  # scheduler's mutex, which TSan does see, so the fence adds nothing TSan needs to know.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
  add_compile_options(
    "$<$<COMPILE_LANGUAGE:CXX>:SHELL:-include ${CMAKE_CURRENT_LIST_DIR}/protobuf_tsan_abi.h>")
  add_link_options(-fsanitize=thread)
elseif(HA_SANITIZE STREQUAL "address" OR HA_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
