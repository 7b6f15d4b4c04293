#!/usr/bin/env bash
# Side-by-side load run: the coordinator and Apache ZooKeeper 3.8 (Debian's package, default
# forceSync, via ../shared/peers/real-zookeeper.sh), the same zk-perf-test load against each,
# one after the other on this machine. Also measures idle RSS and time-to-ready of ours.
#
#   tools/bench/coordinator-vs-zookeeper.sh [seconds-per-workload] [sessions] [zk-perf-test flags…]
#   e.g. … 5 32 --client zookeeper-client     (the crate-based client instead of the raw one)
#
# Needs the release binaries (cargo build --release -p coordinator -p tools) and the peers
# (../shared/peers/install.sh). Writes only under a temp dir; prints markdown tables.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
seconds=${1:-5}
sessions=${2:-32}
shift $(( $# < 2 ? $# : 2 ))
extra=("$@")
target=${CARGO_TARGET_DIR:-$root/target}
coordinator=$target/release/coordinator
perf=$target/release/zk-perf-test
peers=${PEERS_DIR:-$root/../shared/peers}
work=$(mktemp -d /tmp/zk-bench.XXXXXX)
ours_port=22281
theirs_port=22282
trap '"$peers/real-zookeeper.sh" stop "$work/zookeeper" >/dev/null 2>&1 || true; [ -n "${ours_pid:-}" ] && kill "$ours_pid" 2>/dev/null; rm -rf "$work"' EXIT

workloads=create,setData,getData,exists,getChildren,delete,mixed,session-churn,watch

mkdir -p "$work/ours"
cat >"$work/ours/zookeeper.properties" <<CFG
dataDir=$work/ours/data
clientPort=$ours_port
clientPortAddress=127.0.0.1
tickTime=2000
maxClientCnxns=0
4lw.commands.whitelist=*
admin.enableServer=false
CFG

# Time from spawning the process to the first "imok" over TCP, polled every millisecond.
ready_ms=$(python3 - "$coordinator" "$work/ours/zookeeper.properties" "$ours_port" "$work/ours/out.log" <<'PY'
import socket, subprocess, sys, time
binary, config, port, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
start = time.monotonic()
subprocess.Popen([binary, config], stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
while time.monotonic() - start < 10:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"ruok")
            if s.recv(16) == b"imok":
                print(round((time.monotonic() - start) * 1000, 1))
                break
    except OSError:
        time.sleep(0.001)
PY
)
ours_pid=$(pgrep -f "^$coordinator $work/ours/zookeeper.properties")
sleep 1
idle_rss_kib=$(awk '/VmRSS/ {print $2}' /proc/$ours_pid/status)

echo "## coordinator (release build): ready in ${ready_ms} ms (first imok over TCP, process spawn included), idle RSS $((idle_rss_kib / 1024)) MiB (${idle_rss_kib} KiB)"
echo
"$perf" --connect 127.0.0.1:$ours_port --sessions "$sessions" --duration "${seconds}s" --payload-bytes 100 --workload "$workloads" "${extra[@]}"
echo "peak RSS under load: $(awk '/VmHWM/ {print $2}' /proc/$ours_pid/status) KiB"
kill "$ours_pid"; wait "$ours_pid" 2>/dev/null || true; ours_pid=

echo
echo "## Apache ZooKeeper 3.8 (Debian package, forceSync=yes)"
echo
zk_pid=$("$peers/real-zookeeper.sh" start $theirs_port "$work/zookeeper")
sleep 1
echo "idle RSS: $(awk '/VmRSS/ {print $2}' /proc/$zk_pid/status) KiB"
"$perf" --connect 127.0.0.1:$theirs_port --sessions "$sessions" --duration "${seconds}s" --payload-bytes 100 --workload "$workloads" "${extra[@]}"
echo "peak RSS under load: $(awk '/VmHWM/ {print $2}' /proc/$zk_pid/status) KiB"
