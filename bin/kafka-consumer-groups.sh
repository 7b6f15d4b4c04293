#!/usr/bin/env bash
# Kafka's kafka-consumer-groups tool (same flags and output); see tools/src/kafka/.
set -euo pipefail

exec "$(dirname "${BASH_SOURCE[0]}")/run-binary.sh" tools kafka-consumer-groups "$@"
