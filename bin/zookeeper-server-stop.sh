#!/usr/bin/env bash
# Stops the coordinator processes started from this installation's release binary.
#
#   bin/zookeeper-server-stop.sh
#
# SIGNAL (default TERM) picks the signal, as in Kafka's script.
exec "$(dirname "${BASH_SOURCE[0]}")/stop-binary.sh" coordinator "zookeeper server"
