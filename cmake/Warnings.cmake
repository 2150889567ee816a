# Warnings and sanitizers for our own targets only (third-party headers are SYSTEM).
add_library(ha_warnings INTERFACE)
target_compile_options(ha_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wnon-virtual-dtor -Wold-style-cast)
if(HA_WERROR)
  target_compile_options(ha_warnings INTERFACE -Werror)
endif()
if(HA_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
