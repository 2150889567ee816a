#!/bin/sh
# Runs inside the booted clean root (systemd as PID 1, its own network namespace), as a oneshot
# unit: starts directord.service with its hardening, looks at it from outside (systemd) and inside
# (/proc/PID/status, directorctl), reloads, stops, writes the findings to /sandbox.out for
# test_install.sh to judge, and powers the container off.
exec >/sandbox.out 2>&1
systemctl start directord.service; echo "start=$?"
pid=$(systemctl show -p MainPID --value directord.service)
echo "pid=$pid"
for i in 1 2 3 4 5 6 7 8 9 10; do
  directorctl list >/dev/null 2>&1 && break
  sleep 0.5
done
systemctl show -p ActiveState -p SubState -p NRestarts directord.service
grep -E '^(CapBnd|CapEff|NoNewPrivs|Seccomp):' "/proc/$pid/status"
vip_state() { if grep -q ' 192\.0\.2\.10$' /proc/net/fib_trie; then echo "vip_$1=present"; else echo "vip_$1=absent"; fi; }
vip_state running
echo "--- directorctl list"; directorctl list; echo "list=$?"
echo "--- directorctl status"; directorctl status; echo "status=$?"
sleep 2
echo "--- directorctl health"; directorctl health; echo "health=$?"
systemctl reload directord.service; echo "reload=$?"
sleep 1
systemctl show -p ActiveState -p MainPID directord.service | sed 's/^/after_reload_/'
systemctl stop directord.service; echo "stop=$?"
systemctl show -p ExecMainStatus -p Result directord.service
vip_state stopped
echo "--- journal"
journalctl -u directord.service --no-pager -o cat
echo "--- journal priorities"
journalctl -u directord.service --no-pager -o export | grep -a '^PRIORITY=' | sort | uniq -c
systemctl poweroff
