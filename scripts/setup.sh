#!/usr/bin/env bash
# Installs what Rådhus needs on a Debian/Ubuntu machine: system packages (when missing), a virtual
# environment in .venv with Rådhus and its development tools, and axe-core for accessibility tests.
# Safe to run again. Used by scripts/demo.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_TEST_TOOLS="${1:-}"

need_apt=()
command -v python3 >/dev/null || need_apt+=(python3 python3-venv)
if [ "$WITH_TEST_TOOLS" = "--test" ]; then
  command -v pg_ctlcluster >/dev/null || need_apt+=(postgresql)
  command -v chromium >/dev/null || need_apt+=(chromium)
  command -v npm >/dev/null || need_apt+=(npm)
  command -v apertium >/dev/null || need_apt+=(apertium apertium-swe-dan apertium-swe-nor apertium-recursive)
fi
command -v espeak-ng >/dev/null || need_apt+=(espeak-ng)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installerar systempaket: ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "Saknade systempaket (installera som root): ${need_apt[*]}" >&2
  fi
fi

if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
  rm -rf .venv  # missing or half-made (an interrupted earlier run)
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
if [ "$WITH_TEST_TOOLS" = "--test" ]; then
  .venv/bin/python -m pip install -q -e ".[dev]"
  if [ ! -d node_modules/axe-core ]; then
    npm install --no-audit --no-fund --silent
  fi
else
  .venv/bin/python -m pip install -q -e .
fi
# compile the planning DP once now, so that the first roster solve does not spend its time limit compiling
.venv/bin/python -c "from radhus.planning.nrp_kernels import warm_up; warm_up()" \
  || echo "Varning: planeringens DP kunde inte förkompileras; den kompileras vid första körningen." >&2
