#pragma once
// Printed in the `directorctl list` banner where ipvsadm prints the IPVS version.
#include <string_view>

namespace ha::director {

// Keep equal to project(directord VERSION ...) in the top-level CMakeLists.txt.
inline constexpr std::string_view kDirectordVersion = "0.1.0";

}  // namespace ha::director
