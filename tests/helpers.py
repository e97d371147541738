"""Helpers shared by the capability tests: a picture of every written table, and small builders."""
from __future__ import annotations

import contextlib
import datetime

import pytest

from powerlists import services
from powerlists.models import (
    AuditEvent,
    Batch,
    Department,
    Division,
    Edition,
    Exercise,
    Government,
    Law,
    LegalBasis,
    PowerItem,
    Tag,
    TownZoneMerger,
    Transfer,
    TransferParty,
)
from powerlists.queries import power_list

D = datetime.date

WRITTEN_MODELS = (
    Exercise, Transfer, TransferParty, AuditEvent, PowerItem, Government, Department, Division, Tag, Batch,
    Law, LegalBasis, Edition, TownZoneMerger,
)


def db_state() -> dict:
    """Every row of every table the services write, with all its values, keyed by model."""
    state = {}
    for model in WRITTEN_MODELS:
        state[model.__name__] = list(model.objects.order_by("pk").values())
    state["government_tags"] = sorted(Government.tags.through.objects.values_list("government_id", "tag_id"))
    return state


@contextlib.contextmanager
def refused(error_class, code: str | None = None):
    """Expect a refusal of ``error_class`` (with ``code``) and check that nothing at all was written.

    Yields the ``pytest.raises`` ExceptionInfo.
    """
    before = db_state()
    with pytest.raises(error_class) as info:
        yield info
    if code is not None:
        assert info.value.code == code, f"expected {code}, got {info.value.code}: {info.value}"
    after = db_state()
    for name in before:
        assert after[name] == before[name], f"{name} rows changed by a refused write"


def lists_of(governments, days) -> dict:
    """Each government's power list on each day: to compare history before and after a change.

    A row's ``valid_to`` is left out: a later change may end a row, which says nothing new about the list
    on an earlier date; every other value (which items, in which arrangement, role, department, share,
    source...) must stay as it was.
    """
    return {
        (g.code, day): [{k: v for k, v in row.items() if k != "valid_to"} for row in power_list(g, day)]
        for g in governments for day in days
    }


def item_ids(government, day=None, **filters) -> set[int]:
    return {r["item_id"] for r in power_list(government, day, **filters)}


def arrangements(government, day=None) -> dict[int, str]:
    return {r["item_id"]: r["arrangement"] for r in power_list(government, day)}


def last_event(action: str | None = None) -> AuditEvent:
    qs = AuditEvent.objects.all()
    if action:
        qs = qs.filter(action=action)
    return qs.order_by("-id").first()


def assert_one_new_event(before_max_id: int, action: str) -> AuditEvent:
    events = list(AuditEvent.objects.filter(id__gt=before_max_id))
    assert [e.action for e in events] == [action]
    return events[0]


def max_event_id() -> int:
    last = AuditEvent.objects.order_by("-id").first()
    return last.id if last else 0


def devolve(item, giver, receiver, day, **kwargs):
    return services.devolve(item=item, giver=giver, receiver=receiver, effective_on=day, **kwargs)


def exercise_rows() -> dict[int, dict]:
    return {r["id"]: r for r in Exercise.objects.values()}


def assert_history_kept(before: dict[int, dict], day) -> None:
    """Rows that existed before a change dated ``day``: none deleted; a closed row untouched; an open row
    at most closed on ``day`` (its ``valid_to`` set once, nothing else changed)."""
    after = exercise_rows()
    for pk, old in before.items():
        assert pk in after, f"exercise {pk} was deleted"
        new = after[pk]
        if old["valid_to"] is not None or new["valid_to"] is None:
            assert new == old, f"exercise {pk} changed: {old} -> {new}"
        else:
            assert new["valid_to"] == day and new["closed_by_id"] is not None
            assert {k: v for k, v in new.items() if k not in ("valid_to", "closed_by_id")} == {
                k: v for k, v in old.items() if k not in ("valid_to", "closed_by_id")}


def client_for(user):
    """An API client authenticated as ``user``."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client
