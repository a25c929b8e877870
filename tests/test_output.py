"""JSON output reaches a slow reader whole.

After an event loop had run on uvloop, a write to a pipe whose reader was behind came back short
(64 KiB) at random, and the rest of the document was lost without an error: ``poll-once --json``
of a switch with 200 interfaces printed a cut document and exited 0 (found by the
interoperability suite). :func:`govnet.output.print_json` now writes until every byte is out.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SCRIPT = """
import asyncio
from govnet import aio
from govnet.output import print_json

document = {"interfaces": [f"ge-0/0/{i} " + "x" * 200 for i in range(1500)]}

async def main() -> None:
    await asyncio.sleep(0)

aio.run(main())  # what every SNMP command does before it prints
print_json(document)
"""


def test_print_json_after_an_event_loop_writes_the_whole_document_to_a_slow_pipe() -> None:
    # The short write came in about one run out of three here: eight at once, readers late.
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO
        )
        for _ in range(8)
    ]
    time.sleep(2)  # the readers are late: the pipes' 64 KiB fill up while the writers write
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
        assert len(out) > 300_000, f"only {len(out)} bytes of the document came out"
        assert len(json.loads(out)["interfaces"]) == 1500
