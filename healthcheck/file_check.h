#pragma once
// FILE_CHECK's meaning, pure (keepalived 2.2.7's trackers/track_file.c and check/check_file.c):
// what a file's text reads as, and what that number does to a real.
#include <cstdint>
#include <optional>
#include <string_view>

namespace ha::healthcheck {

// keepalived reads at most 127 bytes and takes strtol(text, NULL, 0): leading blanks, a sign,
// decimal, 0x hex or 0 octal, stopping at the first other character; text without a number reads
// as 0 (an empty or missing file too). A number outside [-2^31, 2^31] is ignored: nullopt, the
// previous value stays (keepalived logs "Invalid number ... - ignoring").
inline constexpr size_t kTrackFileReadBytes = 127;
std::optional<int64_t> parseTrackFileValue(std::string_view text);

// The weights a real may have (the config's `weight` range; IPVS allows more, nft slot counts
// do not need it).
inline constexpr int64_t kMaxRealWeight = 65535;

struct FileCheckEffect {
  bool down = false;        // keepalived's FAULT state of the checker
  int64_t weightDelta = 0;  // added to the real's weight while up
};

// weight != 0: delta = value x weight (x -1 with reverse), clamped to 32 bits; a product at or
// below -2^31 (IPVS_WEIGHT_FAULT) is the fault. weight 0: a non-zero value is the fault (with
// reverse: a zero value), and the weight is untouched (update_track_file_status).
FileCheckEffect fileCheckEffect(int64_t value, int64_t weight, bool reverse);

// The real's weight with its files' deltas added, within [0, kMaxRealWeight] (keepalived's
// real_weight() clamps at 0 the same way: a negative sum drains the real, it does not fail it).
uint32_t weightWithFiles(uint32_t base, int64_t deltaSum);

}  // namespace ha::healthcheck
