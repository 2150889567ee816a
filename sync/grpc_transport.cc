#include "sync/grpc_transport.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/service_type.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdlib>
#include <string>
#include <utility>

#include "common/log.h"
#include "sync/grpc_transport_core.h"

namespace ha::sync {
namespace {

constexpr auto kStreamsEndDeadline = std::chrono::seconds(8);

}  // namespace

namespace detail {

std::optional<PeerId> TransportCore::peerNamed(const std::string& name) const {
  for (PeerId id = 0; id < config_.peers.size(); ++id) {
    if (config_.peers[id].name == name) return id;
  }
  return std::nullopt;
}

void TransportCore::post(std::function<void(StreamEvents&)> fn) {
  boost::asio::post(io_, [core = shared_from_this(), fn = std::move(fn)] {
    std::lock_guard gate(core->gateMu_);
    if (core->open_) fn(core->events_);
  });
}

bool TransportCore::takeIncomingSlot() {
  const size_t cap = limits_.streamsPerPeer * config_.peers.size();
  if (incomingStreams_.fetch_add(1) < cap) return true;
  incomingStreams_.fetch_sub(1);
  return false;
}

void TransportCore::refuse(Refusal kind, const std::string& why) {
  static constexpr std::chrono::seconds kRefusalLogEvery{10};
  switch (kind) {
    case Refusal::kIdentity: ++refused; break;
    case Refusal::kHelloTimeout: ++helloTimeouts; break;
    case Refusal::kOverCap: ++overCap; break;
    case Refusal::kReset: ++resets; break;
  }
  const auto now = std::chrono::steady_clock::now();
  uint64_t more = 0;
  {
    std::lock_guard lock(logMu_);
    RefusalLog& log = logs_[static_cast<size_t>(kind)];
    if (log.everLogged && now - log.lastLogged < kRefusalLogEvery) {
      ++log.unlogged;
      return;
    }
    more = std::exchange(log.unlogged, 0);
    log.everLogged = true;
    log.lastLogged = now;
  }
  log::warning("sync: " + why +
               (more != 0 ? " (and " + std::to_string(more) + " more like it since the last report)"
                          : ""));
}

void TransportCore::close() {
  std::lock_guard gate(gateMu_);
  open_ = false;
}

bool TransportCore::enter(const std::weak_ptr<StreamCall>& call) {
  std::lock_guard lock(callsMu_);
  ++live_;
  std::erase_if(calls_, [](const auto& c) { return c.expired(); });
  calls_.push_back(call);
  return !stopping_;
}

void TransportCore::leave() {
  std::lock_guard lock(callsMu_);
  if (--live_ == 0) idle_.notify_all();
}

void TransportCore::cancelAll(const std::string& why) {
  std::vector<std::weak_ptr<StreamCall>> calls;
  {
    std::lock_guard lock(callsMu_);
    stopping_ = true;
    calls.swap(calls_);
  }
  for (auto& weak : calls) {
    if (auto call = weak.lock()) call->cancel(why);
  }
}

bool TransportCore::waitIdle(std::chrono::steady_clock::time_point deadline, size_t& live) {
  std::unique_lock lock(callsMu_);
  bool idle = idle_.wait_until(lock, deadline, [this] { return live_ == 0; });
  live = live_;
  return idle;
}

}  // namespace detail

GrpcTransport::GrpcTransport(const SyncConfig& config, boost::asio::io_context& syncIo,
                             TransportListener& listener, GrpcLimits limits)
    : core_(std::make_shared<detail::TransportCore>(config, limits, syncIo,
                                                    static_cast<detail::StreamEvents&>(*this))),
      io_(syncIo),
      listener_(listener),
      outgoing_(config.peers.size()),
      incoming_(config.peers.size()),
      rng_(std::random_device{}()) {}

GrpcTransport::~GrpcTransport() { stop(); }

Result<std::unique_ptr<GrpcTransport>> GrpcTransport::start(const SyncConfig& config,
                                                            boost::asio::io_context& syncIo,
                                                            TransportListener& listener,
                                                            GrpcLimits limits) {
  auto pems = detail::loadTls(config.tls);
  if (!pems) return Error{pems.error()};
  std::unique_ptr<GrpcTransport> transport(new GrpcTransport(config, syncIo, listener, limits));
  if (auto listening = transport->listen(*pems, limits); !listening) {
    return Error{listening.error()};
  }
  for (PeerId id = 0; id < config.peers.size(); ++id) {
    Outgoing& out = transport->outgoing_[id];
    out.channel = detail::peerChannel(config.peers[id], *pems);
    out.timer = std::make_unique<boost::asio::steady_timer>(syncIo);
  }
  // Dial from syncIo, where the tables live (start() may run on another thread).
  transport->core_->post([](detail::StreamEvents& events) {
    auto& self = static_cast<GrpcTransport&>(events);
    for (PeerId id = 0; id < self.outgoing_.size(); ++id) self.dial(id);
  });
  return transport;
}

Status GrpcTransport::listen(const detail::TlsPems& pems, const GrpcLimits& limits) {
  const SyncConfig& config = core_->config();
  const std::string address = formatEndpoint(config.listenAddress, config.listenPort);
  service_ = detail::makeSyncService(core_);
  grpc::ServerBuilder builder;
  int selected = 0;
  builder.AddListeningPort(address, detail::serverCredentials(pems), &selected);
  builder.RegisterService(service_.get());
  detail::configureServer(builder, limits, config.peers.size());
  server_ = builder.BuildAndStart();
  if (!server_ || selected == 0) {
    server_.reset();
    return Error{"connection_sync: cannot listen on " + address +
                 " (in use, or not an address of this host)"};
  }
  boundPort_ = static_cast<uint16_t>(selected);
  return okStatus();
}

void GrpcTransport::stop() {
  if (stopped_) return;
  stopped_ = true;
  core_->close();
  for (Outgoing& out : outgoing_) {
    if (out.timer) out.timer->cancel();
    out.waiting = false;
  }
  core_->cancelAll("connection sync stopped");
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
  }
  // gRPC ends every cancelled call (OnDone) promptly. The streams post to syncIo, which may go
  // right after this, so one that has not ended by the deadline is a broken invariant, not a wait.
  if (size_t live = 0; !core_->waitIdle(std::chrono::steady_clock::now() + kStreamsEndDeadline, live)) {
    log::error("sync: " + std::to_string(live) + " gRPC streams still open " +
               std::to_string(kStreamsEndDeadline.count()) + " s after they were cancelled; aborting");
    std::abort();
  }
  for (Outgoing& out : outgoing_) {
    out.call.reset();
    out.up = false;
  }
  for (auto& call : incoming_) call.reset();
  server_.reset();
  service_.reset();
}

void GrpcTransport::dial(PeerId peer) {
  Outgoing& out = outgoing_[peer];
  out.waiting = false;
  if (out.call) return;  // already dialling or up
  Hello hello{core_->config().nodeName, kProtocolVersion, rng_()};
  out.call = detail::startOutgoingCall(core_, peer, ++out.generation, out.channel, hello);
}

void GrpcTransport::scheduleRedial(PeerId peer) {
  Outgoing& out = outgoing_[peer];
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  const auto delay =
      std::chrono::duration_cast<std::chrono::milliseconds>(out.backoff * jitter(rng_));
  out.backoff = std::min(out.backoff * 2, kDialBackoffMax);
  out.waiting = true;
  const uint64_t armed = ++out.timerGeneration;
  out.timer->expires_after(delay);
  out.timer->async_wait([weak = std::weak_ptr(core_), peer, armed](auto error) {
    auto core = weak.lock();
    if (error || !core) return;
    core->post([peer, armed](detail::StreamEvents& events) {
      auto& self = static_cast<GrpcTransport&>(events);
      Outgoing& o = self.outgoing_[peer];
      if (o.waiting && o.timerGeneration == armed) self.dial(peer);
    });
  });
}

bool GrpcTransport::send(PeerId peer, PeerMessage message) {
  Outgoing& out = outgoing_.at(peer);
  if (!out.up || !out.call) return false;
  return out.call->send(message);
}

void GrpcTransport::ack(PeerId peer, const Ack& ack) {
  if (auto& call = incoming_.at(peer)) call->ack(ack);
}

void GrpcTransport::resetIncoming(PeerId peer, const std::string& why) {
  auto call = std::move(incoming_.at(peer));
  if (!call) return;
  call->finish(grpc::StatusCode::INVALID_ARGUMENT, "stream reset: " + why);
  core_->post([peer, why](detail::StreamEvents& events) {
    static_cast<GrpcTransport&>(events).listener_.onIncomingDown(peer, "reset: " + why);
  });
}

void GrpcTransport::redialNow(PeerId peer) {
  Outgoing& out = outgoing_.at(peer);
  if (out.up) return;
  // The channel may sit out its own reconnect backoff (up to a second): a call already in flight
  // would wait for it, a new one would fail at once. The peer is back, so connect now.
  if (out.channel) grpc::experimental::ChannelResetConnectionBackoff(out.channel.get());
  if (!out.waiting) return;
  out.timer->cancel();
  dial(peer);
}

size_t GrpcTransport::pendingWrites(PeerId peer) const {
  const Outgoing& out = outgoing_.at(peer);
  return out.up && out.call ? out.call->pendingWrites() : 0;
}

TransportStats GrpcTransport::stats() const {
  TransportStats s;
  s.refusedStreams = core_->refused.load();
  s.helloTimeouts = core_->helloTimeouts.load();
  s.overCapStreams = core_->overCap.load();
  s.resetStreams = core_->resets.load();
  return s;
}

bool GrpcTransport::isCurrentIncoming(PeerId peer, uint64_t callId) const {
  return incoming_[peer] && incoming_[peer]->id() == callId;
}

void GrpcTransport::onIncomingAccepted(PeerId peer, std::shared_ptr<detail::IncomingCall> call) {
  auto old = std::exchange(incoming_[peer], std::move(call));
  if (old) {
    const std::string why = "replaced by a new stream from " + core_->config().peers[peer].name;
    old->finish(grpc::StatusCode::ABORTED, why);
    listener_.onIncomingDown(peer, why);
  }
  listener_.onIncomingUp(peer);
}

void GrpcTransport::onIncomingMessage(PeerId peer, uint64_t callId, PeerMessage message) {
  if (isCurrentIncoming(peer, callId)) listener_.onIncoming(peer, std::move(message));
}

void GrpcTransport::onIncomingMalformed(PeerId peer, uint64_t callId, const std::string& why) {
  if (isCurrentIncoming(peer, callId)) listener_.onMalformed(peer, why);
}

void GrpcTransport::onIncomingClosed(PeerId peer, uint64_t callId, const std::string& why) {
  if (!isCurrentIncoming(peer, callId)) return;
  incoming_[peer].reset();
  listener_.onIncomingDown(peer, why);
}

void GrpcTransport::onOutgoingAccepted(PeerId peer, uint64_t generation) {
  Outgoing& out = outgoing_[peer];
  if (generation != out.generation || !out.call) return;
  out.up = true;
  out.backoff = kDialBackoffMin;
  listener_.onOutgoingUp(peer);
}

void GrpcTransport::onOutgoingAck(PeerId peer, uint64_t generation, const Ack& ack) {
  const Outgoing& out = outgoing_[peer];
  if (generation == out.generation && out.up) listener_.onAck(peer, ack);
}

void GrpcTransport::onOutgoingClosed(PeerId peer, uint64_t generation, const std::string& why) {
  Outgoing& out = outgoing_[peer];
  if (generation != out.generation || !out.call) return;
  out.call.reset();
  out.up = false;
  listener_.onOutgoingDown(peer, why);
  scheduleRedial(peer);
}

}  // namespace ha::sync
