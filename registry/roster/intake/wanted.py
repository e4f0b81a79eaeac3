"""The one statement that fetches the people a batch of rows could name: the active person of
an agency with a folded name, or the active holder of a mobile.

A batch asks for up to 500 of each. On SQLite, ``(agency_id, name_key) IN (...)`` and
``mobile IN (...)`` are each answered by one lookup of the unique index per value. On
PostgreSQL the same lists cost more to plan than to run: the planner turns 500 pairs into 500
alternatives (about 45 ms of planning a batch, 80% of an unchanged re-import's time), and right
after a bulk import, before the table's statistics are gathered again, it reads the whole table
for the mobiles. There the wanted values are passed as arrays (``unnest``) and each is looked up
by a LATERAL subquery with ``LIMIT 1``: at most one active person holds a name in an agency or
a mobile (the partial unique indexes), and the limit keeps the planner to one index lookup per
value, whatever its statistics say.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    Text,
    bindparam,
    func,
    select,
    true,
    tuple_,
    union_all,
)

from registry.models import Person, Status


def wanted_people(
    dialect: str,
    columns: Sequence[ColumnElement[Any]],
    keys: Collection[tuple[int, str]],
    mobiles: Collection[str],
) -> Select[Any] | CompoundSelect | None:
    """The active people named by ``keys`` (agency id, folded name) or holding ``mobiles``
    (E.164), as ``columns`` of ``Person``; None when nothing is asked."""
    active = Person.status != Status.retired
    if dialect == "postgresql":
        lookups = _by_arrays(columns, active, sorted(keys), sorted(mobiles))
    else:
        lookups = []
        if keys:
            pairs = tuple_(Person.agency_id, Person.name_key).in_(sorted(keys))
            lookups.append(select(*columns).where(active, pairs))
        if mobiles:
            lookups.append(select(*columns).where(active, Person.mobile.in_(sorted(mobiles))))
    if not lookups:
        return None
    return union_all(*lookups) if len(lookups) > 1 else lookups[0]


def _by_arrays(
    columns: Sequence[ColumnElement[Any]],
    active: ColumnElement[bool],
    keys: list[tuple[int, str]],
    mobiles: list[str],
) -> list[Select[Any]]:
    from sqlalchemy.dialects.postgresql import ARRAY

    lookups = []
    if keys:
        asked = (
            func.unnest(
                bindparam("agency_ids", [agency for agency, _ in keys], type_=ARRAY(Integer)),
                bindparam("name_keys", [name for _, name in keys], type_=ARRAY(Text)),
            )
            .table_valued("agency_id", "name_key")
            .render_derived(name="asked_name")
        )
        one = (
            select(*columns)
            .where(
                active,
                Person.agency_id == asked.c.agency_id,
                # The name key's bytewise collation, so that its index serves the lookup.
                Person.name_key == asked.c.name_key.collate("C"),
            )
            .limit(1)
            .lateral("named")
        )
        lookups.append(select(*one.c).select_from(asked.join(one, true())))
    if mobiles:
        held = (
            func.unnest(bindparam("mobiles", mobiles, type_=ARRAY(Text)))
            .table_valued("mobile")
            .render_derived(name="asked_mobile")
        )
        one = (
            select(*columns)
            .where(active, Person.mobile == held.c.mobile)
            .limit(1)
            .lateral("holder")
        )
        lookups.append(select(*one.c).select_from(held.join(one, true())))
    return lookups
