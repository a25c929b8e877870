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

DEBIAN_PACKAGES=(frr frr-pythontools snmpd snmp snmptrapd lldpd openssh-server iproute2 postgresql prometheus chromium chromium-driver)
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
stamp=.venv/.govnet-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing govnet and its dependencies into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v -i warning || true
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test,bench]" 2>&1 | grep -v -i warning || true
  .venv/bin/python -c "import govnet, inventory" # fail loudly if the install did not work
  touch "$stamp"
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
