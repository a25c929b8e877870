#!/usr/bin/env bash
# The whole test suite: set up (idempotent), then lint, type-check and run pytest.
# Extra arguments go to pytest, e.g. scripts/test.sh -k inventory
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
