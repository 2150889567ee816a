#!/usr/bin/env bash
# Installs every build, test and benchmark dependency of directord from Debian packages.
# Idempotent: packages already present are left alone; safe to run on every CI start.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  # compiler cache: scripts/test.sh builds three presets; a second run on the same machine hits it
  ccache
  # style gate (scripts/check-style.sh): clang-format, git-clang-format, clang-tidy, clang-tidy-diff
  clang-format clang-tidy
  # libraries
  libnftnl-dev libmnl-dev libnl-3-dev libnl-route-3-dev libnetfilter-conntrack-dev
  libboost-dev libboost-system-dev
  libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc
  libssl-dev libgtest-dev libgmock-dev
  # the eBPF datapath (director/bpf): clang -target bpf, bpftool gen skeleton, libbpf
  clang libbpf-dev bpftool
  # sd_notify for systemd Type=notify and the watchdog (director/main/systemd_notify.cc)
  libsystemd-dev
  # Prometheus /metrics (director/metrics: prometheus-cpp's core + pull, civetweb)
  prometheus-cpp-dev
  # tools the tests, the demo and the benchmarks use
  nftables conntrack iproute2 iputils-ping curl python3 procps psmisc ethtool
  wrk iperf3 haproxy tcpdump
  # packets built and dissected by an implementation not ours (tests/netns/test_tun*.sh, test_toa*.sh)
  python3-scapy
  # VRRP interop and wire checks (tests/netns/test_vrrp_keepalived*.sh, bench/failover.sh)
  keepalived tshark
  # connection-sync comparison (bench/sync.sh runs keepalived + conntrackd beside directord)
  conntrackd
  # fast real servers for benchmarks (tests/netns/lib.sh: start_reals nginx)
  nginx
  # the install test (tests/install/test_install.sh): dpkg-shlibdeps, a clean root, lintian, systemd-nspawn
  dpkg-dev debootstrap lintian systemd-container
  # a real Prometheus server and promtool scrape /metrics (tests/netns/test_metrics_prometheus.sh)
  prometheus
  # FTP servers on the reals (tests/netns/test_ftp.sh runs its own instances; never the system one)
  vsftpd
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi

# vsftpd's package enables and starts a system FTP server on port 21 of the host. The tests only
# need the binary: mask the unit before the install (invoke-rc.d then skips the start, and
# deb-systemd-helper leaves an administrator's mask alone), and stop/disable whatever started.
installing_vsftpd=0
[[ " ${missing[*]} " == *" vsftpd "* ]] && installing_vsftpd=1
systemd_running() { [ -d /run/systemd/system ]; }
if [ "$installing_vsftpd" = 1 ] && systemd_running; then
  $sudo systemctl mask vsftpd.service >/dev/null
fi

$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

if [ "$installing_vsftpd" = 1 ]; then
  if systemd_running; then
    $sudo systemctl stop vsftpd.service 2>/dev/null || true
  elif [ -x /etc/init.d/vsftpd ]; then  # sysvinit: the init script may have started it
    $sudo /etc/init.d/vsftpd stop >/dev/null 2>&1 || true
    $sudo update-rc.d vsftpd disable >/dev/null 2>&1 || true
  fi
  echo "install-deps: vsftpd installed with its system service off (masked under systemd)"
fi
