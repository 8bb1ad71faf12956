#!/usr/bin/env bash
# One command: set up Rådhus and start it with the demo municipality "Exempelkommun".
# Options are passed to `radhus serve`, e.g. `bash scripts/demo.sh --port 8080`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/radhus serve --demo "$@"
