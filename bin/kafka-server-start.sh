#!/usr/bin/env bash
# Starts a broker with a server.properties file, as Kafka's script of the same name.
#
#   bin/kafka-server-start.sh [-daemon] config/server.properties [--override property=value]*
#
# -daemon runs it in the background with its output in logs/kafkaServer.out.
set -euo pipefail

usage="USAGE: $0 [-daemon] server.properties [--override property=value]*"
if [ $# -lt 1 ]; then
  echo "$usage"
  exit 1
fi
base_dir=$(dirname "${BASH_SOURCE[0]}")

if [ "$1" = "-daemon" ]; then
  shift
  export DAEMON_NAME=kafkaServer
  if [ $# -lt 1 ]; then
    echo "$usage"
    exit 1
  fi
fi

exec "$base_dir/run-binary.sh" broker broker "$@"
