#pragma once
// The connection mark of our flows, the one definition the forwarder (which sets it), the
// conntrack adapters (which filter dumps on it) and sync (which keeps it on taught copies) share.
// The top byte tags a flow as ours, the rest is the service id. Operators sharing ct mark with
// other rules must keep the top byte 0xd1 free.
#include <cstdint>

namespace ha {

inline constexpr uint32_t kMarkTag = 0xd1000000;
inline constexpr uint32_t kMarkTagMask = 0xff000000;
inline constexpr uint32_t kMaxServiceId = 0x00ffffff;

constexpr uint32_t serviceMark(uint32_t serviceId) { return kMarkTag | serviceId; }
constexpr bool isOurMark(uint32_t mark) { return (mark & kMarkTagMask) == kMarkTag; }
constexpr uint32_t serviceIdOfMark(uint32_t mark) { return mark & kMaxServiceId; }

}  // namespace ha
