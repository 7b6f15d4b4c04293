#!/usr/bin/env bash
# Stops the brokers started from this installation's release binary (controlled shutdown:
# each deregisters from the coordinator and closes its logs cleanly on SIGTERM).
#
#   bin/kafka-server-stop.sh
#
# SIGNAL (default TERM) picks the signal, as in Kafka's script.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
# cargo reads a relative CARGO_TARGET_DIR against the current directory.
case $target_dir in
  /*) ;;
  *) target_dir=$PWD/$target_dir ;;
esac
executable=$target_dir/release/broker
signal=${SIGNAL:-TERM}

# Match the binary's path at the start of the command line, regex characters escaped,
# so brokers of other checkouts are left alone.
# shellcheck disable=SC2016 # the sed program is meant literally
escaped=$(printf '%s' "$executable" | sed 's/[][\.|$(){}?+*^]/\\&/g')
pattern="^$escaped( |\$)"
pids=$(pgrep -f "$pattern" || true)

if [ -z "$pids" ]; then
  echo "No kafka server to stop"
  exit 1
fi
# Word splitting is wanted: one argument per pid.
# shellcheck disable=SC2086
kill -s "$signal" $pids
