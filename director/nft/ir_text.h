#pragma once
// NftState and Transactions as stable, sorted text: golden tests, logs and `directord -t --dump`.
#include <string>

#include "director/nft/ir.h"

namespace ha::director::nft {

std::string toText(const Expr& e);
std::string toText(const Rule& r);
std::string toText(const NftState& s);
std::string toText(const Transaction& tx);  // one line per op
std::string hexWords(const Bytes& b);       // "c0000264.00000050": 4-byte groups
std::string ownerText(TableOwner owner);    // "owner,persist", as `nft list` names the flags
std::string objectKind(const ObjectDef& o);  // "ct timeout", "ct helper": as nft names them
std::string objectText(const ObjectDef& o);  // "ct helper ftp { type "ftp" protocol 6 }"

}  // namespace ha::director::nft
