#!/usr/bin/env bash
# Kafka's kafka-reassign-partitions tool (same flags, JSON formats and output): generate,
# execute, verify, cancel and list partition reassignments; see
# tools/src/kafka/reassign_partitions.rs.
set -euo pipefail

exec "$(dirname "${BASH_SOURCE[0]}")/run-binary.sh" tools kafka-reassign-partitions "$@"
