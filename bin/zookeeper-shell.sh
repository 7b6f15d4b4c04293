#!/usr/bin/env bash
# An interactive (or one-command) shell on the coordinator, like ZooKeeper's zkCli.sh.
#
#   bin/zookeeper-shell.sh localhost:2181 [command args...]
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "USAGE: $0 zookeeper_host:port[/path] [args...]"
  exit 1
fi

exec "$(dirname "${BASH_SOURCE[0]}")/run-binary.sh" tools zookeeper-shell "$@"
