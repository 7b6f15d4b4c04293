#!/usr/bin/env bash
# Signals every process running this installation's release binary <binary>.
#
#   bin/stop-binary.sh <binary> <name for the "No <name> to stop" message>
#
# SIGNAL (default TERM) picks the signal, as in Kafka's stop scripts. The binary's path is
# matched at the start of the command line, regex characters escaped, so processes of other
# checkouts are left alone. Exits 1, as Kafka's scripts do, when none runs.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "USAGE: $0 <binary> <name>" >&2
  exit 1
fi
binary=$1
name=$2

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
# cargo reads a relative CARGO_TARGET_DIR against the current directory.
case $target_dir in
  /*) ;;
  *) target_dir=$PWD/$target_dir ;;
esac
executable=$target_dir/release/$binary
signal=${SIGNAL:-TERM}

# shellcheck disable=SC2016 # the sed program is meant literally
escaped=$(printf '%s' "$executable" | sed 's/[][\.|$(){}?+*^]/\\&/g')
pattern="^$escaped( |\$)"
pids=$(pgrep -f "$pattern" || true)

if [ -z "$pids" ]; then
  echo "No $name to stop"
  exit 1
fi
# Word splitting is wanted: one argument per pid.
# shellcheck disable=SC2086
kill -s "$signal" $pids
