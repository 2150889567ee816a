#!/usr/bin/env python3
"""Checks directorctl's --json output against its text output (tests/netns/test_ctl_ipvsadm.sh).

  ctl_json_check.py envelope FILE KIND
      FILE parses as JSON with {"schema": "directord.admin.v1", "kind": KIND, "data": {...}}.
  ctl_json_check.py list TEXT JSON
      the -Ln text and the list JSON name the same services and reals with the same weights and
      ActiveConn/InActConn.
  ctl_json_check.py stats TEXT JSON
      the -Ln --stats (or --exact --stats) text and the JSON carry the same counters (scaled
      numbers compared as ipvsadm scales them).
  ctl_json_check.py conns TEXT JSON
      the -Lcn text and the connection JSON list the same flows; prints the row count.
Exit 1 with the difference on stderr when they disagree.
"""
import json
import sys

SCHEMA = "directord.admin.v1"


def load(path, kind):
    with open(path) as f:
        doc = json.load(f)
    if not isinstance(doc, dict) or set(doc) != {"schema", "kind", "data"}:
        sys.exit(f"{path}: not an envelope: {str(doc)[:200]}")
    if doc["schema"] != SCHEMA or doc["kind"] != kind:
        sys.exit(f"{path}: schema {doc['schema']!r} kind {doc['kind']!r}, wanted {SCHEMA} {kind}")
    if not isinstance(doc["data"], dict):
        sys.exit(f"{path}: data is not an object")
    return doc["data"]


def endpoint(address, port):
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def scaled(n):
    """ipvsadm's print_largenum, without the padding."""
    if n < 100000000:
        return str(n)
    if n < 1000000000:
        return f"{n // 1000}K"
    if n < 100000000000:
        return f"{n // 1000000}M"
    if n < 100000000000000:
        return f"{n // 1000000000}G"
    return f"{n // 1000000000000}T"


def text_table(path):
    """{service: {real: [columns after the endpoint]}} plus each service line's columns."""
    services, current = {}, None
    with open(path) as f:
        for line in f:
            words = line.split()
            if line.startswith(("TCP  ", "UDP  ")):
                current = f"{words[0]} {words[1]}"
                services[current] = {"_": words[2:]}
            elif line.startswith("  -> ") and current and len(words) > 2:
                services[current][words[1]] = words[2:]
    return services


def json_services(data):
    out = {}
    for s in data.get("services", []):
        out[f"{s['protocol']} {endpoint(s['vip'], s['port'])}"] = s
    return out


def check_list(text_path, json_path):
    text, data = text_table(text_path), json_services(load(json_path, "ServiceList"))
    if set(text) != set(data):
        sys.exit(f"services differ: text {sorted(text)} json {sorted(data)}")
    for name, s in data.items():
        reals = {endpoint(r["address"], r["port"]): r for r in s.get("reals", [])}
        if set(reals) != set(text[name]) - {"_"}:
            sys.exit(f"{name}: reals differ: text {sorted(text[name])} json {sorted(reals)}")
        if text[name]["_"][0] != s["scheduler"]:
            sys.exit(f"{name}: scheduler {text[name]['_'][0]} vs {s['scheduler']}")
        for ep, r in reals.items():
            fwd, weight, active, inactive = text[name][ep][:4]
            want_weight = r["weight"] if r["in_rotation"] else 0
            got = (int(weight), int(active), int(inactive))
            want = (want_weight, int(r["active_conns"]), int(r["inactive_conns"]))
            if got != want:
                sys.exit(f"{name} {ep}: text weight/active/inactive {got} json {want}")


def check_stats(text_path, json_path):
    text, data = text_table(text_path), json_services(load(json_path, "ServiceList"))
    if set(text) != set(data):
        sys.exit(f"services differ: text {sorted(text)} json {sorted(data)}")
    keys = ("conns", "in_packets", "out_packets", "in_bytes", "out_bytes")

    def same(label, columns, counters):
        want = [scaled(int(counters.get(k, 0))) for k in keys]
        exact = [str(int(counters.get(k, 0))) for k in keys]
        if columns[:5] not in (want, exact):
            sys.exit(f"{label}: text {columns[:5]} json {exact}")

    for name, s in data.items():
        same(name, text[name]["_"], s.get("counters", {}))
        for r in s.get("reals", []):
            ep = endpoint(r["address"], r["port"])
            same(f"{name} {ep}", text[name][ep], r.get("counters", {}))


def check_conns(text_path, json_path):
    data = load(json_path, "ConnectionList")
    rows = []
    with open(text_path) as f:
        lines = f.read().splitlines()
    if lines[:1] != ["IPVS connection entries"] or not lines[1].startswith("pro expire state"):
        sys.exit(f"not ipvsadm -Lcn's title: {lines[:2]}")
    for line in lines[2:]:
        w = line.split()
        rows.append((w[0], w[2], w[3], w[4], w[5]))
    want = []
    for c in data.get("connections", []):
        state = c["state"] or ("UDP" if c["protocol"] == "UDP" else "")
        want.append((c["protocol"], state, c["source"], c["virtual_service"], c["destination"]))
    if sorted(rows) != sorted(want):
        sys.exit(f"connections differ:\n text {sorted(rows)}\n json {sorted(want)}")
    if int(data["total"]) != len(want):
        sys.exit(f"total {data['total']} but {len(want)} rows")
    print(len(rows))


def main():
    cmd = sys.argv[1]
    if cmd == "envelope":
        load(sys.argv[2], sys.argv[3])
    elif cmd == "list":
        check_list(sys.argv[2], sys.argv[3])
    elif cmd == "stats":
        check_stats(sys.argv[2], sys.argv[3])
    elif cmd == "conns":
        check_conns(sys.argv[2], sys.argv[3])
    else:
        sys.exit(f"unknown check {cmd}")


if __name__ == "__main__":
    main()
