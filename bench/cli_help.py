"""Benchmark: ``govnet --help`` with the lazy command group against every sub-command loaded.

The command line imports a sub-command's module only when it is used (:mod:`govnet.cli.lazy`).
This times, each in a fresh interpreter (what a user waits for), the help page as it is and the
same page after looking every sub-command up first: each sub-command module imports its layer at
the top, so that is every layer of govnet, what an eager command group would cost. Runs are
interleaved in pairs, the order alternating, and the load average is printed with the figures.

Run: ``.venv/bin/python bench/cli_help.py [--repeat 9]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

LAZY = "from govnet.cli import main; main(['--help'])"
EAGER = (
    "import typer.main; from govnet.cli import SUBCOMMANDS, app, main; "
    "group = typer.main.get_command(app); [group.commands[name] for name in SUBCOMMANDS]; main(['--help'])"
)


def once(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="pairs of runs (at least 3)")
    repeat = max(3, parser.parse_args().repeat)
    before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    once(LAZY), once(EAGER)  # warm the file cache and the bytecode
    times: dict[str, list[float]] = {"lazy (as shipped)": [], "every sub-command loaded": []}
    for i in range(repeat):
        pair = [("lazy (as shipped)", LAZY), ("every sub-command loaded", EAGER)]
        for name, code in pair if i % 2 == 0 else reversed(pair):
            times[name].append(once(code))
    after = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"govnet --help, {repeat} interleaved pairs; load average before {before}, after {after}")
    for name, values in times.items():
        print(f"  {name:<26} median {statistics.median(values):.3f} s   min {min(values):.3f} s")


if __name__ == "__main__":
    main()
