#!/usr/bin/env bash
# Side-by-side load run: our broker and a real Apache Kafka broker (0.9.0.1, Java, ZooKeeper
# mode, via ../shared/peers/apache-kafka-0.9.sh), both on one coordinator of ours, the same
# librdkafka load (tools/examples/rdkafka-load.rs) against each, alternating broker by broker
# for every workload, ROUNDS times. Samples each broker's CPU time (/proc/<pid>/stat) around
# every run and its RSS (VmRSS idle before any load, after each run, VmHWM at the end), then
# prints a markdown table of medians with ratios ours/Kafka.
#
#   tools/bench/broker-vs-kafka.sh [rounds] [records-100B] [records-1KiB] [latency-rate] [latency-seconds]
#   e.g. tools/bench/broker-vs-kafka.sh 3 2000000 500000 10000 10
#
# Workloads per round: produce 100 B and 1 KiB records at acks=1 and acks=all, consume each
# produced topic from offset 0, and end-to-end latency at a fixed rate (100 B, acks=1,
# linger.ms=0): one partition, one client instance, topics created by the first produce
# (auto-creation, num.partitions=1). Then the 100 B acks=1 produce and its consume again on
# a two-partition topic (its znode written through the coordinator before the round) with
# two client instances, one per partition: librdkafka handles a broker connection on one
# thread, so on two cores one consumer instance is bound by its own parsing thread.
#
# Environment: PROFILE=release|debug (default release; debug only for trying the script),
# TARGETS="ours kafka" (run against a subset), LOAD_FLAGS (extra rdkafka-load flags for every
# run, e.g. "-X queue.buffering.max.messages=1000000"), CONSUME_FLAGS (extra flags of the
# consume runs; default "-X fetch.queue.backoff.ms=0": librdkafka otherwise pauses fetching
# for up to a second each time its prefetch queue passes queued.min.messages, and the run
# measures that pause instead of the broker), KAFKA_CACHE (where the peer's jars
# stay between runs; default ~/.cache/broker-bench/kafka-0.9.0.1), PEERS_DIR,
# CARGO_TARGET_DIR, KEEP=1 (keep the work dir). The 0.9 broker speaks the pre-0.10 protocol, so its runs add
# -X api.version.request=false -X broker.version.fallback=0.9.0.1.
#
# Needs java and npm (the peer downloads its jars the first time). Writes only under a temp
# dir and the jar cache; ports 23181 (coordinator), 23092 (ours), 23093 (Kafka).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rounds=${1:-3}
records_small=${2:-2000000}
records_large=${3:-500000}
latency_rate=${4:-10000}
latency_seconds=${5:-10}
profile=${PROFILE:-release}
targets=${TARGETS:-ours kafka}
read -r -a load_flags <<<"${LOAD_FLAGS:-}"
read -r -a consume_flags <<<"${CONSUME_FLAGS--X fetch.queue.backoff.ms=0}"
peers=${PEERS_DIR:-$root/../shared/peers}
target_dir=${CARGO_TARGET_DIR:-$root/target}
kafka_cache=${KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/broker-bench/kafka-0.9.0.1}
zk_port=23181
ours_port=23092
kafka_port=23093

case "$profile" in
release) cargo_flags=(--release) ;;
debug) cargo_flags=() ;;
*) echo "PROFILE must be release or debug" >&2; exit 2 ;;
esac
bin=$target_dir/$profile
load=$bin/examples/rdkafka-load

want() { [[ " $targets " == *" $1 "* ]]; }

echo "building ($profile)…" >&2
(cd "$root" && cargo build "${cargo_flags[@]}" -q -p coordinator -p broker -p tools --bins --example rdkafka-load)

work=$(mktemp -d /tmp/broker-bench.XXXXXX)
coordinator_pid=
ours_pid=
kafka_pid=
# Brokers first (Kafka's controlled shutdown needs the coordinator), then the coordinator.
cleanup() {
  set +e
  if [ -n "$ours_pid" ]; then kill "$ours_pid" 2>/dev/null; await_exit "$ours_pid" 300; fi
  if [ -n "$kafka_pid" ]; then
    "$peers/apache-kafka-0.9.sh" stop "$work/kafka" >/dev/null 2>&1
    await_exit "$kafka_pid" 300
  fi
  if [ -n "$coordinator_pid" ]; then kill "$coordinator_pid" 2>/dev/null; await_exit "$coordinator_pid" 100; fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# wait_port, await_exit, start_coordinator, rss_kib, hwm_kib, cpu_ticks, ticks_per_second.
# shellcheck source=tools/bench/lib.sh
source "$root/tools/bench/lib.sh"

start_coordinator "$work" "$zk_port" "$bin/coordinator"

declare -A pid_of flags_of bootstrap_of idle_rss_of
if want ours; then
  mkdir -p "$work/ours"
  cp "$root/config/server.properties" "$work/ours/server.properties"
  "$bin/broker" "$work/ours/server.properties" \
    --override broker.id=0 \
    --override "listeners=PLAINTEXT://127.0.0.1:$ours_port" \
    --override "advertised.listeners=PLAINTEXT://127.0.0.1:$ours_port" \
    --override "log.dirs=$work/ours/kafka-logs" \
    --override "zookeeper.connect=127.0.0.1:$zk_port" \
    --override num.partitions=1 \
    --override auto.create.topics.enable=true \
    >"$work/ours/out.log" 2>&1 &
  ours_pid=$!
  wait_port $ours_port
  pid_of[ours]=$ours_pid
  flags_of[ours]=""
  bootstrap_of[ours]=127.0.0.1:$ours_port
fi
if want kafka; then
  # The peer's jars (downloaded by the first run through npm) are kept in the cache dir.
  mkdir -p "$work/kafka"
  if [ -d "$kafka_cache/libs" ]; then ln -s "$kafka_cache" "$work/kafka/kafka"; fi
  kafka_pid=$("$peers/apache-kafka-0.9.sh" start $kafka_port "127.0.0.1:$zk_port" "$work/kafka")
  if [ ! -d "$kafka_cache/libs" ]; then
    mkdir -p "$(dirname "$kafka_cache")" && cp -r "$work/kafka/kafka" "$kafka_cache"
  fi
  pid_of[kafka]=$kafka_pid
  flags_of[kafka]="-X api.version.request=false -X broker.version.fallback=0.9.0.1"
  bootstrap_of[kafka]=127.0.0.1:$kafka_port
fi
# Idle RSS: a second after the port opened, before any client connected.
sleep 1
for name in $targets; do idle_rss_of[$name]=$(rss_kib "${pid_of[$name]}"); done

results=$work/results.jsonl
# run NAME WORKLOAD ROUND rdkafka-load-args…: one load run against broker NAME, its JSON
# summary extended with the broker's CPU and RSS.
run() {
  local name=$1 workload=$2 round=$3
  shift 3
  local pid=${pid_of[$name]} before after start end line status=0
  read -r -a extra <<<"${flags_of[$name]}"
  before=$(cpu_ticks "$pid")
  start=$(date +%s.%N)
  line=$("$load" "$@" --bootstrap "${bootstrap_of[$name]}" --json "${extra[@]}" "${load_flags[@]}") || status=$?
  end=$(date +%s.%N)
  after=$(cpu_ticks "$pid")
  [ $status -eq 0 ] || echo "warning: $name $workload round $round exited $status: $line" >&2
  python3 - "$line" "$name" "$workload" "$round" "$before" "$after" "$start" "$end" \
    "$ticks_per_second" "$(rss_kib "$pid")" "$status" >>"$results" <<'PY'
import json, sys
line, name, workload, rnd, before, after, start, end, hz, rss, status = sys.argv[1:]
try:
    summary = json.loads(line)
except ValueError:
    summary = {}
wall = float(end) - float(start)
cpu_s = (int(after) - int(before)) / int(hz)
summary.update(broker=name, workload=workload, round=int(rnd), cpu_s=cpu_s,
               cpu_pct=100 * cpu_s / wall if wall > 0 else 0, rss_kib=int(rss),
               exit_status=int(status))
print(json.dumps(summary))
PY
  echo "$name $workload round $round: $line" >&2
}

for round in $(seq 1 "$rounds"); do
  # Alternate which broker goes first from round to round.
  order=$targets
  if [ $((round % 2)) -eq 0 ]; then order=$(echo "$targets" | awk '{for (i = NF; i > 0; i--) printf "%s ", $i}'); fi
  for name in $targets; do
    # Two-partition topic, both partitions on broker 0 (Kafka 0.9 lives under /kafka09).
    prefix=""
    [ "$name" = kafka ] && prefix=/kafka09
    "$bin/zookeeper-shell" "127.0.0.1:$zk_port" create "$prefix/brokers/topics/s2-r$round" \
      '{"version":1,"partitions":{"0":[0],"1":[0]}}' >/dev/null 2>&1
  done
  for workload in produce-100B-acks1 produce-1KiB-acks1 produce-100B-acksall produce-1KiB-acksall \
    consume-100B consume-1KiB latency-100B produce-100B-acks1-2x consume-100B-2x; do
    for name in $order; do
      case $workload in
      produce-100B-acks1) run "$name" "$workload" "$round" produce --topic "s1-r$round" \
        --records "$records_small" --record-size 100 --acks 1 ;;
      produce-1KiB-acks1) run "$name" "$workload" "$round" produce --topic "l1-r$round" \
        --records "$records_large" --record-size 1024 --acks 1 ;;
      produce-100B-acksall) run "$name" "$workload" "$round" produce --topic "sa-r$round" \
        --records "$records_small" --record-size 100 --acks all ;;
      produce-1KiB-acksall) run "$name" "$workload" "$round" produce --topic "la-r$round" \
        --records "$records_large" --record-size 1024 --acks all ;;
      consume-100B) run "$name" "$workload" "$round" consume --topic "s1-r$round" \
        --records "$records_small" "${consume_flags[@]}" ;;
      consume-1KiB) run "$name" "$workload" "$round" consume --topic "l1-r$round" \
        --records "$records_large" "${consume_flags[@]}" ;;
      produce-100B-acks1-2x) run "$name" "$workload" "$round" produce --topic "s2-r$round" \
        --records "$records_small" --record-size 100 --acks 1 --instances 2 ;;
      consume-100B-2x) run "$name" "$workload" "$round" consume --topic "s2-r$round" \
        --records "$records_small" --instances 2 "${consume_flags[@]}" ;;
      latency-100B) run "$name" "$workload" "$round" latency --topic "lat-r$round" \
        --rate "$latency_rate" --seconds "$latency_seconds" --record-size 100 --acks 1 \
        --linger-ms 0 ;;
      esac
    done
  done
done

peak=""
for name in $targets; do peak="$peak $name=$(hwm_kib "${pid_of[$name]}")"; done
idle=""
for name in $targets; do idle="$idle $name=${idle_rss_of[$name]}"; done

python3 - "$results" "$rounds" "$profile" "$idle" "$peak" <<'PY'
import json, statistics, sys
path, rounds, profile, idle, peak = sys.argv[1:]
runs = [json.loads(line) for line in open(path)]
idle = dict(item.split("=") for item in idle.split())
peak = dict(item.split("=") for item in peak.split())
names = [n for n in ("ours", "kafka") if any(r["broker"] == n for r in runs)]
label = {"ours": "ours", "kafka": "Kafka 0.9"}

def median(workload, name, key):
    values = [r[key] for r in runs if r["workload"] == workload and r["broker"] == name and key in r]
    return statistics.median(values) if values else None

def cell(value, digits=1):
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"

def ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b not in (None, 0) else "n/a"

print(f"## broker vs Apache Kafka 0.9.0.1 ({profile} build, median of {rounds} round(s), "
      "librdkafka rdkafka-load on the same machine)")
print()
mib = lambda kib: f"{int(kib) / 1024:.1f} MiB"
print("idle RSS: " + ", ".join(f"{label[n]} {mib(idle[n])}" for n in names)
      + "; peak RSS: " + ", ".join(f"{label[n]} {mib(peak[n])}" for n in names))
print()
workloads = []
for r in runs:
    if r["workload"] not in workloads:
        workloads.append(r["workload"])
both = len(names) == 2
for kind, columns in (
    ("produce", [("records_per_s", "records/s", 0), ("mb_per_s", "MB/s", 1),
                 ("latency_p50_ms", "p50 ms", 2), ("latency_p99_ms", "p99 ms", 2)]),
    ("consume", [("records_per_s", "records/s", 0), ("mb_per_s", "MB/s", 1)]),
    ("latency", [("e2e_p50_ms", "e2e p50 ms", 2), ("e2e_p99_ms", "e2e p99 ms", 2),
                 ("e2e_p999_ms", "e2e p99.9 ms", 2), ("e2e_max_ms", "e2e max ms", 2)]),
):
    columns = columns + [("cpu_pct", "broker CPU %", 0), ("rss_kib", "RSS MiB", 1)]
    header = ["workload"]
    for _, title, _ in columns:
        header += [f"{title} {label[n]}" for n in names] + (["ratio"] if both else [])
    rows = []
    for workload in (w for w in workloads if w.startswith(kind)):
        row = [workload]
        for key, _, digits in columns:
            values = [median(workload, n, key) for n in names]
            if key == "rss_kib":
                values = [v / 1024 if v is not None else None for v in values]
            row += [cell(v, digits) for v in values]
            if both:
                row.append(ratio(values[0], values[1]))
        rows.append(row)
    if not rows:
        continue
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
failed = [r for r in runs if r.get("exit_status")]
if failed:
    print(f"{len(failed)} run(s) did not complete cleanly: "
          + ", ".join(f"{r['broker']} {r['workload']} round {r['round']}" for r in failed))
print("ratio = ours / Kafka (higher is better for records/s and MB/s, lower for latency, CPU, RSS)")
PY
