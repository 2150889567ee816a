#pragma once
// ipvsadm's edit commands, parsed as ipvsadm(8) spells them (short and long forms):
//   -A|-E|-D -t|-u VIP:PORT [-s SCHED] [-p [SECONDS]]
//   -a|-e|-d -t|-u VIP:PORT -r RIP[:PORT] [-w WEIGHT] [-g|-m|-i|-b]
//   -S [-n]        ipvsadm-save lines, which -R reads back
//   -R             ipvsadm-save lines on stdin, applied as one batch
// Pure: text in, an admin.proto Edit (or a reason) out; edit_verbs.cc sends it.
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "admin.pb.h"
#include "common/result.h"

namespace ha::director {

// ipvsadm's -p without a value (ipvsadm.c: DEF_PERSISTENT_TIMEOUT... "default 300 seconds").
inline constexpr uint32_t kDefaultPersistenceSec = 300;

struct EditCommand {
  enum class Verb : uint8_t { kEdit, kSave, kRestore };
  Verb verb = Verb::kEdit;
  directord::admin::Edit edit;  // kEdit
  bool numeric = false;         // -S -n (addresses are always printed as numbers)
};

// True when `arg` is one of the edit/save/restore commands, so directorctl hands the whole
// command line to this parser.
bool isEditVerb(std::string_view arg);

Result<EditCommand> parseEditArgs(const std::vector<std::string_view>& raw);

// -R: one ipvsadm-save line per edit (any of -A/-E/-D/-a/-e/-d); blank lines and lines starting
// with '#' are skipped. An error names the line and nothing is returned.
Result<directord::admin::EditBatch> parseRestore(std::istream& in);

// -S: "-A -t 192.0.2.1:80 -s rr [-p 300]" per service, then "-a -t 192.0.2.1:80 -r
// 198.51.100.11:80 -m -w 1" per real, in the list's order.
std::string formatSave(const directord::admin::ServiceList& list);

}  // namespace ha::director
