#pragma once
// Stateful fakes of vrrp::Router's network ports: a Transport that records every
// advert sent (decoded, with the time) and injects received ones, an Announcer that records every
// gratuitous ARP / NA, and a LinkMonitor over a table of links the test edits (listeners hear
// each change, as NetlinkLinkMonitor's do). Times come from the TimeSource (a ManualClock).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "vrrp/packet.h"
#include "vrrp/transport.h"

namespace ha::test {

class FakeVrrpTransport final : public vrrp::Transport {
 public:
  struct Sent {
    TimePoint at;
    uint32_t ifindex = 0;
    IpAddress source;
    IpAddress destination;
    std::vector<uint8_t> payload;
    vrrp::Advertisement advert;  // payload decoded (the fake aborts on bytes that do not decode)
  };

  explicit FakeVrrpTransport(const TimeSource& clock) : clock_(clock) {}

  Status attach(uint32_t ifindex, Family family) override;
  void detach(uint32_t ifindex, Family family) override;
  Status send(uint32_t ifindex, const IpAddress& source, const IpAddress& destination,
              std::span<const uint8_t> payload) override;

  // What the router's receiver gets (production: RawSocketTransport's constructor argument).
  Receiver receiver;
  // Hands a packet to the receiver as the socket would, TTL 255 unless told otherwise.
  void receive(uint32_t ifindex, const IpAddress& source, const IpAddress& destination,
               std::span<const uint8_t> payload, uint8_t ttl = vrrp::kTtl);
  // Encodes `advert` from `source` to the family's multicast group and receives it.
  void receive(uint32_t ifindex, const IpAddress& source, const vrrp::Advertisement& advert);
  // Called after each successful send (a wire passes it on to other routers).
  std::function<void(const Sent&)> onSend;

  const std::vector<Sent>& sent() const { return sent_; }
  void clearSent() { sent_.clear(); }
  // What is attached; attach() is idempotent per (ifindex, family), as the port says.
  const std::set<std::pair<uint32_t, Family>>& attached() const { return attached_; }
  // Refusals the test arranges: attach on this ifindex fails with the message; every send fails.
  std::map<uint32_t, std::string> attachErrors;
  std::optional<std::string> sendError;

 private:
  const TimeSource& clock_;
  std::vector<Sent> sent_;
  std::set<std::pair<uint32_t, Family>> attached_;
};

class FakeVrrpAnnouncer final : public vrrp::Announcer {
 public:
  struct Announcement {
    TimePoint at;
    uint32_t ifindex = 0;
    IpAddress address;
  };
  explicit FakeVrrpAnnouncer(const TimeSource& clock) : clock_(clock) {}
  Status announce(uint32_t ifindex, const IpAddress& address) override;
  const std::vector<Announcement>& announcements() const { return announcements_; }
  // Called after each announcement is recorded.
  std::function<void(const Announcement&)> onAnnounce;
  // Announcements made at exactly `at`.
  size_t countAt(TimePoint at) const;

 private:
  const TimeSource& clock_;
  std::vector<Announcement> announcements_;
};

class FakeVrrpLinkMonitor final : public vrrp::LinkMonitor {
 public:
  // A link with its addresses in the kernel's order (IPv4 primaries first, IPv6 link-local).
  void addLink(const std::string& name, uint32_t ifindex, bool up,
               std::vector<IpAddress> addresses = {});
  // Changes a link's state and tells every listener (only when it changed, as production does).
  void setUp(const std::string& name, bool up);

  Result<vrrp::LinkState> link(const std::string& name) override;
  Result<IpAddress> primaryAddress(uint32_t ifindex, Family family,
                                   std::span<const IpAddress> exclude) override;
  void subscribe(Listener listener) override { listeners_.push_back(std::move(listener)); }

 private:
  struct Link {
    vrrp::LinkState state;
    std::vector<IpAddress> addresses;
  };
  std::map<std::string, Link> links_;
  std::vector<Listener> listeners_;
};

}  // namespace ha::test
