# shellcheck shell=bash
# Servers for the client-address tests (test_real_toa.sh, test_toa.sh), sourced after lib.sh:
# Debian's nginx logging "$remote_addr $remote_port", and a way to start a server inside a
# cgroup v2 directory (where directord-real's TOA programs are attached) in a node's network
# namespace.

# toa_nginx_conf DIR: writes DIR/nginx.conf (listening on 80, IPv4 and IPv6; access log
# DIR/logs/access.log, one "$remote_addr $remote_port" line per request).
toa_nginx_conf() {
  local d=$1
  mkdir -p "$d/logs"
  cat >"$d/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 64; }
http {
    log_format toa '\$remote_addr \$remote_port';
    access_log $d/logs/access.log toa;
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    server {
        listen 80;
        listen [::]:80 ipv6only=on;
        default_type text/plain;
        location / { return 200 "nginx \$remote_addr\n"; }
    }
}
NGINX
}

# spawn_in_cgroup CGROUP NODE LOG cmd...: the server joins CGROUP before it opens a socket, runs
# in NODE's network namespace and the host's mount namespace (where the cgroup hierarchy is;
# ip netns exec remounts /sys), and is tracked like lab_spawn's processes (exec keeps the PID),
# so lab_stop_pid and lab_down stop it. Leaves the PID in LAB_LAST_PID.
spawn_in_cgroup() {
  local cg=$1 node=$2 log=$3; shift 3
  sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" nsenter --net="/run/netns/$(ns "$node")" "$@" >"$log" 2>&1 </dev/null &
  LAB_LAST_PID=$!
  echo "$LAB_LAST_PID $(_lab_starttime "$LAB_LAST_PID" || echo 0) $node $1" >>"$LAB_STATE_DIR/pids"
}
