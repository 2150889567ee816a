#include "tests/fakes/fake_vrrp_ports.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace ha::test {

Status FakeVrrpTransport::attach(uint32_t ifindex, Family family) {
  if (auto refused = attachErrors.find(ifindex); refused != attachErrors.end()) {
    return Error{refused->second};
  }
  attached_.insert({ifindex, family});
  return okStatus();
}

void FakeVrrpTransport::detach(uint32_t ifindex, Family family) {
  if (attached_.erase({ifindex, family}) == 0) std::abort();  // detached, never attached
}

Status FakeVrrpTransport::send(uint32_t ifindex, const IpAddress& source,
                               const IpAddress& destination, std::span<const uint8_t> payload) {
  if (sendError) return Error{*sendError};
  auto decoded = vrrp::decode(payload, vrrp::PacketContext{source, destination, vrrp::kTtl});
  auto* advert = std::get_if<vrrp::Advertisement>(&decoded);
  if (advert == nullptr) std::abort();  // the router encoded something its own decoder refuses
  sent_.push_back(Sent{clock_.now(), ifindex, source, destination,
                       std::vector<uint8_t>(payload.begin(), payload.end()), *advert});
  if (onSend) onSend(sent_.back());
  return okStatus();
}

void FakeVrrpTransport::receive(uint32_t ifindex, const IpAddress& source,
                                const IpAddress& destination, std::span<const uint8_t> payload,
                                uint8_t ttl) {
  if (receiver) receiver(vrrp::ReceivedPacket{ifindex, {source, destination, ttl}, payload});
}

void FakeVrrpTransport::receive(uint32_t ifindex, const IpAddress& source,
                                const vrrp::Advertisement& advert) {
  const IpAddress& group = vrrp::multicastGroup(source.family());
  auto bytes = vrrp::encode(advert, source, group);
  receive(ifindex, source, group, bytes);
}

Status FakeVrrpAnnouncer::announce(uint32_t ifindex, const IpAddress& address) {
  announcements_.push_back(Announcement{clock_.now(), ifindex, address});
  if (onAnnounce) onAnnounce(announcements_.back());
  return okStatus();
}

size_t FakeVrrpAnnouncer::countAt(TimePoint at) const {
  return static_cast<size_t>(std::count_if(announcements_.begin(), announcements_.end(),
                                           [&](const Announcement& a) { return a.at == at; }));
}

void FakeVrrpLinkMonitor::addLink(const std::string& name, uint32_t ifindex, bool up,
                                  std::vector<IpAddress> addresses) {
  links_[name] = Link{vrrp::LinkState{ifindex, name, up}, std::move(addresses)};
}

void FakeVrrpLinkMonitor::setUp(const std::string& name, bool up) {
  auto it = links_.find(name);
  if (it == links_.end()) std::abort();
  if (it->second.state.up == up) return;
  it->second.state.up = up;
  const vrrp::LinkState state = it->second.state;
  for (const auto& listener : listeners_) listener(state);
}

Result<vrrp::LinkState> FakeVrrpLinkMonitor::link(const std::string& name) {
  auto it = links_.find(name);
  if (it == links_.end()) return Error{"interface " + name + ": No such device"};
  return it->second.state;
}

Result<IpAddress> FakeVrrpLinkMonitor::primaryAddress(uint32_t ifindex, Family family,
                                                      std::span<const IpAddress> exclude) {
  for (const auto& [name, link] : links_) {
    if (link.state.ifindex != ifindex) continue;
    for (const auto& address : link.addresses) {
      if (address.family() != family) continue;
      if (std::find(exclude.begin(), exclude.end(), address) != exclude.end()) continue;
      return address;
    }
    return Error{"interface " + name + ": no usable " +
                 std::string(family == Family::kV4 ? "IPv4" : "IPv6") + " address"};
  }
  return Error{"interface index " + std::to_string(ifindex) + ": No such device"};
}

}  // namespace ha::test
