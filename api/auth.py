"""Bearer tokens with roles and an optional district or commune scope, stored hashed.

A token is ``gvn_<id>_<secret>``: the id finds the record, the secret (32 random bytes) is
checked against its SHA-256 in constant time. Only the hash is stored (in
``~/.config/govnet/api-tokens.json``, mode 0600, outside any repository); the token itself is
printed once by ``govnet api token create``.

Roles, each including the one before:

* ``ioc`` — read connectivity status (summary, agencies, districts, topology, SLA, events);
* ``noc`` — read everything (devices, links, incidents, metrics) and acknowledge incidents;
* ``engineer`` — all that, and start a provisioning dry run;
* ``admin`` — all that, and read the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

from govnet.errors import GovnetError
from govnet.paths import config_home


class Role(StrEnum):
    """What a token may do."""

    IOC = "ioc"
    NOC = "noc"
    ENGINEER = "engineer"
    ADMIN = "admin"

    def includes(self, other: Role) -> bool:
        """``engineer`` includes ``noc`` includes ``ioc``.

        >>> Role.ENGINEER.includes(Role.IOC), Role.IOC.includes(Role.NOC)
        (True, False)
        """
        order = [Role.IOC, Role.NOC, Role.ENGINEER, Role.ADMIN]
        return order.index(self) >= order.index(other)


@dataclass(frozen=True)
class TokenRecord:
    """One stored token (its hash, never the token)."""

    id: str
    sha256: str
    role: Role
    district: str | None
    created: float
    expires: float | None
    note: str = ""
    #: A commune or ward (its id, see inventory/communes.py) within ``district``, or None.
    commune: str | None = None


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's id, role and scope.

    A commune-scoped caller also carries its commune's district: every district check holds it
    within the district, and the commune cuts further (scope.py).
    """

    token_id: str
    role: Role
    district: str | None
    #: The token's note (who it is for): how the audit log names the caller.
    name: str = ""
    #: The commune or ward the token is limited to (within ``district``), or None.
    commune: str | None = None

    def sees(self, district: str) -> bool:
        """Whether this caller may see things in ``district`` (some of them, for a commune scope)."""
        return self.district is None or self.district == district

    def sees_commune(self, commune: str, district: str) -> bool:
        """Whether this caller may see the commune ``commune`` (of ``district``)."""
        return self.sees(district) and self.commune in (None, commune)

    @property
    def scope_name(self) -> str:
        """How errors name the scope: ``district 'x'`` or ``commune 'y'``."""
        return f"commune '{self.commune}'" if self.commune else f"district '{self.district}'"


class AuthError(GovnetError):
    """A token is missing, malformed, unknown or expired (HTTP 401)."""


def default_tokens_file() -> Path:
    """``$GOVNET_API_TOKENS`` or ``~/.config/govnet/api-tokens.json``."""
    env = os.environ.get("GOVNET_API_TOKENS")
    return Path(env) if env else config_home() / "api-tokens.json"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


#: What an unknown token id's secret is compared with: not the hash of anything (not hex).
_NO_TOKEN = "-" * 64


class TokenFileError(GovnetError):
    """The token file cannot be read: the server's fault, not the caller's (the API answers 503)."""


class TokenStore:
    """Token records in one JSON file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_tokens_file()
        self._where = str(self.path)
        self._cache: tuple[tuple[int, int, int], list[TokenRecord]] | None = None
        #: Per file version: the records by id, with the caller each stands for.
        self._by_id: dict[str, tuple[TokenRecord, Principal]] = {}

    def records(self) -> list[TokenRecord]:
        """Every record (an absent file is no tokens); re-read only when the file changed.

        Checked on every request (one stat), so a token revoked or created by another process
        counts from the next request on.
        """
        try:
            stat = os.stat(self._where)
        except FileNotFoundError:
            self._by_id = {}
            return []
        key = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            records = [TokenRecord(**{**r, "role": Role(r["role"])}) for r in raw["tokens"]]
            self._by_id = {r.id: (r, Principal(r.id, r.role, r.district, r.note, r.commune)) for r in records}
            self._cache = (key, records)
            return records
        except (ValueError, KeyError, TypeError) as exc:
            raise TokenFileError(
                f"the token file {self.path} is damaged: {exc}",
                hint="move it away and create new tokens with 'govnet api token create'",
            ) from exc

    def _write(self, records: list[TokenRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # a leftover temp file keeps its mode: set it
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"tokens": [asdict(r) for r in records]}, out, indent=1)
        tmp.replace(self.path)

    def create(
        self,
        role: Role,
        district: str | None = None,
        expires_in: float | None = None,
        note: str = "",
        commune: str | None = None,
    ) -> tuple[str, TokenRecord]:
        """A new token: returns (the token, shown once; its record).

        A commune scope needs its district too (the caller looks it up in the inventory).
        """
        if commune is not None and district is None:
            raise GovnetError("a commune-scoped token needs its commune's district", hint="give both")
        token_id = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32)
        now = time.time()
        record = TokenRecord(
            token_id,
            _hash(secret),
            role,
            district,
            now,
            None if expires_in is None else now + expires_in,
            note,
            commune,
        )
        self._write([*self.records(), record])
        return f"gvn_{token_id}_{secret}", record

    def revoke(self, token_id: str) -> bool:
        """Remove a token; False when there was none with that id."""
        records = self.records()
        kept = [r for r in records if r.id != token_id]
        if len(kept) == len(records):
            return False
        self._write(kept)
        return True

    def verify(self, token: str, now: float | None = None) -> Principal:
        """The caller a token stands for, or :class:`AuthError` saying why not."""
        prefix, _, rest = token.partition("_")
        token_id, _, secret = rest.partition("_")
        if prefix != "gvn" or not token_id or not secret:
            raise AuthError(
                "malformed token",
                hint="send 'Authorization: Bearer gvn_…' as 'govnet api token create' printed it",
            )
        self.records()
        found = self._by_id.get(token_id)
        # An unknown id is compared too (with a hash no secret has), so that timing tells nothing.
        stored = found[0].sha256 if found else _NO_TOKEN
        if not hmac.compare_digest(stored, _hash(secret)) or found is None:
            raise AuthError("unknown token", hint="it may have been revoked; ask for a new one")
        return self._live(*found, now)

    def lookup(self, token_id: str, now: float | None = None) -> Principal:
        """The caller a token id stands for (a session's token), or :class:`AuthError`: revoked, expired."""
        self.records()
        found = self._by_id.get(token_id)
        if found is None:
            raise AuthError("the session's token was revoked", hint="log in again with a valid token")
        return self._live(*found, now)

    @staticmethod
    def _live(record: TokenRecord, caller: Principal, now: float | None) -> Principal:
        if record.expires is not None and (time.time() if now is None else now) >= record.expires:
            raise AuthError("expired token", hint="ask for a new one ('govnet api token create')")
        return caller
