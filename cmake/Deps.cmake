# Every external dependency, from Debian packages, wrapped as imported targets (docs/style.md §9).
find_package(PkgConfig REQUIRED)
pkg_check_modules(NFTNL REQUIRED IMPORTED_TARGET libnftnl)
pkg_check_modules(MNL REQUIRED IMPORTED_TARGET libmnl)
pkg_check_modules(NLROUTE REQUIRED IMPORTED_TARGET libnl-3.0 libnl-route-3.0)
pkg_check_modules(NFCT REQUIRED IMPORTED_TARGET libnetfilter_conntrack)
pkg_check_modules(GRPCPP REQUIRED IMPORTED_TARGET grpc++)
pkg_check_modules(PROTOBUF REQUIRED IMPORTED_TARGET protobuf)
# sd_notify(3): Type=notify, STATUS=, RELOADING=, the watchdog (directord only).
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
find_package(Boost 1.74 REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL REQUIRED)
# Prometheus /metrics (director/metrics): core for the metric families, pull for the HTTP Exposer.
find_package(prometheus-cpp CONFIG REQUIRED)
find_program(PROTOC protoc REQUIRED)
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
if(HA_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()

add_library(ha::nftables INTERFACE IMPORTED)
target_link_libraries(ha::nftables INTERFACE PkgConfig::NFTNL PkgConfig::MNL)
add_library(ha::netlink_route INTERFACE IMPORTED)
target_link_libraries(ha::netlink_route INTERFACE PkgConfig::NLROUTE)
add_library(ha::conntrack INTERFACE IMPORTED)
target_link_libraries(ha::conntrack INTERFACE PkgConfig::NFCT PkgConfig::MNL)
add_library(ha::grpc INTERFACE IMPORTED)
target_link_libraries(ha::grpc INTERFACE PkgConfig::GRPCPP PkgConfig::PROTOBUF)
add_library(ha::systemd INTERFACE IMPORTED)
target_link_libraries(ha::systemd INTERFACE PkgConfig::SYSTEMD)
add_library(ha::asio INTERFACE IMPORTED)
target_link_libraries(ha::asio INTERFACE Boost::headers Threads::Threads)
target_compile_definitions(ha::asio INTERFACE BOOST_ASIO_NO_DEPRECATED)

# Generates C++ (and gRPC stubs) for PROTO into the current binary dir; sets OUT_SRCS/OUT_HDRS.
function(ha_protobuf_generate proto out_srcs out_hdrs)
  get_filename_component(name ${proto} NAME_WE)
  get_filename_component(dir ${proto} DIRECTORY)
  set(gen ${CMAKE_CURRENT_BINARY_DIR})
  set(srcs ${gen}/${name}.pb.cc ${gen}/${name}.grpc.pb.cc)
  set(hdrs ${gen}/${name}.pb.h ${gen}/${name}.grpc.pb.h)
  add_custom_command(
    OUTPUT ${srcs} ${hdrs}
    COMMAND ${PROTOC} --proto_path=${dir} --cpp_out=${gen} --grpc_out=${gen}
            --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN} ${proto}
    DEPENDS ${proto}
    COMMENT "protoc ${name}.proto")
  set(${out_srcs} ${srcs} PARENT_SCOPE)
  set(${out_hdrs} ${hdrs} PARENT_SCOPE)
endfunction()
