"""Invariants under any sequence of operations (Hypothesis, stateful).

Random sequences of devolve / recall / share / cancel / adjust, of proposals put in a batch that takes
effect, and of proposals withdrawn, on a small tree and a year of dates. After every step:

- no government exercises an item twice at once (rows of one item and government never overlap);
- every shared power has one lead and fiscal shares adding up to 100 % on every date;
- every received power traces back to a row of its giver that covers it;
- every list on every date before the step's date is what it was before the step;
- a refused step wrote nothing;
- the audit chain verifies.

CI runs a bounded number of examples (``HYPOTHESIS_EXAMPLES``, default 15); a larger run:
``HYPOTHESIS_EXAMPLES=300 .venv/bin/pytest tests/test_invariants_stateful.py``.
"""
from __future__ import annotations

import datetime
import itertools
import os
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import models
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from accounts.models import Membership
from powerlists import audit_chain, services
from powerlists.models import AuditEvent, Exercise, Role, Tier
from powerlists.models.choices import SHARED_ROLES
from powerlists.queries import power_list
from powerlists.services import DomainError, Party, workflow

DAYS = [datetime.date(2020, month, 1) for month in range(1, 13)]
EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "15"))
_worlds = itertools.count(1)


def snapshot(governments, days) -> dict:
    return {(g.pk, day): sorted((r["item_id"], r["role"], r["arrangement"], str(r["fiscal_share"]))
                                for r in power_list(g, day))
            for g in governments for day in days}


class PowerLists(RuleBasedStateMachine):
    """One small world per example: province → city → 2 districts → 3 streets, items held by the city
    and by a district, and the people of the review workflow."""

    devolved = Bundle("devolved")

    @initialize()
    def build_world(self):
        n = next(_worlds)
        code = f"{60 + n % 30:02d}{n:04d}"  # unique per example, within this test's transaction
        gov = services.create_government
        self.province = gov(code=code, name=f"省{n}", tier=Tier.PROVINCE)
        self.city = gov(code=f"{code}01", name=f"市{n}", tier=Tier.CITY, parent=self.province)
        self.districts = [gov(code=f"{code}01{d:02d}", name=f"区{n}-{d}", tier=Tier.COUNTY, parent=self.city)
                          for d in (1, 2)]
        self.streets = [gov(code=f"{self.districts[d].code}{s:03d}", name=f"街道{n}-{d}-{s}", tier=Tier.TOWNSHIP,
                            parent=self.districts[d]) for d, s in ((0, 1), (0, 2), (1, 1))]
        self.governments = [self.city, *self.districts, *self.streets]
        since = datetime.date(2019, 1, 1)
        self.items = [services.create_item(government=self.city, holder_from=since, code=f"W{n}-{i}",
                                           name=f"事项{n}-{i}", category="licensing") for i in range(3)]
        self.items.append(services.create_item(government=self.districts[0], holder_from=since, code=f"W{n}-D",
                                               name=f"区事项{n}", category="licensing"))
        from django.contrib.auth import get_user_model

        users = get_user_model().objects
        self.editor = users.create_user(f"inv-editor-{n}")
        self.reviewer = users.create_user(f"inv-reviewer-{n}")
        self.acceptor = users.create_user(f"inv-acceptor-{n}")  # one person never confirms both sides
        for user, role in ((self.editor, "editor"), (self.reviewer, "reviewer"), (self.acceptor, "reviewer")):
            Membership.objects.create(user=user, government=self.city, role=role, include_subtree=True)
        self.proposals = []

    # --- the steps ----------------------------------------------------------------------------------

    def _step(self, day, action) -> bool:
        """Run one change; a refusal must write nothing; lists before ``day`` must not change. True when
        the change was made."""
        earlier = [d for d in DAYS if d < day]
        before_lists = snapshot(self.governments, earlier)
        before_counts = (Exercise.objects.count(), AuditEvent.objects.count())
        done = True
        try:
            action()
        except DomainError:
            done = False
            assert (Exercise.objects.count(), AuditEvent.objects.count()) == before_counts, "a refusal wrote"
        assert snapshot(self.governments, earlier) == before_lists, f"a change dated {day} altered an earlier list"
        return done

    def _current(self, index):
        item = self.items[index % len(self.items)]
        item.refresh_from_db()
        while item.replaced_by_id:  # adjusted: the new version carries on
            item = type(item).objects.get(pk=item.replaced_by_id)
        self.items[index % len(self.items)] = item
        return item

    def _pair(self, g, r):
        """A giver (the city or a district, mostly) and a government of the tree, mostly inside its territory."""
        giver = self.governments[g]
        inside = [x for x in self.governments if x.path.startswith(giver.path) and x.pk != giver.pk]
        return giver, (inside[r % len(inside)] if inside and r < 8 else self.governments[r % 6])

    @rule(target=devolved, i=st.integers(0, 3), g=st.sampled_from([0, 0, 1, 2, 3]), r=st.integers(0, 9),
          day=st.sampled_from(DAYS))
    def devolve(self, i, g, r, day):
        item, (giver, receiver) = self._current(i), self._pair(g, r)
        if self._step(day, lambda: services.devolve(item=item, giver=giver, receiver=receiver, effective_on=day)):
            return (i, giver, receiver, day)
        return multiple()

    @rule(done=consumes(devolved), later=st.integers(0, 11))
    def recall_a_devolution(self, done, later):
        i, giver, receiver, since = done
        if since == DAYS[-1]:
            return
        item, day = self._current(i), DAYS[max(DAYS.index(since) + 1, later)]
        self._step(day, lambda: services.recall(item=item, giver=giver, receiver=receiver, effective_on=day))

    @rule(i=st.integers(0, 3), g=st.sampled_from([0, 0, 1, 2, 3]), r=st.integers(0, 9), day=st.sampled_from(DAYS))
    def recall(self, i, g, r, day):
        item, (giver, receiver) = self._current(i), self._pair(g, r)
        self._step(day, lambda: services.recall(item=item, giver=giver, receiver=receiver, effective_on=day))

    @rule(i=st.integers(0, 3), s=st.integers(0, 2), lead_share=st.integers(0, 100), day=st.sampled_from(DAYS),
          odd=st.booleans())
    def share(self, i, s, lead_share, day, odd):
        item, sharer = self._current(i), self.governments[s]
        support = [g for g in self.governments if g.parent_id == sharer.pk][:2]
        rest = 100 - lead_share + (7 if odd else 0)  # sometimes not adding up to 100: refused
        shares = [rest // max(1, len(support))] * len(support)
        if shares:
            shares[0] += rest - sum(shares)
        parties = [Party(sharer, Role.LEAD, lead_share)] + [Party(g, Role.SUPPORT, v)
                                                           for g, v in zip(support, shares, strict=True)]
        self._step(day, lambda: services.share(item=item, sharer=sharer, parties=parties, effective_on=day))

    @rule(i=st.integers(0, 3), day=st.sampled_from(DAYS), chance=st.integers(0, 3))
    def cancel(self, i, day, chance):
        if chance:  # rarer than the rest: a cancelled item takes no more changes
            return
        item = self._current(i)
        self._step(day, lambda: services.cancel(item=item, effective_on=day))

    @rule(i=st.integers(0, 3), day=st.sampled_from(DAYS), days=st.integers(1, 30), chance=st.integers(0, 2))
    def adjust(self, i, day, days, chance):
        if chance:  # rarer than the rest: proposals on the old version are then refused
            return
        item = self._current(i)
        self._step(day, lambda: services.adjust(item=item, changes={"promised_days": days}, effective_on=day))

    @rule(i=st.integers(0, 2), r=st.integers(1, 2), day=st.sampled_from(DAYS))
    def propose(self, i, r, day):
        item = self._current(i)

        made = []
        self._step(day, lambda: made.append(workflow.propose(
            actor=self.editor, kind="devolve", item=item, giver=self.city, receiver=self.governments[r],
            effective_on=day)))
        if made:
            self._step(day, lambda: self.proposals.append(workflow.submit(made[0], actor=self.editor)))

    @rule(data=st.data())
    def withdraw(self, data):
        if not self.proposals:
            return
        t = self.proposals.pop(data.draw(st.integers(0, len(self.proposals) - 1)))
        self._step(DAYS[0], lambda: workflow.withdraw(t, actor=self.editor))  # no list changes at all

    @rule(day=st.sampled_from(DAYS), acceptance=st.integers(0, 3))
    def batch_takes_effect(self, day, acceptance):
        """The submitted proposals go into a batch that is approved, accepted (or not) and takes effect —
        or is refused as a whole (unaccepted, or a conflict): all or nothing either way."""
        accept = acceptance > 0  # mostly accepted; sometimes not, and then the batch cannot take effect
        pending = [t for t in self.proposals if type(t).objects.get(pk=t.pk).state == "submitted"]
        self.proposals = []
        if not pending:  # nothing proposed yet: propose one now
            self.propose(i=DAYS.index(day) % 3, r=1 + DAYS.index(day) % 2, day=day)
            pending, self.proposals = list(self.proposals), []
            if not pending:
                return

        batch = workflow.create_batch(actor=self.editor, issuer=self.city, title="批次", effective_on=day)
        try:
            for t in pending:
                workflow.add_to_batch(t, batch, actor=self.editor)
            workflow.approve_batch(batch, actor=self.reviewer)
            if accept:
                for receiver in {t.receiver for t in pending}:
                    dept = receiver.departments.first() or services.create_department(
                        government=receiver, name=f"{receiver.name}便民服务中心", kind="service_centre")
                    workflow.accept_in_batch(batch, actor=self.acceptor, government=receiver,
                                             receiving_department=dept)
        except DomainError:
            return  # the batch could not be put together (e.g. a conflict): nothing takes effect
        self._step(day, lambda: workflow.effect_batch(batch, actor=self.reviewer))

    # --- the invariants -----------------------------------------------------------------------------

    def _rows(self):
        return list(Exercise.objects.filter(government__in=self.governments).order_by("item_id", "government_id",
                                                                                     "valid_from", "id"))

    @invariant()
    def nobody_exercises_an_item_twice_at_once(self):
        if not hasattr(self, "city"):
            return
        by_pair = defaultdict(list)
        for row in self._rows():
            by_pair[(row.item_id, row.government_id)].append(row)
        for rows in by_pair.values():
            for a, b in zip(rows, rows[1:], strict=False):
                assert a.valid_to is not None and a.valid_to <= b.valid_from, (a.pk, b.pk)

    @invariant()
    def shared_powers_have_one_lead_and_shares_adding_up(self):
        if not hasattr(self, "city"):
            return
        for day in DAYS:
            groups = defaultdict(list)
            for row in Exercise.objects.in_force(day).filter(government__in=self.governments,
                                                              role__in=SHARED_ROLES):
                groups[(row.item_id, row.shared_by_id)].append(row)
            for rows in groups.values():
                assert [r.role for r in rows].count(Role.LEAD) == 1
                assert sum((r.fiscal_share for r in rows), Decimal(0)) == Decimal(100)

    @invariant()
    def received_powers_trace_back_to_their_giver(self):
        if not hasattr(self, "city"):
            return
        for row in Exercise.objects.filter(government__in=self.governments, role=Role.RECEIVER).select_related(
                "source"):
            source = row.source
            assert source is not None and source.item_id in (row.item_id, source.item_id)
            assert source.valid_from <= row.valid_from, (row.pk, source.pk)
            if source.valid_to is not None:
                assert row.valid_to is not None and row.valid_to <= source.valid_to, (row.pk, source.pk)

    @invariant()
    def the_audit_chain_verifies(self):
        if hasattr(self, "city"):
            assert audit_chain.verify().ok


@pytest.mark.django_db
def test_invariants_hold_under_any_sequence_of_operations():
    audit_chain.seal_pending()
    run_state_machine_as_test(PowerLists, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=20, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    # Not vacuous: the random steps did change lists, of every kind, and some through a batch.
    from powerlists.models import Transfer

    applied = Transfer.objects.filter(state="effective")
    kinds = dict(applied.values_list("kind").annotate(n=models.Count("id")).order_by("kind"))
    in_batches = applied.filter(batch__isnull=False).count()
    print(f"applied: {kinds}; through a batch: {in_batches}")
    assert len(kinds) >= 4 and sum(kinds.values()) >= 20 and in_batches > 0, (kinds, in_batches)
