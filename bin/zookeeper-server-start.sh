#!/usr/bin/env bash
# Starts the coordinator (the ZooKeeper-compatible server) with a properties file.
#
#   bin/zookeeper-server-start.sh [-daemon] config/zookeeper.properties
#
# -daemon runs it in the background with its output in logs/zookeeper.out.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] zookeeper.properties"
  exit 1
fi
base_dir=$(dirname "${BASH_SOURCE[0]}")

if [ "$1" = "-daemon" ]; then
  shift
  export DAEMON_NAME=zookeeper
  if [ $# -lt 1 ]; then
    echo "USAGE: $0 [-daemon] zookeeper.properties"
    exit 1
  fi
fi

exec "$base_dir/run-binary.sh" coordinator coordinator "$@"
