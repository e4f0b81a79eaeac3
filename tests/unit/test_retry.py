"""Which database errors the pipeline (and later the CLI) runs again: PostgreSQL's serialisation
failures and deadlocks, found through SQLAlchemy's and the driver's wrappers; nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from registry.retry import backoff, is_disconnect, is_transient, sqlstate


class DriverError(Exception):
    def __init__(self, code: str | None) -> None:
        super().__init__("driver")
        self.sqlstate = code


def wrapped(code: str | None) -> OperationalError:
    """As SQLAlchemy raises it: the DBAPI error in ``orig``, the driver's as its cause."""
    adapted = Exception("adapted")
    adapted.__cause__ = DriverError(code)
    return OperationalError("UPDATE ...", {}, adapted)


@pytest.mark.parametrize("code", ["40001", "40P01"])
def test_serialisation_failures_and_deadlocks_are_transient(code: str) -> None:
    assert is_transient(wrapped(code))
    assert sqlstate(wrapped(code)) == code


@pytest.mark.parametrize("code", ["23505", "42P01", "57P01", None])
def test_other_errors_are_not(code: str | None) -> None:
    assert not is_transient(wrapped(code))
    assert not is_transient(IntegrityError("INSERT", {}, Exception("unique")))
    assert not is_transient(RuntimeError("database is locked"))


def test_a_cycle_of_causes_ends() -> None:
    first, second = Exception("a"), Exception("b")
    first.__cause__, second.__cause__ = second, first
    assert not is_transient(first)


def test_the_backoff_grows_and_stays_bounded() -> None:
    assert 0 < backoff(0) <= 0.05
    assert all(0 < backoff(attempt) <= 1.0 for attempt in range(20))


@pytest.mark.parametrize("code", ["08006", "08001", "57P01", "57P03"])
def test_a_server_going_away_is_a_disconnect_not_a_retryable_conflict(code: str) -> None:
    assert is_disconnect(wrapped(code))
    assert not is_transient(wrapped(code))


def test_a_connection_refused_or_invalidated_is_a_disconnect() -> None:
    refused = Exception("adapted")
    refused.__cause__ = ConnectionRefusedError(111, "Connection refused")
    assert is_disconnect(OperationalError("SELECT 1", {}, refused))
    invalidated = OperationalError("SELECT 1", {}, Exception("gone"), connection_invalidated=True)
    assert is_disconnect(invalidated)


@pytest.mark.parametrize(
    "error",
    [wrapped("40001"), wrapped("23505"), TimeoutError(), RuntimeError("database is locked")],
)
def test_a_conflict_a_constraint_or_a_slow_step_is_no_disconnect(error: Exception) -> None:
    assert not is_disconnect(error)
