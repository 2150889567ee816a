#include "director/nft/timed_nft_writer.h"

namespace ha::director::nft {

Status TimedNftWriter::commit(const Transaction& tx) {
  const TimePoint sent = clock_.now();
  Status result = inner_->commit(tx);
  stats_.latency.observe(clock_.now() - sent);
  ++stats_.commits;
  if (!result) ++stats_.failures;
  return result;
}

}  // namespace ha::director::nft
