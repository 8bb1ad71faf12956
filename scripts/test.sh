#!/usr/bin/env bash
# One command: install what the tests need, then run lint and the whole test suite on SQLite and on
# PostgreSQL (started if it is not running). Extra arguments go to pytest, e.g. `-k audit` or `-m slow`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
source scripts/postgres.sh
PG_URL="$(ensure_postgres)"

echo "== ruff"
.venv/bin/ruff check src tests bench scripts
.venv/bin/ruff format --check src tests bench scripts
echo "== mypy"
.venv/bin/mypy

echo "== pytest (SQLite)"
.venv/bin/pytest -p no:cacheprovider "$@"
echo "== pytest (PostgreSQL)"
RADHUS_TEST_DATABASE_URL="$PG_URL" .venv/bin/pytest -p no:cacheprovider "$@"
