// EditBatch -> RuntimeEdit: every field a client sends is checked here, before the node sees it.
#include <algorithm>
#include <cctype>
#include <string>

#include "director/server/admin_codec.h"

namespace ha::director {
namespace {

namespace pb = directord::admin;

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

Result<RuntimeEdit::Op> opOf(pb::Edit::Op op) {
  switch (op) {
    case pb::Edit::ADD_SERVICE:
      return RuntimeEdit::Op::kAddService;
    case pb::Edit::EDIT_SERVICE:
      return RuntimeEdit::Op::kEditService;
    case pb::Edit::DELETE_SERVICE:
      return RuntimeEdit::Op::kDeleteService;
    case pb::Edit::ADD_REAL:
      return RuntimeEdit::Op::kAddReal;
    case pb::Edit::EDIT_REAL:
      return RuntimeEdit::Op::kEditReal;
    case pb::Edit::DELETE_REAL:
      return RuntimeEdit::Op::kDeleteReal;
    case pb::Edit::SET_TIMEOUTS:
      return RuntimeEdit::Op::kSetTimeouts;
    default:
      return Error{"no operation given"};
  }
}

Result<ForwardMode> modeOf(const std::string& text) {
  std::string name = upper(text);
  if (name == "NAT" || name == "MASQ") return ForwardMode::kNat;
  if (name == "DR" || name == "ROUTE") return ForwardMode::kDr;
  if (name == "TUN") return ForwardMode::kTun;
  if (name == "FNAT" || name == "FULLNAT") return ForwardMode::kFullNat;
  return Error{"unknown forwarding '" + text + "' (NAT, DR, TUN, FNAT)"};
}

Result<RuntimeEdit> toRuntimeEdit(const pb::Edit& in) {
  RuntimeEdit e;
  auto op = opOf(in.op());
  if (!op) return Error{op.error()};
  e.op = op.value();
  if (e.op == RuntimeEdit::Op::kSetTimeouts) {  // names no service; 0 = unchanged
    auto value = [](uint32_t v) { return v == 0 ? std::nullopt : std::optional<uint32_t>(v); };
    e.timeouts = {value(in.timeouts().tcp()), value(in.timeouts().tcpfin()),
                  value(in.timeouts().udp())};
    return e;
  }
  std::string protocol = upper(in.service().protocol());
  if (in.service().fwmark() != 0) {
    e.service.fwmark = in.service().fwmark();  // -f MARK; the node resolves the family
  } else if (protocol == "TCP") {
    e.service.protocol = Protocol::kTcp;
  } else if (protocol == "UDP") {
    e.service.protocol = Protocol::kUdp;
  } else {
    return Error{"protocol '" + in.service().protocol() + "': expected TCP or UDP"};
  }
  if (in.service().fwmark() == 0) {
    auto vip = IpAddress::parse(in.service().vip());
    if (!vip) return Error{"virtual address '" + in.service().vip() + "' is not an IP address"};
    e.service.vip = *vip;
    if (in.service().port() == 0 || in.service().port() > UINT16_MAX) {
      return Error{"virtual port " + std::to_string(in.service().port()) + ": expected 1-65535"};
    }
    e.service.port = static_cast<uint16_t>(in.service().port());
  }
  if (in.has_scheduler()) e.scheduler = in.scheduler();
  if (in.has_persistence_timeout()) e.persistenceTimeoutSec = in.persistence_timeout();
  if (in.has_weight()) e.weight = in.weight();
  if (in.has_forwarding()) {
    auto mode = modeOf(in.forwarding());
    if (!mode) return Error{mode.error()};
    e.forwarding = mode.value();
  }
  if (!in.real_address().empty()) {
    auto address = IpAddress::parse(in.real_address());
    if (!address) return Error{"real address '" + in.real_address() + "' is not an IP address"};
    if (in.real_port() > UINT16_MAX)
      return Error{"real port " + std::to_string(in.real_port()) + ": expected 1-65535"};
    e.real = Endpoint{*address, static_cast<uint16_t>(in.real_port())};
  }
  return e;
}

}  // namespace

Result<std::vector<RuntimeEdit>> toRuntimeEdits(const pb::EditBatch& batch) {
  std::vector<RuntimeEdit> edits;
  edits.reserve(static_cast<size_t>(batch.edits_size()));
  for (int i = 0; i < batch.edits_size(); ++i) {
    auto e = toRuntimeEdit(batch.edits(i));
    if (!e) {
      return Error{batch.edits_size() == 1
                       ? e.error()
                       : "edit " + std::to_string(i + 1) + " of " +
                             std::to_string(batch.edits_size()) + ": " + e.error()};
    }
    edits.push_back(std::move(e.value()));
  }
  return edits;
}

}  // namespace ha::director
