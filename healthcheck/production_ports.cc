// The production ports of healthcheck::Service: the checkers of checkers.h, child processes and
// inotify for track files.
#include "common/child_process.h"
#include "healthcheck/checkers.h"
#include "healthcheck/service.h"

namespace ha::healthcheck {

ServicePorts productionPorts() {
  ServicePorts ports;
  ports.makeChecker = [](boost::asio::io_context& io) {
    return makeCheckerSet(io, makeChildProcessRunner);
  };
  ports.makeProcessRunner = makeChildProcessRunner;
  ports.makeFileWatch = makeInotifyFileWatch;
  return ports;
}

}  // namespace ha::healthcheck
