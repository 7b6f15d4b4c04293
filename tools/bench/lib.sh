# shellcheck shell=bash
# Shell helpers the benchmark scripts share (sourced, not run): starting our coordinator,
# waiting for a port or a process's end, and reading a process's memory and CPU time from /proc.

# Waits until 127.0.0.1:$1 accepts connections (up to 60 s).
wait_port() {
  for _ in $(seq 1 600); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2
  return 1
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
# utime + stime of a process, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# shellcheck disable=SC2034 # read by the scripts that source this file
ticks_per_second=$(getconf CLK_TCK)

# Waits up to $2 tenths of a second for process $1 to end; then SIGKILL.
await_exit() {
  for _ in $(seq 1 "$2"); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null
}

# start_coordinator WORK PORT BINARY: our coordinator on 127.0.0.1:PORT with its files under
# WORK/coordinator, waited for; sets coordinator_pid.
start_coordinator() {
  mkdir -p "$1/coordinator"
  cat >"$1/coordinator/zookeeper.properties" <<CFG
dataDir=$1/coordinator/data
clientPort=$2
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=*
CFG
  "$3" "$1/coordinator/zookeeper.properties" >"$1/coordinator/out.log" 2>&1 &
  # shellcheck disable=SC2034 # read by the scripts that source this file
  coordinator_pid=$!
  wait_port "$2"
}
