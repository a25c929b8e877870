#!/usr/bin/env bash
# The whole test suite: set up (idempotent), then lint, type-check and run pytest.
# Extra arguments go to pytest, e.g. scripts/test.sh -k inventory
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# mypy reads the packages by their installed names, through the editable install's link tree
# (build/__editable__.*/govnet/...): name the source files in its messages instead
.venv/bin/mypy | sed -E \
  -e 's#^build/__editable__[^/]*/govnet/(inventory|tasks|topology|monitor|api|lab|cli)/#\1/#' \
  -e 's#^build/__editable__[^/]*/govnet/#core/#' \
  -e 's#^build/__editable__[^/]*/napalm_frr/#napalm_frr/#'
# The layers (docs/layers.md): import-linter's contracts in .importlinter
.venv/bin/lint-imports --no-logo
# Three workers (pytest-xdist) on two cores, each with its own test lane (labs, subnets, trap
# ports): the suite spends most of its time waiting on labs, servers and timers (about a quarter
# of two cores busy with two workers), so a third worker runs while the others wait.
.venv/bin/python -m pytest -n "${GOVNET_TEST_WORKERS:-3}" --dist loadfile --no-loadscope-reorder --durations=20 "$@"
