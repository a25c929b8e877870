"""Poll jobs on a Redis server: streams with consumer groups, de-duplication, a leader's lease.

The layout under a namespace ``NS`` (``govnet`` unless told otherwise):

* ``NS:jobs:GROUP``: a stream of poll jobs per poller group, read by the consumer group
  ``workers`` (``XREADGROUP``); a job is acknowledged (``XACK``) only once its result is stored, so
  the job of a worker that dies stays pending and another worker claims it (``XAUTOCLAIM``) once
  it has been idle longer than a poll can take.
* ``NS:job:ID``: set (``SET NX``) when a job is submitted: a job ID is ``DEVICE@CYCLE`` for
  scheduled polls, so a second scheduler (a new leader after a failover) submitting the same
  device and cycle adds nothing: each device is polled once per cycle.
* ``NS:result:ID``: the scrape, written once (``SET NX``) with an expiry, and its ID appended to
  ``NS:results`` (a stream the leader follows): a leader that takes over finds the results of jobs
  submitted before it.
* ``NS:lease``: the scheduler/correlator's lease (``SET NX PX``, renewed and released only by its
  holder, atomically, in Lua).
* ``NS:worker:NAME``: each worker's heartbeat (its groups, with an expiry of a few seconds): the
  jobs still pending with a worker whose heartbeat has expired (it died) are claimed by the live
  ones at once (``XCLAIM``), not after a poll's longest time; operators and the leader's warning
  when jobs wait and no worker is alive read them too.

Chosen over a task queue (Celery, Dramatiq, arq) because the guarantees the monitor needs are the
stream's own: at-least-once delivery with explicit acknowledgement, claims of a dead consumer's
pending jobs, and de-duplication by key; a task queue would hide the first two behind its own
retry policy and add a second serialisation of the job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from govnet.errors import GovnetError

WORKERS = "workers"
#: Results and de-duplication keys live this many intervals (a new leader finds recent ones).
KEEP_INTERVALS = 3
RESULTS_MAXLEN = 100_000
#: A dead worker's job is claimed only if idle this long: of two workers claiming the same
#: orphan at once, the second finds it just claimed (idle 0) and leaves it.
ORPHAN_MIN_IDLE_MS = 1000

_SUBMIT = """
if redis.call('set', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  redis.call('xadd', KEYS[2], '*', unpack(ARGV, 2))
  return 1
end
return 0
"""
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class BrokerError(GovnetError):
    """The Redis server cannot be used."""


def mask_redis_url(url: str) -> str:
    """The URL with any password (in its user part or its ``password=`` query) replaced by ``***``.

    >>> mask_redis_url("redis://:s3cret@127.0.0.1:6379/0")
    'redis://:***@127.0.0.1:6379/0'
    >>> mask_redis_url("redis://[::1]:6379/0?password=s3cret")
    'redis://[::1]:6379/0?password=***'
    >>> mask_redis_url("unix:///run/redis.sock")
    'unix:///run/redis.sock'
    """
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":***"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, "***" if k.lower() == "password" else v) for k, v in pairs], safe="*")
    tail = (f"?{query}" if query else "") + (f"#{parts.fragment}" if parts.fragment else "")
    return f"{parts.scheme}://{userinfo}{at}{hostport}{parts.path}{tail}"


def check_name(text: str, what: str) -> str:
    """A namespace, group or worker name: letters, digits, ``-`` ``_`` ``.``, at most 64.

    >>> check_name("hue-1", "group")
    'hue-1'
    >>> check_name("a:b", "group")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    govnet.monitor.broker.BrokerError: bad group name 'a:b' (fix: use letters, digits, ...)
    """
    if not (0 < len(text) <= 64 and all(c.isascii() and (c.isalnum() or c in "-_.") for c in text)):
        raise BrokerError(
            f"bad {what} name {text[:64]!r}", hint="use letters, digits, '-', '_' or '.', at most 64"
        )
    return text


@dataclass(frozen=True)
class Job:
    """One poll: which device, for which cycle, with which modules, within what deadline."""

    id: str
    device: str
    group: str
    modules: tuple[str, ...]
    deadline: float
    submitted: float

    def fields(self) -> dict[str, str]:
        return {
            "id": self.id,
            "device": self.device,
            "group": self.group,
            "modules": ",".join(self.modules),
            "deadline": repr(self.deadline),
            "submitted": repr(self.submitted),
        }

    @classmethod
    def from_fields(cls, raw: dict[bytes, bytes]) -> Job:
        """A job read from a stream; :class:`BrokerError` for a malformed entry."""
        try:
            f = {k.decode(): v.decode() for k, v in raw.items()}
            modules = tuple(m for m in f["modules"].split(",") if m)
            job = cls(f["id"], f["device"], f["group"], modules, float(f["deadline"]), float(f["submitted"]))
        except (KeyError, ValueError, UnicodeDecodeError) as exc:
            raise BrokerError(f"malformed job on the stream ({type(exc).__name__})") from None
        if not (0 < job.deadline <= 3600 and len(job.id) <= 300 and len(job.device) <= 200):
            raise BrokerError(f"malformed job {job.id[:80]!r} on the stream (deadline or size)")
        return job


@dataclass(frozen=True)
class Taken:
    """A job a worker took: where it came from (to acknowledge it), the job, and whether it was
    claimed from another worker (it may have finished it: its result is looked for first)."""

    stream: str
    entry: str
    job: Job
    claimed: bool = False

    @property
    def group(self) -> str:
        """The poller group whose stream the job came from."""
        return self.stream.rpartition(":")[2]


class Broker:
    """Poll jobs, results and the leader's lease on one Redis server."""

    def __init__(self, url: str, namespace: str = "govnet") -> None:
        scheme = urlsplit(url).scheme
        if scheme not in {"redis", "rediss", "unix"}:
            raise BrokerError(
                f"bad Redis URL {mask_redis_url(url)!r}",
                hint="write redis://HOST:PORT/DB, rediss://… (TLS) or unix:///PATH",
            )
        self.url = url
        self.ns = check_name(namespace, "namespace")
        # A bounded pool that waits for a free connection: a leader submits every device's job at
        # once at the start of a cycle, and must queue for connections rather than fail.
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=32, timeout=60, socket_timeout=10, socket_connect_timeout=5
        )
        self.redis: Any = aioredis.Redis(connection_pool=pool)
        self._groups_made: set[str] = set()
        #: Malformed jobs found on the streams (acknowledged so that nobody claims them again).
        self.malformed = 0

    def key(self, *parts: str) -> str:
        return ":".join((self.ns, *parts))

    async def close(self) -> None:
        await self.redis.aclose()

    async def ping(self) -> None:
        """Raise :class:`BrokerError` when the server does not answer."""
        try:
            await self.redis.ping()
        except (RedisError, OSError) as exc:
            raise BrokerError(
                f"Redis at {mask_redis_url(self.url)} does not answer: {exc}",
                hint="start redis-server (Debian package redis-server) or fix --redis",
            ) from None

    # ------------------------------------------------------------------ jobs
    async def _ensure_group(self, stream: str) -> None:
        if stream in self._groups_made:
            return
        try:
            await self.redis.xgroup_create(stream, WORKERS, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._groups_made.add(stream)

    async def submit(self, job: Job, keep: float) -> bool:
        """Queue ``job`` unless a job with its ID was submitted within ``keep`` seconds.

        The de-duplication key and the stream entry are written together (one Lua script), so a
        scheduler dying in between can never leave a key without its job.
        """
        stream = self.key("jobs", job.group)
        await self._ensure_group(stream)
        flat = [x for pair in job.fields().items() for x in pair]
        added = await self.redis.eval(
            _SUBMIT, 2, self.key("job", job.id), stream, max(1, int(keep * 1000)), *flat
        )
        return bool(added)

    async def job_known(self, job_id: str) -> bool:
        """Whether the de-duplication key of ``job_id`` still exists (Redis kept it)."""
        return bool(await self.redis.exists(self.key("job", job_id)))

    async def touch_job(self, job_id: str, keep: float) -> bool:
        """Keep the de-duplication key of a job still waiting alive for ``keep`` more seconds;
        False when Redis no longer has it (lost in a restart)."""
        return bool(await self.redis.pexpire(self.key("job", job_id), max(1, int(keep * 1000))))

    async def job_groups(self) -> list[str]:
        """Every poller group that has a job stream."""
        prefix = self.key("jobs", "")
        found = [k.decode() async for k in self.redis.scan_iter(match=prefix + "*", count=500)]
        return sorted(k.removeprefix(prefix) for k in found)

    async def take(self, groups: Sequence[str], consumer: str, count: int, block_ms: int) -> list[Taken]:
        """New jobs of ``groups`` for ``consumer`` (waits up to ``block_ms`` for one)."""
        streams = {self.key("jobs", g): ">" for g in groups}
        for stream in streams:
            await self._ensure_group(stream)
        if not streams or count < 1:
            return []
        try:
            answer = await self.redis.xreadgroup(WORKERS, consumer, streams, count=count, block=block_ms)
        except ResponseError as exc:
            self._forget_groups(exc)  # Redis restarted empty: the groups are made again next time
            return []
        return await self._taken(answer or [])

    def _forget_groups(self, exc: ResponseError) -> None:
        """A stream's group is gone (Redis restarted empty, the stream was made again by a new
        job): forget the groups made, they are made again at the next call. Anything else is an
        error."""
        if "NOGROUP" not in str(exc):
            raise exc
        self._groups_made.clear()

    async def reclaim(self, groups: Sequence[str], consumer: str, idle_s: float, count: int) -> list[Taken]:
        """Jobs another worker took and has not finished for ``idle_s``: claimed for ``consumer``."""
        out: list[Taken] = []
        for group in groups:
            stream = self.key("jobs", group)
            await self._ensure_group(stream)
            try:
                answer = await self.redis.xautoclaim(
                    stream, WORKERS, consumer, min_idle_time=int(idle_s * 1000), start_id="0-0", count=count
                )
            except ResponseError as exc:
                self._forget_groups(exc)
                continue
            entries = answer[1] if answer else []
            out += await self._taken([[stream.encode(), [e for e in entries if e and e[1]]]], claimed=True)
        return out

    async def claim_orphans(self, groups: Sequence[str], consumer: str, count: int) -> list[Taken]:
        """Jobs pending with workers whose heartbeat has expired (dead), claimed for ``consumer``.

        A worker that dies holding jobs is noticed when its heartbeat expires (seconds), not when
        its jobs have been idle longer than any poll can take. A dead worker left with nothing
        pending is removed from the consumer group."""
        out: list[Taken] = []
        for group in groups:
            stream = self.key("jobs", group)
            await self._ensure_group(stream)
            try:
                consumers = await self.redis.xinfo_consumers(stream, WORKERS)
            except ResponseError as exc:
                self._forget_groups(exc)
                continue
            for info in consumers:
                raw = info.get("name", b"")
                name = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
                if name == consumer or await self.redis.exists(self.key("worker", name)):
                    continue  # this worker, or a live one
                left = count - len(out)
                if int(info.get("pending", 0)) and left > 0:
                    entries = await self.redis.xpending_range(
                        stream, WORKERS, min="-", max="+", count=left, consumername=raw
                    )
                    ids = [e["message_id"] for e in entries]
                    if ids:
                        got = await self.redis.xclaim(
                            stream, WORKERS, consumer, min_idle_time=ORPHAN_MIN_IDLE_MS, message_ids=ids
                        )
                        out += await self._taken(
                            [[stream.encode(), [e for e in got if e and e[1]]]], claimed=True
                        )
                still = await self.redis.xpending_range(
                    stream, WORKERS, min="-", max="+", count=1, consumername=raw
                )
                if not still:
                    await self.redis.xgroup_delconsumer(stream, WORKERS, raw)
        return out

    async def result_stored(self, job_id: str) -> bool:
        """Whether some worker already stored the result of ``job_id``."""
        return bool(await self.redis.exists(self.key("result", job_id)))

    async def _taken(self, answer: list[Any], claimed: bool = False) -> list[Taken]:
        """The jobs of a stream answer; a malformed entry is acknowledged and counted, not run."""
        out = []
        for stream, entries in answer:
            name = stream.decode() if isinstance(stream, bytes) else stream
            for entry, raw in entries:
                try:
                    out.append(Taken(name, entry.decode(), Job.from_fields(raw), claimed))
                except BrokerError:
                    self.malformed += 1
                    await self.redis.xack(name, WORKERS, entry)
        return out

    async def finish(self, taken: Taken, payload: bytes, keep: float) -> None:
        """Store the result (the first one wins), tell the leader, then acknowledge the job."""
        ttl = max(1, int(keep * 1000))
        await self.redis.set(self.key("result", taken.job.id), payload, nx=True, px=ttl)
        await self.redis.xadd(
            self.key("results"), {"id": taken.job.id}, maxlen=RESULTS_MAXLEN, approximate=True
        )
        await self.redis.xack(taken.stream, WORKERS, taken.entry)

    async def drop(self, taken: Taken) -> None:
        """Acknowledge a job that can never be done (malformed), so it is not claimed forever."""
        await self.redis.xack(taken.stream, WORKERS, taken.entry)

    async def pending(self, group: str) -> int:
        """Jobs taken by some worker and not acknowledged."""
        info = await self.redis.xpending(self.key("jobs", group), WORKERS)
        return int(info["pending"]) if info else 0

    # ------------------------------------------------------------------ results
    async def results_tail(self) -> str:
        """The ID to follow ``NS:results`` from (its newest entry now)."""
        entries = await self.redis.xrevrange(self.key("results"), count=1)
        return entries[0][0].decode() if entries else "0-0"

    async def results_after(self, last: str, block_ms: int) -> tuple[str, list[str]]:
        """Job IDs whose results were stored after ``last``; the new position."""
        answer = await self.redis.xread({self.key("results"): last}, count=1000, block=block_ms)
        ids = []
        for _stream, entries in answer or []:
            for entry, raw in entries:
                last = entry.decode()
                value = raw.get(b"id")
                if value is not None:
                    ids.append(value.decode("utf-8", "replace"))
        return last, ids

    async def result(self, job_id: str) -> bytes | None:
        value: bytes | None = await self.redis.get(self.key("result", job_id))
        return value

    # ------------------------------------------------------------------ lease and heartbeats
    async def acquire_lease(self, owner: str, ttl_s: float) -> bool:
        return bool(await self.redis.set(self.key("lease"), owner, nx=True, px=int(ttl_s * 1000)))

    async def lease_left(self) -> float | None:
        """Seconds the lease still has to live; 0 when nobody holds it, None when it has no expiry
        (not written by govnet)."""
        left = int(await self.redis.pttl(self.key("lease")))
        if left == -1:
            return None
        return max(0.0, left / 1000)

    async def renew_lease(self, owner: str, ttl_s: float) -> bool:
        return bool(await self.redis.eval(_RENEW, 1, self.key("lease"), owner, int(ttl_s * 1000)))

    async def release_lease(self, owner: str) -> None:
        await self.redis.eval(_RELEASE, 1, self.key("lease"), owner)

    async def lease_holder(self) -> str | None:
        """Who holds the lease, as printable text (it is shown to operators: whatever is in Redis
        must not reach their terminal as escape sequences)."""
        value = await self.redis.get(self.key("lease"))
        if value is None:
            return None
        text = value.decode("utf-8", "replace")
        return "".join(c if c.isprintable() else "?" for c in text[:120])

    async def heartbeat(self, worker: str, groups: Sequence[str], ttl_s: float) -> None:
        value = ",".join(groups) or "*"
        await self.redis.set(self.key("worker", worker), value, px=int(ttl_s * 1000))

    async def workers(self) -> dict[str, str]:
        """Live workers (heartbeat not expired) and the groups each polls (``*``: all)."""
        prefix = self.key("worker", "")
        out = {}
        async for k in self.redis.scan_iter(match=prefix + "*", count=500):
            value = await self.redis.get(k)
            if value is not None:
                out[k.decode().removeprefix(prefix)] = value.decode("utf-8", "replace")
        return out
