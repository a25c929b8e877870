"""Reading scalars and walking table columns the way real agents need, for any session.

The logic takes the exchange as an async callable, so every engine shares it: govnet's v2c
session, the pysnmp session, and any other (an SNMPv3 fast path) that can send a GET or a
GETBULK and raise :mod:`govnet.snmp.errors` for what came back.

What real agents do, and what the walk does about it:

* OIDs are ordered as tuples of integers (:func:`govnet.snmp.ber.oid_arcs`), never as encoded
  bytes (``16383`` is ``ff 7f`` and sorts after ``16384``, ``81 80 00``);
* a column that goes backwards (a genuinely unsorted table) ends *that column* with a warning,
  as net-snmp's snmpbulkwalk stops with "OID not increasing"; the other columns go on;
* a short answer (an agent that caps varbinds per response, or cuts a big one) is not the end of
  a table: each column continues from its last OID, and the walk learns the agent's cap;
* tooBig backs off: fewer repetitions, then fewer columns per request;
* an error-status or a malformed answer naming one column ends that column with a warning;
* at most :data:`MAX_REQUEST_OIDS` OIDs are named in one request, and the first request asks for
  at most :data:`MAX_REQUEST_VARBINDS` varbinds: some agents fail above 64 and many are slow
  with wide requests; an agent that answers every varbind asked gets twice as many in the next
  request, up to :data:`MAX_GROWN_VARBINDS` (a long table in a few round trips, not dozens),
  while one that cut an answer short or answered tooBig is never asked for more again;
* a timeout after the agent answered keeps the rows read so far, with a warning; only a walk
  that never got an answer raises :class:`~govnet.snmp.errors.SnmpTimeoutError`;
* so do datagrams govnet cannot read at all (:class:`~govnet.snmp.errors.SnmpUnreadableError`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from govnet.snmp import ber
from govnet.snmp.ber import VarBind
from govnet.snmp.errors import (
    TOO_BIG,
    SnmpMalformedError,
    SnmpStatusError,
    SnmpTimeoutError,
    SnmpUnreadableError,
)

#: The most OIDs one request names. 16 is the widest module govnet polls (interfaces: 11 IF-MIB
#: and 5 ifXTable columns), well under the 64 above which some agents fail outright.
MAX_REQUEST_OIDS = 16
#: The most varbinds one GETBULK asks for (repetitions × OIDs): a 16-column module gets 4 rows per
#: request (one row per request made a 1,300-port switch cost 1,300 round trips).
MAX_REQUEST_VARBINDS = 64
#: The most varbinds a request asks for once the agent has answered full requests in this walk
#: (the budget doubles after each full answer): a 48-port switch's interfaces in 6 requests, not 13.
MAX_GROWN_VARBINDS = 256

#: ``bulk(oids, max_repetitions)``: one GETBULK (non-repeaters 0), its varbinds in order.
Bulk = Callable[[list[str], int], Awaitable[list[VarBind]]]
#: ``get(oids)``: one GET, its varbinds in order.
Get = Callable[[list[str]], Awaitable[list[VarBind]]]


class ColumnWalk(dict[str, list[VarBind]]):
    """Rows by column OID (a plain dict to its readers), with what went wrong while walking.

    ``warnings`` name the column and what it lost; ``requests`` and ``answers`` count exchanges
    (an answer with an error-status or malformed bytes is still an answer).
    """

    def __init__(self, columns: Sequence[str] = ()) -> None:
        super().__init__((c, []) for c in columns)
        self.warnings: list[str] = []
        self.requests = 0
        self.answers = 0

    def __repr__(self) -> str:
        # short: asyncio formats a finished task's result, and a walk can hold a million rows
        rows = sum(len(v) for v in self.values())
        return f"<ColumnWalk of {len(self)} column(s): {rows} row(s), {len(self.warnings)} warning(s)>"


class ScalarGet(list[VarBind]):
    """A GET's varbinds in the order asked (a plain list to its readers), with warnings.

    An OID the agent refused (noSuchName, or a malformed value) is kept in its place as a
    ``noSuchObject`` varbind, and a warning says why.
    """

    def __init__(self) -> None:
        super().__init__()
        self.warnings: list[str] = []
        self.answers = 0


def _column_of(oid: str | None, columns: Sequence[str]) -> int | None:
    """The position of the column ``oid`` lies under, if any."""
    if oid is None:
        return None
    for position, column in enumerate(columns):
        if oid.startswith(column + ".") or oid == column:
            return position
    return None


async def get_scalars(get: Get, oids: Sequence[str], host: str) -> ScalarGet:
    """GET ``oids`` with ``get``, asking again without what the agent refuses.

    noSuchName (a v1-style answer some v2c agents give for an object they lack) and a malformed
    value drop that one OID and ask for the rest; tooBig splits the request in halves. Other
    error-statuses that name no varbind are raised (:class:`SnmpStatusError`). A varbind
    answered under another OID than the one asked, or left out, is refused with a warning.
    """
    answered: dict[int, VarBind] = {}
    out = ScalarGet()
    queue: list[list[int]] = [list(range(len(oids)))]
    while queue:
        part = queue.pop(0)
        if not part:
            continue
        try:
            varbinds = await get([oids[i] for i in part])
        except SnmpStatusError as exc:
            out.answers += 1
            if exc.status == TOO_BIG and len(part) > 1:
                half = len(part) // 2
                queue[:0] = [part[:half], part[half:]]
                continue
            if exc.status == TOO_BIG or not 1 <= exc.index <= len(part):
                raise
            bad = part[exc.index - 1]
            out.warnings.append(f"{oids[bad]}: the agent answered {exc.status_name}; left out")
            queue.insert(0, [i for i in part if i != bad])
            continue
        except SnmpMalformedError as exc:
            out.answers += 1
            position = _column_of(exc.oid, [oids[i] for i in part])
            if position is None and len(part) > 1:
                queue[:0] = [[i] for i in part]  # one at a time tells which one is malformed
                continue
            bad = part[position or 0]
            out.warnings.append(f"{oids[bad]}: {exc.problem}; refused")
            queue.insert(0, [i for i in part if i != bad])
            continue
        out.answers += 1
        for i, vb in zip(part, varbinds, strict=False):
            if vb.oid != oids[i].strip("."):  # not what was asked: it cannot stand for it
                out.warnings.append(f"{oids[i]}: the agent answered {vb.oid} in its place; refused")
                continue
            answered[i] = vb
        for i in part[len(varbinds) :]:
            out.warnings.append(f"{oids[i]}: missing from the agent's answer")
    for i, oid in enumerate(oids):
        found = answered.get(i)
        out.append(found if found is not None else VarBind(oid, ber.NO_SUCH_OBJECT, None, ber.oid_body(oid)))
    return out


async def walk_columns(
    bulk: Bulk,
    columns: Sequence[str],
    max_repetitions: int,
    host: str,
    *,
    max_oids: int = MAX_REQUEST_OIDS,
    first_rows: int | None = None,
    max_varbinds: int = MAX_GROWN_VARBINDS,
) -> ColumnWalk:
    """Walk several columns with ``bulk``: column OID → its varbinds, in order, with warnings.

    Rows come interleaved, one varbind per column asked; a column ends at the first varbind
    outside it or at endOfMibView. Each request names at most ``max_oids`` columns and asks for
    at most ``max_repetitions`` rows and :data:`MAX_REQUEST_VARBINDS` varbinds in all at first,
    twice as many after each answer that held every varbind asked (up to
    :data:`MAX_GROWN_VARBINDS`; never again after a short answer or tooBig). See the module's
    docstring for what each agent fault does. ``max_varbinds`` caps the growth (the SNMP
    profile's ``max_varbinds``: a path that drops IP fragments needs answers that fit one packet,
    about 40 varbinds of interface counters).
    ``host`` names the agent in messages. ``first_rows``: ask for at most that many rows in the
    first request (a table that was empty last time: an agent answers a GETBULK past an empty
    column with whatever objects follow it, which are read and thrown away; a table that has rows
    after all is then walked on at the full width).
    """
    names = list(dict.fromkeys(columns))
    out = ColumnWalk(names)
    roots = [ber.oid_body(c) for c in names]
    root_len = [len(r) for r in roots]
    last = [ber.oid_arcs(r) for r in roots]
    cursor = list(names)
    rows = [out[c] for c in names]
    active = list(range(len(names)))
    most = max(1, max_varbinds)
    budget = min(MAX_REQUEST_VARBINDS, most)  # varbinds per request; tooBig and short answers lower it
    grow = True  # full answers double the budget, until the agent shows a limit
    rows_cap = max(1, max_repetitions)
    width_cap = max(1, min(max_oids, MAX_REQUEST_OIDS))
    end_of_view = ber.END_OF_MIB_VIEW
    exceptions = ber.EXCEPTIONS
    oid_arcs = ber.oid_arcs

    def stop(k: int, why: str) -> None:
        out.warnings.append(f"{names[k]}: {why}; {len(rows[k])} row(s) kept")
        active.remove(k)

    while active:
        batch = active[:width_cap]
        width = len(batch)
        reps = max(1, min(rows_cap, budget // width))
        if first_rows is not None and not out.requests:
            reps = max(1, min(reps, first_rows))
        out.requests += 1
        try:
            varbinds = await bulk([cursor[k] for k in batch], reps)
        except SnmpTimeoutError as exc:
            if not out.answers:
                raise
            for k in list(active):
                stop(k, f"no answer after {out.answers} answer(s) ({exc.message}); the walk stopped early")
            break
        except SnmpUnreadableError as exc:
            if not out.answers:
                raise
            for k in list(active):
                stop(k, f"{exc.message}; the walk stopped early")
            break
        except SnmpStatusError as exc:
            out.answers += 1
            if exc.status == TOO_BIG:
                grow = False
            if exc.status == TOO_BIG and reps > 1:
                budget = max(width, reps // 2 * width)
            elif exc.status == TOO_BIG and width > 1:
                width_cap = max(1, width // 2)
            elif exc.status == TOO_BIG:
                stop(batch[0], "the agent answers tooBig even for one varbind")
            elif 1 <= exc.index <= width:
                stop(batch[exc.index - 1], f"the agent answered {exc.status_name}")
            elif width > 1:
                width_cap = 1  # one column at a time tells which one the agent fails on
            else:
                stop(batch[0], f"the agent answered {exc.status_name}")
            continue
        except SnmpMalformedError as exc:
            out.answers += 1
            position = _column_of(exc.oid, [names[k] for k in batch])
            if position is not None:
                stop(batch[position], f"malformed answer refused: {exc.problem}")
            elif width > 1:
                width_cap = 1
            else:
                stop(batch[0], f"malformed answer refused: {exc.problem}")
            continue
        out.answers += 1
        if not varbinds:
            for k in batch:
                stop(k, "the agent answered a GETBULK with no varbinds")
            continue
        done = [False] * width
        for j in range(width):  # column by column: the j-th varbind of every row is column j's
            k = batch[j]
            root, size, prev, kept = roots[k], root_len[k], last[k], rows[k]
            newest: VarBind | None = None
            for vb in varbinds[j::width]:
                raw = vb.raw
                if vb.tag & 0x80 or len(raw) <= size or not raw.startswith(root):
                    # past the column (exceptions are the only context tags a varbind carries)
                    done[j] = True
                    if vb.tag in exceptions and vb.tag != end_of_view and raw.startswith(root):
                        out.warnings.append(f"{names[k]}: the agent answered {vb.type_name} in a GETBULK")
                    break
                key = vb.arcs or oid_arcs(raw)
                if key <= prev:
                    done[j] = True
                    after = newest.oid if newest is not None else cursor[k]
                    out.warnings.append(
                        f"{names[k]}: OID not increasing ({vb.oid} after {after}): the walk of this "
                        f"column stopped there, as snmpbulkwalk does; {len(kept)} row(s) kept"
                    )
                    break
                prev = key
                kept.append(vb)
                newest = vb
            if newest is not None:
                last[k], cursor[k] = prev, newest.oid
        if len(varbinds) < reps * width and varbinds[-1].tag != end_of_view:
            # A short answer: the agent caps varbinds per response (or cut a big one). Not the
            # end of anything: ask again from each column's last OID, no wider than it answers.
            budget = min(budget, len(varbinds))
            width_cap = min(width_cap, len(varbinds))
            grow = False
        elif grow and reps < rows_cap and reps == budget // width:
            # Every varbind asked came back and the budget was what limited the request: the
            # agent takes more; ask for twice as many next time (fewer round trips).
            budget = min(most, budget * 2)
        ended = {batch[j] for j in range(width) if done[j]}
        if ended:
            active = [k for k in active if k not in ended]
    return out
