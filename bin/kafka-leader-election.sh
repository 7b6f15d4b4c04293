#!/usr/bin/env bash
# Kafka's kafka-leader-election tool (same flags and output): preferred or unclean leader
# elections run by the controller; see tools/src/kafka/leader_election.rs.
set -euo pipefail

exec "$(dirname "${BASH_SOURCE[0]}")/run-binary.sh" tools kafka-leader-election "$@"
