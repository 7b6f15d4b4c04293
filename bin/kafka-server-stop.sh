#!/usr/bin/env bash
# Stops the brokers started from this installation's release binary (controlled shutdown:
# each deregisters from the coordinator and closes its logs cleanly on SIGTERM).
#
#   bin/kafka-server-stop.sh
#
# SIGNAL (default TERM) picks the signal, as in Kafka's script.
exec "$(dirname "${BASH_SOURCE[0]}")/stop-binary.sh" broker "kafka server"
