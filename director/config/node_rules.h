#pragma once
// Shape checks shared by every mapping pass: argument counts, blocks, numbers, addresses. Each
// reports its own error naming the keyword and the bad token, and returns false/nullopt.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/ip_address.h"
#include "director/config/config_tree.h"
#include "director/config/diagnostic_sink.h"

namespace ha::director::config {

// `usage` is the statement as the user should write it, e.g. "weight N".
bool checkArgs(const Node& node, size_t min, size_t max, std::string_view usage,
               DiagnosticSink& sink);
bool checkNoBlock(const Node& node, DiagnosticSink& sink);
bool checkHasBlock(const Node& node, DiagnosticSink& sink);
// No block and between min and max arguments.
bool checkStatement(const Node& node, size_t min, size_t max, std::string_view usage,
                    DiagnosticSink& sink);

std::optional<uint64_t> numberArg(const Node& node, size_t index, uint64_t min, uint64_t max,
                                  DiagnosticSink& sink);
std::optional<int64_t> signedArg(const Node& node, size_t index, int64_t min, int64_t max,
                                 DiagnosticSink& sink);
// keepalived's <TIMER> (decimal seconds, 1 us resolution) within [min, max].
std::optional<Duration> secondsArg(const Node& node, size_t index, Duration min, Duration max,
                                   DiagnosticSink& sink);
std::optional<IpAddress> addressArg(const Node& node, size_t index, DiagnosticSink& sink);
std::optional<uint16_t> portArg(const Node& node, size_t index, uint16_t min, DiagnosticSink& sink);

// For messages: seconds as a config would write them ("0.01", "40.95", "1000").
std::string secondsText(Duration d);
// For messages: `where` of another definition, e.g. "already defined at a.conf:12".
std::string definedAt(const SourceLocation& where);

}  // namespace ha::director::config
