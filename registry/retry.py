"""Which database errors are worth running the transaction again: PostgreSQL's own verdicts.

PostgreSQL aborts a transaction that lost a serialisation conflict (SQLSTATE 40001) or was
chosen as a deadlock's victim (40P01): nothing of it was kept, and the same work run again a
moment later normally succeeds. Every other error (a constraint, a syntax error, the server
gone) is not retried here: retrying would repeat it or hide it. The test looks through
SQLAlchemy's wrapper and the driver's exception chain, so the chat pipeline and the command
line can share it whatever driver raised the error.
"""

from __future__ import annotations

import random

TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})
_CHAIN_LIMIT = 8  # exceptions followed through ``orig`` / ``__cause__`` / ``__context__``


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE carried by ``error`` or an exception it wraps, if any."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending and len(seen) < _CHAIN_LIMIT:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        for attribute in ("sqlstate", "pgcode"):
            code = getattr(current, attribute, None)
            if isinstance(code, str) and code:
                return code
        for linked in (getattr(current, "orig", None), current.__cause__, current.__context__):
            if isinstance(linked, BaseException):
                pending.append(linked)
    return None


def is_transient(error: BaseException) -> bool:
    """Whether ``error`` means "run the same transaction again": a serialisation failure or a
    deadlock on PostgreSQL."""
    return sqlstate(error) in TRANSIENT_SQLSTATES


def backoff(attempt: int, base: float = 0.05, cap: float = 1.0) -> float:
    """Seconds to wait before retry ``attempt`` (0, 1, ...): doubling, capped, with jitter so
    that two transactions that collided do not collide again at the same instant."""
    delay: float = min(cap, base * 2**attempt)
    return delay * (0.5 + random.random() / 2)  # jitter, not a secret
