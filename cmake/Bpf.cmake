# eBPF programs: clang -target bpf -> NAME.bpf.o -> `bpftool gen skeleton` -> bpf/NAME.skel.h.
# The skeleton embeds the object, so a binary carries its programs and loads them through libbpf.
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf)
find_program(HA_BPF_CLANG NAMES clang clang-14 REQUIRED)
find_program(HA_BPFTOOL bpftool PATHS /usr/sbin /sbin REQUIRED)
add_library(ha::bpf INTERFACE IMPORTED)
target_link_libraries(ha::bpf INTERFACE PkgConfig::LIBBPF)

# ha_bpf_skeletons(TARGET SOURCES a.bpf.c ... HEADERS shared.h ...): an INTERFACE target whose
# include path holds bpf/<a>.skel.h for each source (skeleton struct and functions named <a>).
# The include is SYSTEM: generated code is not held to our warning flags.
function(ha_bpf_skeletons target)
  cmake_parse_arguments(P "" "" "SOURCES;HEADERS" ${ARGN})
  set(gen ${CMAKE_CURRENT_BINARY_DIR}/${target}_gen)
  set(outputs)
  foreach(src ${P_SOURCES})
    get_filename_component(name ${src} NAME_WE)
    get_filename_component(abs ${src} ABSOLUTE)
    set(obj ${gen}/${name}.bpf.o)
    set(skel ${gen}/bpf/${name}.skel.h)
    add_custom_command(
      OUTPUT ${skel}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${gen}/bpf
      COMMAND ${HA_BPF_CLANG} -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_x86
              -I/usr/include/${CMAKE_LIBRARY_ARCHITECTURE} -I${PROJECT_SOURCE_DIR} -c ${abs} -o ${obj}
      COMMAND sh -c "'${HA_BPFTOOL}' gen skeleton '${obj}' name ${name} > '${skel}.tmp' && mv '${skel}.tmp' '${skel}'"
      DEPENDS ${abs} ${P_HEADERS}
      COMMENT "bpf ${name}"
      VERBATIM)
    list(APPEND outputs ${skel})
  endforeach()
  add_custom_target(${target}_build DEPENDS ${outputs})
  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}_build)
  target_include_directories(${target} SYSTEM INTERFACE ${gen})
  target_link_libraries(${target} INTERFACE ha::bpf)
endfunction()
