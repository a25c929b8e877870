#!/usr/bin/env python3
"""Retake the NOC console's screenshots in docs/img from the current code.

The pictures are taken by the Chromium tests themselves (tests/test_noc_console.py, over the
scenario in tests/nocworld.py): this runs those tests with GOVNET_SCREENSHOTS pointing at
docs/img, so the README shows exactly what the tests checked. Needs chromium and chromedriver
(scripts/setup.sh installs them); nothing is fetched from the network.

    .venv/bin/python scripts/screenshots.py      # docs/img/noc-map.png, noc-device.png, noc-ack.png
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ("noc-map.png", "noc-device.png", "noc-ack.png")


def main() -> int:
    out = ROOT / "docs" / "img"
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GOVNET_SCREENSHOTS": str(out), "SE_AVOID_STATS": "true"}
    env.setdefault("GOVNET_TEST_LANE", "0")
    tests = "the_map_shows or a_device_page_from or acknowledging"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "tests/test_noc_console.py",
            "-k",
            tests,
        ],
        cwd=ROOT,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        print("the screenshot tests failed: docs/img may hold a partial set", file=sys.stderr)
        return done.returncode
    for name in SHOTS:
        print(out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
