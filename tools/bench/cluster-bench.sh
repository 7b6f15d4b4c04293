#!/usr/bin/env bash
# Replicated-cluster benchmark: one coordinator and three brokers of ours on this machine,
# the librdkafka load of tools/examples/rdkafka-load against topics of replication factor 3,
# ROUNDS times, then the failover measurements of tools/examples/failover-bench. Samples each
# broker's CPU time (/proc/<pid>/stat) around every run and its RSS (VmRSS idle before any
# load, after each run, VmHWM at the end), and prints markdown tables of medians.
#
#   tools/bench/cluster-bench.sh [rounds] [records-100B] [records-1KiB] [latency-rate] [latency-seconds]
#   e.g. tools/bench/cluster-bench.sh 3 2000000 500000 10000 10
#
# Workloads per round, each on a new one-partition topic created through
# target/<profile>/kafka-topics just before its run, warmed up by an untimed acks=all produce
# of 1,000 records (the client knows the leader and the followers are fetching when the clock
# starts), and deleted right after the run (nothing reads it back, and three copies of every
# record would otherwise pile up on the disk):
# - produce 100 B and 1 KiB records at acks=1 and acks=all, replication factor 3 (the
#   topic's leader is whichever broker the assignment picked; the tables split the CPU into
#   that leader's and the two followers');
# - the single-broker reference: produce 100 B and 1 KiB at acks=1 to a topic of replication
#   factor 1 placed on broker 0 (`--replica-assignment 0`) of the same cluster, so the
#   "acks=all at least half of single-broker acks=1" ratio comes from figures of one run
#   (the other two brokers are idle meanwhile);
# - end-to-end latency at a fixed rate (100 B, linger.ms=0): acks=all on replication factor 3
#   (a consumer sees a record once every in-sync replica has it), and acks=1 on the
#   single-broker topic for comparison.
# Then the cluster is stopped and failover-bench starts its own coordinator and three brokers
# (same binaries; free ports) for FAILOVER_ROUNDS rounds of a kill -9 and a controlled
# shutdown of the broker leading most of a FAILOVER_PARTITIONS-partition topic of replication
# factor 3 under an idempotent acks=all producer, with zookeeper.session.timeout.ms at
# SESSION_TIMEOUT_MS.
#
# Environment: PROFILE=release|debug (default release; debug only for trying the script),
# PARTS="throughput failover" (run a subset), LOAD_FLAGS (extra rdkafka-load flags for every
# run, e.g. "-X queue.buffering.max.messages=1000000"), FAILOVER_ROUNDS (default: rounds),
# FAILOVER_PARTITIONS (default 100), SESSION_TIMEOUT_MS (default 6000, the brokers' of both
# parts), FAILOVER_FLAGS (extra failover-bench flags, e.g. "--interval-ms 20"),
# CARGO_TARGET_DIR, KEEP=1 (keep the work dir).
#
# Writes only under a temp dir; ports 24181 (coordinator), 24092-24094 (brokers 0-2).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rounds=${1:-3}
records_small=${2:-2000000}
records_large=${3:-500000}
latency_rate=${4:-10000}
latency_seconds=${5:-10}
profile=${PROFILE:-release}
parts=${PARTS:-throughput failover}
read -r -a load_flags <<<"${LOAD_FLAGS:-}"
read -r -a failover_flags <<<"${FAILOVER_FLAGS:-}"
failover_rounds=${FAILOVER_ROUNDS:-$rounds}
failover_partitions=${FAILOVER_PARTITIONS:-100}
session_timeout_ms=${SESSION_TIMEOUT_MS:-6000}
target_dir=${CARGO_TARGET_DIR:-$root/target}
zk_port=24181
broker_ports=(24092 24093 24094)

case "$profile" in
release) cargo_flags=(--release) ;;
debug) cargo_flags=() ;;
*) echo "PROFILE must be release or debug" >&2; exit 2 ;;
esac
bin=$target_dir/$profile
load=$bin/examples/rdkafka-load
failover=$bin/examples/failover-bench

want() { [[ " $parts " == *" $1 "* ]]; }

echo "building ($profile)…" >&2
(cd "$root" && cargo build "${cargo_flags[@]}" -q -p coordinator -p broker -p tools --bins \
  --example rdkafka-load --example failover-bench)

work=$(mktemp -d /tmp/cluster-bench.XXXXXX)
results=$work/results.jsonl
failover_results=$work/failover.jsonl
: >"$results"
: >"$failover_results"
coordinator_pid=
broker_pids=()
bootstrap=$(printf '127.0.0.1:%s,' "${broker_ports[@]}")
bootstrap=${bootstrap%,}

# Brokers first (their controlled shutdown needs the coordinator), then the coordinator.
stop_cluster() {
  local pid
  for pid in "${broker_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${broker_pids[@]}"; do await_exit "$pid" 300 || true; done
  broker_pids=()
  if [ -n "$coordinator_pid" ]; then
    kill "$coordinator_pid" 2>/dev/null || true
    await_exit "$coordinator_pid" 100 || true
  fi
  coordinator_pid=
}
cleanup() {
  set +e
  stop_cluster
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# wait_port, await_exit, start_coordinator, rss_kib, hwm_kib, cpu_ticks, ticks_per_second.
# shellcheck source=tools/bench/lib.sh
source "$root/tools/bench/lib.sh"
# One value per broker, comma-separated: `per_broker cpu_ticks`.
per_broker() {
  local out="" pid
  for pid in "${broker_pids[@]}"; do out="$out,$("$1" "$pid")"; done
  echo "${out#,}"
}

topics() { "$bin/kafka-topics" --bootstrap-server "$bootstrap" "$@"; }
# create_topic NAME kafka-topics-flags…: retried for up to 30 s (the first one waits for the
# three brokers to register).
create_topic() {
  local name=$1
  shift
  for _ in $(seq 1 300); do
    if topics --create --topic "$name" "$@" >/dev/null 2>"$work/create.err"; then return 0; fi
    sleep 0.1
  done
  echo "creating topic $name failed: $(cat "$work/create.err")" >&2
  return 1
}
# The leader of partition 0 of topic $1, once it has one (up to 30 s; empty after that).
leader_of() {
  local leader
  for _ in $(seq 1 300); do
    leader=$({ topics --describe --topic "$1" 2>/dev/null || true; } |
      sed -n 's/.*Partition: 0[[:space:]]*Leader: \([0-9][0-9]*\).*/\1/p' | head -n 1)
    if [ -n "$leader" ]; then echo "$leader"; return 0; fi
    sleep 0.1
  done
}
# An untimed acks=all produce of 1,000 records to topic $1, so that a run starts with the
# leader known to the client and the followers fetching.
warm_up() {
  "$load" produce --topic "$1" --bootstrap "$bootstrap" --records 1000 --record-size 100 \
    --acks all --json "${load_flags[@]}" >/dev/null || echo "warning: warm-up of $1 failed" >&2
}

idle=""
part_started=$SECONDS
if want throughput; then
  start_coordinator "$work" "$zk_port" "$bin/coordinator"

  for id in 0 1 2; do
    port=${broker_ports[$id]}
    mkdir -p "$work/broker$id"
    cp "$root/config/server.properties" "$work/broker$id/server.properties"
    "$bin/broker" "$work/broker$id/server.properties" \
      --override broker.id=$id \
      --override "listeners=PLAINTEXT://127.0.0.1:$port" \
      --override "advertised.listeners=PLAINTEXT://127.0.0.1:$port" \
      --override "log.dirs=$work/broker$id/kafka-logs" \
      --override "zookeeper.connect=127.0.0.1:$zk_port" \
      --override "zookeeper.session.timeout.ms=$session_timeout_ms" \
      --override num.partitions=1 \
      --override auto.create.topics.enable=false \
      >"$work/broker$id/out.log" 2>&1 &
    broker_pids+=($!)
  done
  for port in "${broker_ports[@]}"; do wait_port "$port"; done
  # Idle RSS: a second after the ports opened, before any client connected.
  sleep 1
  idle=$(per_broker rss_kib)

  # run WORKLOAD ROUND TOPIC rdkafka-load-args…: one load run, its JSON summary extended with
  # the topic's leader and every broker's CPU and RSS.
  run() {
    local workload=$1 round=$2 topic=$3
    shift 3
    local before after start end line leader status=0
    leader=$(leader_of "$topic")
    before=$(per_broker cpu_ticks)
    start=$(date +%s.%N)
    line=$("$load" "$@" --topic "$topic" --bootstrap "$bootstrap" --json "${load_flags[@]}") || status=$?
    end=$(date +%s.%N)
    after=$(per_broker cpu_ticks)
    [ $status -eq 0 ] || echo "warning: $workload round $round exited $status: $line" >&2
    python3 - "$line" "$workload" "$round" "$leader" "$before" "$after" "$start" "$end" \
      "$ticks_per_second" "$(per_broker rss_kib)" "$status" >>"$results" <<'PY'
import json, sys
line, workload, rnd, leader, before, after, start, end, hz, rss, status = sys.argv[1:]
try:
    summary = json.loads(line)
except ValueError:
    summary = {}
wall = float(end) - float(start)
cpu = [(int(b) - int(a)) / int(hz) for a, b in zip(before.split(","), after.split(","))]
pct = [100 * c / wall if wall > 0 else 0 for c in cpu]
lead = int(leader) if leader.strip() else -1
summary.update(workload=workload, round=int(rnd), leader=lead, cpu_pct=pct,
               leader_cpu_pct=pct[lead] if 0 <= lead < len(pct) else None,
               followers_cpu_pct=sum(p for i, p in enumerate(pct) if i != lead),
               cluster_cpu_pct=sum(pct), rss_kib=[int(r) for r in rss.split(",")],
               exit_status=int(status))
print(json.dumps(summary))
PY
    echo "$workload round $round (leader $leader): $line" >&2
  }

  # workload NAME ROUND: creates the workload's topic, runs it, deletes the topic.
  # prepare TOPIC kafka-topics-flags…: creates the topic and warms it up.
  prepare() { create_topic "$@"; warm_up "$1"; }

  workload() {
    local name=$1 round=$2 topic="$1-r$2"
    local rf3=(--partitions 1 --replication-factor 3) single=(--replica-assignment 0)
    case $name in
    produce-100B-acks1) prepare "$topic" "${rf3[@]}"
      run "$name" "$round" "$topic" produce --records "$records_small" --record-size 100 --acks 1 ;;
    produce-100B-acksall) prepare "$topic" "${rf3[@]}"
      run "$name" "$round" "$topic" produce --records "$records_small" --record-size 100 --acks all ;;
    produce-100B-single) prepare "$topic" "${single[@]}"
      run "$name" "$round" "$topic" produce --records "$records_small" --record-size 100 --acks 1 ;;
    produce-1KiB-acks1) prepare "$topic" "${rf3[@]}"
      run "$name" "$round" "$topic" produce --records "$records_large" --record-size 1024 --acks 1 ;;
    produce-1KiB-acksall) prepare "$topic" "${rf3[@]}"
      run "$name" "$round" "$topic" produce --records "$records_large" --record-size 1024 --acks all ;;
    produce-1KiB-single) prepare "$topic" "${single[@]}"
      run "$name" "$round" "$topic" produce --records "$records_large" --record-size 1024 --acks 1 ;;
    latency-100B-acksall) prepare "$topic" "${rf3[@]}"
      run "$name" "$round" "$topic" latency --rate "$latency_rate" --seconds "$latency_seconds" \
        --record-size 100 --acks all --linger-ms 0 ;;
    latency-100B-single) prepare "$topic" "${single[@]}"
      run "$name" "$round" "$topic" latency --rate "$latency_rate" --seconds "$latency_seconds" \
        --record-size 100 --acks 1 --linger-ms 0 ;;
    esac
    topics --delete --topic "$topic" >/dev/null 2>&1 || echo "warning: deleting $topic failed" >&2
  }

  for round in $(seq 1 "$rounds"); do
    for name in produce-100B-single produce-100B-acks1 produce-100B-acksall \
      produce-1KiB-single produce-1KiB-acks1 produce-1KiB-acksall \
      latency-100B-acksall latency-100B-single; do
      workload "$name" "$round"
    done
  done
  peak=$(per_broker hwm_kib)
  echo "stopping the cluster…" >&2
  stop_cluster
  echo "throughput part: $((SECONDS - part_started)) s" >&2
  part_started=$SECONDS
fi

if want failover; then
  echo "failover-bench: $failover_rounds round(s), $failover_partitions partitions…" >&2
  "$failover" --broker-bin "$bin/broker" --coordinator-bin "$bin/coordinator" \
    --rounds "$failover_rounds" --partitions "$failover_partitions" \
    --session-timeout-ms "$session_timeout_ms" --json "${failover_flags[@]}" \
    | tee "$failover_results" >&2 || echo "warning: failover-bench exited with an error" >&2
  echo "failover part: $((SECONDS - part_started)) s" >&2
fi

python3 - "$results" "$failover_results" "$rounds" "$profile" "${idle:-}" "${peak:-}" \
  "$latency_rate" "$latency_seconds" <<'PY'
import json, statistics, sys
path, failover_path, rounds, profile, idle, peak, rate, seconds = sys.argv[1:]
runs = [json.loads(line) for line in open(path) if line.strip()]
failover = []
for line in open(failover_path):
    try:
        failover.append(json.loads(line))
    except ValueError:
        pass

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None

def of(workload, key):
    return median([r.get(key) for r in runs if r["workload"] == workload])

def cell(value, digits=1):
    return "n/a" if value is None else f"{value:,.{digits}f}"

def table(header, rows):
    print("| " + " | ".join(header) + " |")
    print("|---|" + "---:|" * (len(header) - 1))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()

mib = lambda kib: f"{int(kib) / 1024:.1f}"
print(f"## replicated cluster, three brokers ({profile} build, median of {rounds} round(s), "
      "librdkafka on the same machine)")
print()
if runs:
    print("idle RSS MiB per broker: " + " / ".join(mib(k) for k in idle.split(","))
          + "; peak RSS MiB per broker: " + " / ".join(mib(k) for k in peak.split(",")))
    print()
    names = {
        "produce-100B-single": "produce 100 B, acks=1, single broker (RF 1)",
        "produce-100B-acks1": "produce 100 B, acks=1, RF 3",
        "produce-100B-acksall": "produce 100 B, acks=all, RF 3",
        "produce-1KiB-single": "produce 1 KiB, acks=1, single broker (RF 1)",
        "produce-1KiB-acks1": "produce 1 KiB, acks=1, RF 3",
        "produce-1KiB-acksall": "produce 1 KiB, acks=all, RF 3",
        "latency-100B-acksall": f"e2e latency 100 B at {int(rate):,}/s, acks=all, RF 3",
        "latency-100B-single": f"e2e latency 100 B at {int(rate):,}/s, acks=1, single broker (RF 1)",
    }
    present = [w for w in names if any(r["workload"] == w for r in runs)]
    cpu = lambda w: [cell(of(w, "leader_cpu_pct"), 0), cell(of(w, "followers_cpu_pct"), 0),
                     cell(max((max(r["rss_kib"]) for r in runs if r["workload"] == w),
                              default=0) / 1024, 1)]
    table(["workload", "records/s", "MB/s", "p50 ms", "p99 ms", "leader CPU %",
           "followers CPU %", "max RSS MiB"],
          [[names[w], cell(of(w, "records_per_s"), 0), cell(of(w, "mb_per_s"), 1),
            cell(of(w, "latency_p50_ms"), 2), cell(of(w, "latency_p99_ms"), 2)] + cpu(w)
           for w in present if w.startswith("produce")])
    table(["workload", "e2e p50 ms", "e2e p99 ms", "e2e p99.9 ms", "e2e max ms",
           "leader CPU %", "followers CPU %", "max RSS MiB"],
          [[names[w], cell(of(w, "e2e_p50_ms"), 2), cell(of(w, "e2e_p99_ms"), 2),
            cell(of(w, "e2e_p999_ms"), 2), cell(of(w, "e2e_max_ms"), 2)] + cpu(w)
           for w in present if w.startswith("latency")])
    for size in ("100B", "1KiB"):
        single, acksall = of(f"produce-{size}-single", "records_per_s"), of(f"produce-{size}-acksall", "records_per_s")
        if single and acksall is not None:
            ratio = acksall / single
            verdict = "met" if ratio >= 0.5 else "missed"
            print(f"- {size.replace('B', ' B').replace('1K', '1 K')}: acks=all on RF 3 / single-broker acks=1 = "
                  f"{ratio:.2f} (target at least 0.50: {verdict})")
    failed = [r for r in runs if r.get("exit_status")]
    if failed:
        print(f"- {len(failed)} run(s) did not complete cleanly: "
              + ", ".join(f"{r['workload']} round {r['round']}" for r in failed))
    print()

rounds_of = lambda mode: [r for r in failover if r.get("mode") == mode and r.get("round") != "median"]
kill, controlled = rounds_of("kill"), rounds_of("controlled")
if kill or controlled:
    fo = lambda rows, key: median([r.get(key) for r in rows])
    session = (kill or controlled)[0]["session_timeout_ms"]
    partitions = (kill or controlled)[0].get("partitions")
    print(f"Failover (failover-bench, {max(len(kill), len(controlled))} round(s), medians; "
          f"zookeeper.session.timeout.ms={session}; times from the kill or SIGTERM):")
    print()
    rows = []
    for label, rows_in in (("kill -9 of the leader of most partitions", kill),
                           ("controlled shutdown (SIGTERM) of the same", controlled)):
        if not rows_in:
            continue
        rows.append([label, cell(fo(rows_in, "partitions"), 0),
                     cell(fo(rows_in, "leaders_moved_ms"), 0),
                     " / ".join(cell(fo(rows_in, k), 0) for k in
                                ("first_write_min_ms", "first_write_median_ms", "first_write_max_ms")),
                     cell(fo(rows_in, "max_latency_ms"), 0),
                     cell(fo(rows_in, "exit_ms"), 0) if rows_in is controlled else "",
                     cell(fo(rows_in, "rejoin_ms"), 0),
                     str(sum(r.get("delivery_errors", 0) for r in rows_in))])
    table(["measurement", "partitions moved", "leaders moved ms", "first write min / median / max ms",
           "longest record wait ms", "process exit ms", "rejoin ms", "delivery errors"], rows)
    if kill:
        worst = fo(kill, "first_write_max_ms")
        verdict = "met" if worst <= session + 1000 else "missed"
        print(f"- kill -9: last partition's first acks=all write {worst:,.0f} ms after the kill "
              f"(target within session timeout + 1 s = {session + 1000:,} ms: {verdict})")
    if controlled:
        moved = fo(controlled, "leaders_moved_ms")
        errors = sum(r.get("delivery_errors", 0) for r in controlled)
        verdict = "met" if moved < 1000 and errors == 0 else "missed"
        print(f"- controlled shutdown: leaders moved in {moved:,.0f} ms, {errors} delivery error(s) "
              f"(target under 1,000 ms with no error: {verdict})")
    print()
    print("- leaders moved: Metadata from a remaining broker, asked every 10 ms, shows another "
          "leader for every partition the broker led; first write: per partition, the first "
          "acknowledged record sent after t0; longest record wait: send → acknowledgement of "
          "any record sent after t0 to those partitions; rejoin: restart → full ISR everywhere.")
PY
