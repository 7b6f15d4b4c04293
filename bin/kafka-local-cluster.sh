#!/usr/bin/env bash
# Runs a local cluster on this machine: one coordinator and N brokers, each in the
# background through the start scripts' -daemon mode.
#
#   bin/kafka-local-cluster.sh start [N]   N brokers (default 3), ids 0..N-1
#   bin/kafka-local-cluster.sh status      what runs, and which brokers are registered
#   bin/kafka-local-cluster.sh stop        brokers first (SIGTERM, controlled), then the
#                                          coordinator
#
# Configuration: the coordinator uses config/zookeeper.properties; brokers 0, 1, 2 use
# config/server.properties, server-1.properties and server-2.properties; broker K >= 3 gets
# server-K.properties, written into the run dir from server.properties with broker.id K,
# port 9092+K and log dir /tmp/kafka-logs-K. `start` waits until every broker is registered
# in the coordinator (/brokers/ids) and prints what it started.
#
# The run dir keeps one pid file per process, the generated configs and each process's
# console output (<run>/logs/<name>/...). Environment overrides (for tests, or a second
# cluster beside the default one):
#   KAFKA_CLUSTER_RUN_DIR     run dir (default /tmp/kafka-local-cluster)
#   KAFKA_CLUSTER_CONFIG_DIR  where the configs above are read (default <repo>/config)
#   KAFKA_CLUSTER_ZK_PORT     coordinator client port (default: the config's clientPort)
#   KAFKA_CLUSTER_BASE_PORT   broker K listens on BASE+K (default: the configs' ports)
#   KAFKA_CLUSTER_HOST        listener host when BASE_PORT is set (default: all interfaces)
#   KAFKA_CLUSTER_DATA_DIR    coordinator data in <dir>/zookeeper, broker K logs in
#                             <dir>/kafka-logs-K (default: the configs' dirs)
#   KAFKA_CLUSTER_START_TIMEOUT  seconds to wait for the registrations (default 60)
# Binaries are those bin/run-binary.sh runs ($CARGO_TARGET_DIR/release, built when missing).
set -euo pipefail

bin_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$bin_dir/.." && pwd)
run_dir=${KAFKA_CLUSTER_RUN_DIR:-/tmp/kafka-local-cluster}
config_dir=${KAFKA_CLUSTER_CONFIG_DIR:-$root/config}
start_timeout=${KAFKA_CLUSTER_START_TIMEOUT:-60}
target_dir=${CARGO_TARGET_DIR:-$root/target}
case $target_dir in
  /*) ;;
  *) target_dir=$PWD/$target_dir ;;
esac

usage() {
  echo "USAGE: $0 start [number of brokers] | stop | status"
  exit 1
}

# The value of key $2 in properties file $1 (empty when absent).
property() {
  sed -n "s/^[[:space:]]*$2[[:space:]]*[=:][[:space:]]*//p" "$1" | tail -n 1
}

# Copies properties file $1 to $2 with the key=value pairs $3... replacing those keys.
write_properties() {
  local source=$1 target=$2
  shift 2
  local filter=() pair
  for pair in "$@"; do
    filter+=(-e "/^[[:space:]]*${pair%%=*}[[:space:]]*[=:]/d")
  done
  sed "${filter[@]}" "$source" >"$target"
  for pair in "$@"; do
    echo "$pair" >>"$target"
  done
}

# $1 with the characters of extended regular expressions escaped.
escape_regex() {
  # shellcheck disable=SC2016 # the sed program is meant literally
  printf '%s' "$1" | sed 's/[][\.|$(){}?+*^]/\\&/g'
}

# The pid of the newest process whose command line starts with executable $1 and contains
# the text $2, or nothing. The start scripts return once the background process is forked;
# it may take a moment to exec the binary.
find_pid() {
  local pattern pid attempt
  pattern="^$(escape_regex "$1") .*$(escape_regex "$2")( |\$)"
  for ((attempt = 0; attempt < 100; attempt++)); do
    pid=$(pgrep -n -f "$pattern" || true)
    if [ -n "$pid" ]; then
      echo "$pid"
      return
    fi
    sleep 0.1
  done
}

is_running() {
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null
}

pid_of() {
  local file="$run_dir/$1.pid"
  if [ -f "$file" ]; then
    cat "$file"
  fi
}

# Waits up to $2 seconds for pid $1 to exit; 0 when it did.
wait_exit() {
  local pid=$1 deadline=$((SECONDS + $2))
  while is_running "$pid"; do
    if [ $SECONDS -ge "$deadline" ]; then
      return 1
    fi
    sleep 0.2
  done
}

zk_port() {
  if [ -n "${KAFKA_CLUSTER_ZK_PORT:-}" ]; then
    echo "$KAFKA_CLUSTER_ZK_PORT"
  else
    local port
    port=$(property "$config_dir/zookeeper.properties" clientPort)
    echo "${port:-2181}"
  fi
}

# The ids registered under /brokers/ids, as zookeeper-shell prints them ("[0, 1, 2]").
registered_brokers() {
  "$bin_dir/zookeeper-shell.sh" "127.0.0.1:$(zk_port)" ls /brokers/ids 2>/dev/null |
    grep -E '^\[[0-9, ]*\]$' | tail -n 1 || true
}

start() {
  local count=${1:-3}
  if ! [[ $count =~ ^[1-9][0-9]*$ ]]; then
    echo "The number of brokers must be a positive integer, got: $count"
    exit 1
  fi
  if is_running "$(pid_of coordinator)"; then
    echo "A local cluster already runs from $run_dir (see '$0 status'); stop it first."
    exit 1
  fi
  mkdir -p "$run_dir/logs"
  rm -f "$run_dir"/*.pid
  echo "$count" >"$run_dir/cluster.size"
  local port
  port=$(zk_port)

  # The coordinator runs from a copy of its config in the run dir: the copy carries the
  # overrides and its path names this cluster's process.
  local zk_config="$run_dir/zookeeper.properties" zk_settings=("clientPort=$port")
  if [ -n "${KAFKA_CLUSTER_DATA_DIR:-}" ]; then
    zk_settings+=("dataDir=$KAFKA_CLUSTER_DATA_DIR/zookeeper")
  fi
  write_properties "$config_dir/zookeeper.properties" "$zk_config" "${zk_settings[@]}"
  LOG_DIR="$run_dir/logs/coordinator" "$bin_dir/zookeeper-server-start.sh" -daemon "$zk_config"
  local zk_pid
  zk_pid=$(find_pid "$target_dir/release/coordinator" "$zk_config")
  if ! is_running "$zk_pid"; then
    echo "The coordinator did not start; see $run_dir/logs/coordinator/zookeeper.out"
    exit 1
  fi
  echo "$zk_pid" >"$run_dir/coordinator.pid"
  local deadline=$((SECONDS + start_timeout))
  until (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if [ $SECONDS -ge "$deadline" ] || ! is_running "$zk_pid"; then
      echo "The coordinator does not accept connections on port $port; see $run_dir/logs/coordinator/zookeeper.out"
      exit 1
    fi
    sleep 0.2
  done
  echo "Started the coordinator (pid $zk_pid) on port $port with $zk_config, data in $(property "$zk_config" dataDir)"

  local id config log_dirs broker_port settings pid
  for ((id = 0; id < count; id++)); do
    case $id in
      0) config="$config_dir/server.properties" ;;
      1 | 2) config="$config_dir/server-$id.properties" ;;
      *)
        config="$run_dir/server-$id.properties"
        write_properties "$config_dir/server.properties" "$config" \
          "broker.id=$id" "listeners=PLAINTEXT://:$((9092 + id))" "log.dirs=/tmp/kafka-logs-$id"
        ;;
    esac
    if [ -n "${KAFKA_CLUSTER_DATA_DIR:-}" ]; then
      log_dirs="$KAFKA_CLUSTER_DATA_DIR/kafka-logs-$id"
    else
      log_dirs=$(property "$config" log.dirs)
      log_dirs=${log_dirs:-$(property "$config" log.dir)}
      log_dirs=${log_dirs:-/tmp/kafka-logs}
    fi
    # log.dirs is always passed: it makes each broker's command line its own.
    settings=(--override "log.dirs=$log_dirs" --override "zookeeper.connect=127.0.0.1:$port")
    if [ -n "${KAFKA_CLUSTER_BASE_PORT:-}" ]; then
      broker_port=$((KAFKA_CLUSTER_BASE_PORT + id))
      settings+=(--override "listeners=PLAINTEXT://${KAFKA_CLUSTER_HOST:-}:$broker_port")
    else
      broker_port=$(property "$config" listeners)
      broker_port=${broker_port##*:}
      broker_port=${broker_port:-9092}
    fi
    LOG_DIR="$run_dir/logs/broker-$id" "$bin_dir/kafka-server-start.sh" -daemon "$config" "${settings[@]}"
    pid=$(find_pid "$target_dir/release/broker" "--override log.dirs=$log_dirs")
    if ! is_running "$pid"; then
      echo "Broker $id did not start; see $run_dir/logs/broker-$id/kafkaServer.out"
      exit 1
    fi
    echo "$pid" >"$run_dir/broker-$id.pid"
    echo "Started broker $id (pid $pid) on port $broker_port with $config, logs in $log_dirs"
  done

  local expected registered
  expected="[$(seq -s ', ' 0 $((count - 1)))]"
  until [ "$(registered_brokers)" = "$expected" ]; do
    if [ $SECONDS -ge "$deadline" ]; then
      echo "Not every broker registered within ${start_timeout}s (registered: $(registered_brokers)); see $run_dir/logs"
      exit 1
    fi
    for ((id = 0; id < count; id++)); do
      if ! is_running "$(pid_of "broker-$id")"; then
        echo "Broker $id exited; see $run_dir/logs/broker-$id/kafkaServer.out"
        exit 1
      fi
    done
    sleep 0.5
  done
  registered=$(registered_brokers)
  echo "Cluster ready: $count broker(s) registered $registered, coordinator at 127.0.0.1:$port"
}

status() {
  if [ ! -f "$run_dir/coordinator.pid" ]; then
    echo "No local cluster in $run_dir"
    exit 1
  fi
  local healthy=0 pid count id
  pid=$(pid_of coordinator)
  if is_running "$pid"; then
    echo "coordinator: running (pid $pid), port $(zk_port)"
  else
    echo "coordinator: stopped"
    healthy=1
  fi
  count=$(cat "$run_dir/cluster.size" 2>/dev/null || echo 0)
  for ((id = 0; id < count; id++)); do
    pid=$(pid_of "broker-$id")
    if is_running "$pid"; then
      echo "broker $id: running (pid $pid)"
    else
      echo "broker $id: stopped"
      healthy=1
    fi
  done
  if is_running "$(pid_of coordinator)"; then
    echo "registered brokers: $(registered_brokers)"
  fi
  exit $healthy
}

stop() {
  local any=0 id pid count signalled=()
  count=$(cat "$run_dir/cluster.size" 2>/dev/null || echo 0)
  # Every broker gets SIGTERM at once (each runs its controlled shutdown), then each is
  # waited for; the coordinator goes last so the brokers can deregister.
  for ((id = 0; id < count; id++)); do
    pid=$(pid_of "broker-$id")
    signalled[id]=""
    if is_running "$pid"; then
      kill -TERM "$pid"
      signalled[id]=$pid
      any=1
    fi
  done
  for ((id = 0; id < count; id++)); do
    pid=${signalled[id]}
    if [ -n "$pid" ]; then
      if wait_exit "$pid" 60; then
        echo "Stopped broker $id (pid $pid)"
      else
        echo "Broker $id (pid $pid) did not exit within 60s"
      fi
    fi
    rm -f "$run_dir/broker-$id.pid"
  done
  pid=$(pid_of coordinator)
  if is_running "$pid"; then
    kill -TERM "$pid"
    any=1
    if wait_exit "$pid" 30; then
      echo "Stopped the coordinator (pid $pid)"
    else
      echo "The coordinator (pid $pid) did not exit within 30s"
    fi
  fi
  rm -f "$run_dir/coordinator.pid"
  if [ $any -eq 0 ]; then
    echo "No local cluster to stop"
    exit 1
  fi
}

case ${1:-} in
  start)
    [ $# -le 2 ] || usage
    start "${2:-3}"
    ;;
  stop)
    [ $# -eq 1 ] || usage
    stop
    ;;
  status)
    [ $# -eq 1 ] || usage
    status
    ;;
  *) usage ;;
esac
