// ConntrackStatus (model) -> ConntrackReply (proto); counters travel by
// `conntrack -S`'s names.
#include "director/server/admin_codec.h"

namespace ha::director {

directord::admin::ConntrackReply toConntrackReply(const ConntrackStatus& status) {
  directord::admin::ConntrackReply out;
  out.set_available(status.kernel.has_value());
  out.set_error(status.error);
  if (status.kernel) {
    out.set_entries(status.kernel->entries);
    out.set_max(status.kernel->max);
    for (const auto& [name, value] : namedCounters(*status.kernel))
      (*out.mutable_kernel())[std::string(name)] = value;
  }
  if (status.sinceStart) {
    for (const auto& [name, value] : namedCounters(*status.sinceStart)) {
      (*out.mutable_since_start())[std::string(name)] = value;
    }
  }
  out.set_pressure(status.pressure);
  if (status.lastDropAgeMs) out.set_last_drop_age_ms(*status.lastDropAgeMs);
  out.set_pressure_episodes(status.pressureEpisodes);
  out.set_inconclusive_results(status.inconclusiveResults);
  if (status.sampleAgeMs) out.set_sample_age_ms(*status.sampleAgeMs);
  return out;
}

}  // namespace ha::director
