"""Which database errors are worth running the transaction again: PostgreSQL's own verdicts.

PostgreSQL aborts a transaction that lost a serialisation conflict (SQLSTATE 40001) or was
chosen as a deadlock's victim (40P01): nothing of it was kept, and the same work run again a
moment later normally succeeds. Every other error (a constraint, a syntax error, the server
gone) is not retried here: retrying would repeat it or hide it. The test looks through
SQLAlchemy's wrapper and the driver's exception chain, so the chat pipeline and the command
line can share it whatever driver raised the error.

A lost connection (the server restarted, the network dropped) is another matter: the
transaction is gone with it, nothing of it was kept, and the same work succeeds once the server
answers again, however long that takes. :func:`is_disconnect` recognises it, so a caller can
wait for the database instead of failing the work.
"""

from __future__ import annotations

import random

TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})
# Class 08 (connection exception), and the server shutting down or not yet accepting.
DISCONNECT_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
_CHAIN_LIMIT = 8  # exceptions followed through ``orig`` / ``__cause__`` / ``__context__``


def _chain(error: BaseException) -> list[BaseException]:
    """``error`` and what it wraps (``orig``, cause, context), nearest first, bounded."""
    seen: set[int] = set()
    found: list[BaseException] = []
    pending: list[BaseException] = [error]
    while pending and len(found) < _CHAIN_LIMIT:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        for linked in (getattr(current, "orig", None), current.__cause__, current.__context__):
            if isinstance(linked, BaseException):
                pending.append(linked)
    return found


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE carried by ``error`` or an exception it wraps, if any."""
    for current in _chain(error):
        for attribute in ("sqlstate", "pgcode"):
            code = getattr(current, attribute, None)
            if isinstance(code, str) and code:
                return code
    return None


def is_disconnect(error: BaseException) -> bool:
    """Whether ``error`` means the database could not be reached or the connection was lost:
    SQLAlchemy saw the connection invalidated, the server said it is going away (or not yet
    up), or the socket itself failed."""
    for current in _chain(error):
        if getattr(current, "connection_invalidated", False):
            return True
        if isinstance(current, ConnectionError):
            return True
        # asyncpg's "connection was closed in the middle of operation" and its kin.
        if type(current).__name__ in {"ConnectionDoesNotExistError", "InterfaceError"}:
            return "closed" in str(current) or "connection" in str(current).lower()
    code = sqlstate(error)
    return code is not None and (code.startswith("08") or code in DISCONNECT_SQLSTATES)


def is_transient(error: BaseException) -> bool:
    """Whether ``error`` means "run the same transaction again": a serialisation failure or a
    deadlock on PostgreSQL."""
    return sqlstate(error) in TRANSIENT_SQLSTATES


def backoff(attempt: int, base: float = 0.05, cap: float = 1.0) -> float:
    """Seconds to wait before retry ``attempt`` (0, 1, ...): doubling, capped, with jitter so
    that two transactions that collided do not collide again at the same instant."""
    delay: float = min(cap, base * 2**attempt)
    return delay * (0.5 + random.random() / 2)  # jitter, not a secret
