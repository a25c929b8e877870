#!/usr/bin/env bash
# Install everything govnet needs on a fresh Debian machine, idempotently:
#   - the Debian packages the lab runs (FRR, net-snmp, lldpd, OpenSSH, iproute2) and the servers
#     the tests use for real (PostgreSQL for the store, Prometheus' promtool and server, Chromium
#     and its driver for the NOC page) when root;
#   - a virtual environment in .venv with govnet and its test tools.
# Usage: scripts/setup.sh [--bench]   (then .venv/bin/govnet ...)
#   --bench  also the peers and tools the benchmarks use (Prometheus' snmp_exporter, wrk)
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(frr frr-pythontools snmpd snmp snmptrapd lldpd openssh-server iproute2 postgresql prometheus chromium chromium-driver python3-venv redis-server victoria-metrics fonts-dejavu-core poppler-utils)
if [ "${1:-}" = "--bench" ]; then
  DEBIAN_PACKAGES+=(prometheus-snmp-exporter wrk)
fi

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
fi
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: not root, skipping Debian packages (${missing[*]}); the lab will be unavailable" >&2
  fi
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
# govnet is installed in strict editable mode: setuptools builds a link tree under
# build/__editable__.* that mirrors the installed layout (core/ as govnet, inventory/ as
# govnet.inventory, ...), so the packages import, type-check and run only under their one import
# root. A link tree links files, not folders: a new or removed source file needs a re-install, so
# the stamp holds a hash of pyproject.toml and of the list of source files (tracked or new).
stamp=.venv/.govnet-installed
files=$( (git ls-files --cached --others --exclude-standard 2>/dev/null || find . -path ./.venv -prune -o -path ./build -prune -o -type f -print) | LC_ALL=C sort)
want=$( { cat pyproject.toml; printf '%s\n' "$files"; } | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing govnet (strict editable) and its dependencies into .venv"
  quiet() { # the output only when the command fails (setuptools' build warnings are noise here)
    local out
    if ! out=$("$@" 2>&1); then
      echo "$out" >&2
      return 1
    fi
  }
  quiet .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  rm -rf build/__editable__.* # the link tree is rebuilt from the current files
  quiet .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test,bench]" \
    --config-settings editable_mode=strict
  # fail loudly if the install did not work (from outside the tree: no folder on sys.path helps)
  venv_python=$PWD/.venv/bin/python
  (cd / && "$venv_python" -c "import govnet.cli")
  echo "$want" >"$stamp"
fi

# The SNMP simulator and the real devices' walks the interoperability tests serve
# (tests/snmpsim.py): a venv of their own, so snmpsim's pysnmp never meets govnet's, built on the
# system's Python where there is one (the responder runs as nobody, who cannot reach a Python under
# /root, and indexes with the dbm module Debian's Python has).
SNMPSIM_PYTHON=${SNMPSIM_PYTHON:-$(command -v /usr/bin/python3 || command -v "$PYTHON")}
snmpsim_stamp=.venv-snmpsim/.installed-1
if [ ! -f "$snmpsim_stamp" ]; then
  echo "setup: installing snmpsim and snmpsim-data into .venv-snmpsim"
  rm -rf .venv-snmpsim
  "$SNMPSIM_PYTHON" -m venv .venv-snmpsim
  .venv-snmpsim/bin/python -m pip install -q --disable-pip-version-check snmpsim==1.2.2 snmpsim-data==1.0.1 2>&1 | grep -v -i warning || true
  .venv-snmpsim/bin/python -c "import snmpsim, snmpsim_data, dbm.ndbm" # fail loudly if the install did not work
  touch "$snmpsim_stamp"
fi
