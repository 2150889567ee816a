#pragma once
// Health as text: the Health and LastCheck columns of `directorctl list`, and the whole of
// `directorctl health` (per real and per checker: state, probes, failures by reason, latency,
// last result). Pure: proto in, text out; every age comes with the reply, so no clock here.
#include <cstdint>
#include <string>

#include "admin.pb.h"

namespace ha::director {

// "up", "down", "inhibited"; "-" for a real without checkers.
std::string healthColumn(const directord::admin::RealStatus& real);

// "ok 0.4s ago"; a down real's reason and the age of its failing probe; a failure that has not
// (yet) taken the real down; "not probed yet"; "-" without checkers.
std::string lastCheckColumn(const directord::admin::RealStatus& real);

std::string formatHealth(const directord::admin::ServiceList& list);

// "0.4s ago", "5m07s ago", "3h05m ago", "2d03h ago".
std::string formatAge(uint64_t ms);

// Microseconds as milliseconds with one decimal: 1250 -> "1.3".
std::string formatMillis(uint64_t us);

}  // namespace ha::director
