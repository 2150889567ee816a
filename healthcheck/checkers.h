#pragma once
// The production checkers, one per kind, and the dispatcher the service uses. Each runs on the
// io_context it is given (the health thread) and implements checker.h's contract.
#include <boost/asio/io_context.hpp>
#include <memory>

#include "common/process_runner.h"
#include "healthcheck/checker.h"

namespace ha::healthcheck {

std::unique_ptr<Checker> makeTcpChecker(boost::asio::io_context& io);   // TCP_CHECK
std::unique_ptr<Checker> makeHttpChecker(boost::asio::io_context& io);  // HTTP_GET and SSL_GET
std::unique_ptr<Checker> makeUdpChecker(boost::asio::io_context& io);   // UDP_CHECK
std::unique_ptr<Checker> makeSmtpChecker(boost::asio::io_context& io);  // SMTP_CHECK
std::unique_ptr<Checker> makeDnsChecker(boost::asio::io_context& io);   // DNS_CHECK
std::unique_ptr<Checker> makePingChecker(boost::asio::io_context& io);  // PING_CHECK
// MISC_CHECK, running misc_path through `runner` (bound to `io`).
std::unique_ptr<Checker> makeMiscChecker(boost::asio::io_context& io,
                                         std::unique_ptr<ProcessRunner> runner);
// Dispatches each probe on spec.kind to one checker of each kind built with the functions above;
// MISC_CHECK's runner comes from `makeRunner`.
std::unique_ptr<Checker> makeCheckerSet(boost::asio::io_context& io,
                                        const ProcessRunnerFactory& makeRunner);

}  // namespace ha::healthcheck
