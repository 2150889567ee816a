#pragma once
// Runs directorctl's ipvsadm edit commands (-A/-E/-D/-a/-e/-d, -S, -R) against directord:
// parsing is ipvsadm_edit_args.h; this sends one ApplyEdits batch (or reads the table for -S)
// and turns the answer into ipvsadm-like output and directorctl's exit codes.
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace ha::director {

// directorctl's exit codes for these commands (documented in directorctl --help).
inline constexpr int kEditExitOk = 0;
inline constexpr int kEditExitUnreachable = 1;
inline constexpr int kEditExitUsage = 2;          // bad flags or a bad value (usage line printed)
inline constexpr int kEditExitNotFound = 3;       // unknown service or real
inline constexpr int kEditExitKernelRefused = 4;  // nf_tables refused the change; nothing changed
inline constexpr int kEditExitDenied = 5;         // not root and not in admin_group
inline constexpr int kEditExitExists = 6;         // -A/-a of one that exists

inline constexpr std::string_view kEditUsage =
    "       directorctl [--admin-socket PATH] -A|-E -t|-u VIP:PORT [-s SCHED] [-p [SECONDS]]\n"
    "       directorctl [--admin-socket PATH] -D -t|-u VIP:PORT\n"
    "       directorctl [--admin-socket PATH] -a|-e -t|-u VIP:PORT -r RIP[:PORT] [-w WEIGHT] "
    "[-g|-m|-i|-b]\n"
    "       directorctl [--admin-socket PATH] -d -t|-u VIP:PORT -r RIP[:PORT]\n"
    "       directorctl [--admin-socket PATH] -S [-n]\n"
    "       directorctl [--admin-socket PATH] -R < SAVED\n"
    "       directorctl [--admin-socket PATH] --set TCP TCPFIN UDP\n";

inline constexpr std::string_view kEditHelp =
    "  -A -E -D add, edit, delete a virtual service (-s SCHED, default wlc as ipvsadm and the\n"
    "           config's lb_algo; -p [SECONDS]: persistence, 300 s without a value; -p 0 on -E\n"
    "           ends it)\n"
    "  -a -e -d add, edit, delete a real (-w WEIGHT, default 1 on -a; -w 0 drains: no new flows,\n"
    "           established ones finish; -g DR, -m NAT, -i TUN, -b FULLNAT: must be the service's\n"
    "           mode; a real alone in its service may change it). Omitted options keep their\n"
    "           value on -E/-e. Reals added here are not health-checked (as keepalived ignores\n"
    "           reals ipvsadm adds). Each edit is a runtime override, marked `*` in list (and\n"
    "           overrides/runtime_added in the API); the next reload or restart discards it.\n"
    "  -S [-n]  the table as ipvsadm-save lines (always numeric), which -R reads back\n"
    "  -R       apply ipvsadm-save lines from stdin as one transaction: all or nothing\n"
    "  --set TCP TCPFIN UDP  global lvs_timeouts in seconds (0 = unchanged, at most 31 days);\n"
    "           -L --timeout shows them; a runtime override like the others\n"
    "  edits need root or global_defs admin_group (checked with SO_PEERCRED)\n"
    "exit codes of edits: 0 ok; 1 directord unreachable; 2 bad flags or value (usage printed);\n"
    "            3 unknown service or real (named); 4 the kernel refused, nothing changed;\n"
    "            5 permission denied; 6 the service or real already exists\n";

// `args` starts at the command (e.g. {"-e", "-t", "192.0.2.1:80", ...}); returns the exit code.
int runEditVerb(const std::string& socketPath, const std::vector<std::string_view>& args,
                std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace ha::director
