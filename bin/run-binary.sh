#!/usr/bin/env bash
# Runs a release binary of this workspace, building it first when it is missing.
#
#   bin/run-binary.sh <package> <binary> [args...]
#
# The repository root is found from this script's location, so it works from any
# directory; relative paths in [args...] stay relative to the caller's directory.
# Binaries live in $CARGO_TARGET_DIR/release, or <root>/target/release when unset.
#
# With DAEMON_NAME set (the start scripts set it for -daemon), the binary runs in the
# background under nohup, its stdout and stderr going to $LOG_DIR/$DAEMON_NAME.out
# (LOG_DIR defaults to <root>/logs), as Kafka's kafka-run-class.sh does.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "USAGE: $0 <package> <binary> [args...]" >&2
  exit 1
fi
package=$1
binary=$2
shift 2

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
# cargo reads a relative CARGO_TARGET_DIR against the current directory.
case $target_dir in
  /*) ;;
  *) target_dir=$PWD/$target_dir ;;
esac
executable=$target_dir/release/$binary

if [ ! -x "$executable" ]; then
  if ! command -v cargo >/dev/null 2>&1; then
    echo "$executable is missing and cargo is not on PATH to build it" >&2
    exit 1
  fi
  echo "Building $binary (cargo build --release -p $package --bin $binary), this happens once..." >&2
  cargo build --release --manifest-path "$root/Cargo.toml" -p "$package" --bin "$binary" >&2
fi

if [ -n "${DAEMON_NAME:-}" ]; then
  log_dir=${LOG_DIR:-$root/logs}
  mkdir -p "$log_dir"
  nohup "$executable" "$@" >"$log_dir/$DAEMON_NAME.out" 2>&1 </dev/null &
else
  exec "$executable" "$@"
fi
