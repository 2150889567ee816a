// The production ports of healthcheck::Service: the checkers of checkers.h.
#include "healthcheck/checkers.h"
#include "healthcheck/service.h"

namespace ha::healthcheck {

ServicePorts productionPorts() {
  ServicePorts ports;
  ports.makeChecker = makeCheckerSet;
  return ports;
}

}  // namespace ha::healthcheck
