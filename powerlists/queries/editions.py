"""Editions of a government's list (年度动态调整): which a person may see, an edition's content, and two
editions compared.

An edition's content is the government's list on its publication date, read from the time-keeping rows
(nothing is copied): comparing two editions is :func:`queries.lists.diff` between their dates.
"""
from __future__ import annotations

from django.db.models import F, QuerySet

from .. import policy
from ..models import Edition, EditionState, Government
from .lists import ListDiff, diff, list_queryset

PUBLIC_STATES = (EditionState.PUBLISHED, EditionState.FILED)


def may_see_drafts(user, government: Government) -> bool:
    """Drafts and approved editions not yet published: the government's editors and reviewers (and those
    above them whose roles cover it)."""
    return policy.has_role(user, policy.EDITOR, government) or policy.has_role(user, policy.REVIEWER, government)


def editions_of(government: Government, user=None) -> QuerySet:
    """The editions of ``government`` that ``user`` may see, newest first (one query)."""
    qs = Edition.objects.filter(government=government).select_related("government", "filed_with")
    if user is None or not may_see_drafts(user, government):
        qs = qs.filter(state__in=PUBLIC_STATES)
    return qs.order_by(F("published_on").desc(nulls_first=True), "-number")  # drafts first, then the newest


def edition_by_number(government: Government, number: str, user=None) -> Edition | None:
    return editions_of(government, user).filter(number=number).first()


def edition_rows(edition: Edition, **filters):
    """The list the edition publishes (its government's list on its publication date), lazily."""
    if edition.published_on is None:
        raise ValueError("an edition not yet published has no content")
    return list_queryset(edition.government, edition.published_on, **filters)


def compare(older: Edition, newer: Edition) -> ListDiff:
    """What changed between two published editions of one list (two queries)."""
    if older.government_id != newer.government_id:
        raise ValueError("editions of two governments")
    if older.published_on is None or newer.published_on is None:
        raise ValueError("an edition not yet published has no content")
    if older.published_on > newer.published_on:
        older, newer = newer, older
    return diff(older.government, older.published_on, newer.published_on)


__all__ = ["PUBLIC_STATES", "compare", "edition_by_number", "edition_rows", "editions_of", "may_see_drafts"]
