"""The one permission policy: "may this user do this here?"

Every interface — the admin, the API, the web pages, the commands — and the workflow services ask
these functions, so each question has one answer.

A user holds memberships: a government, optionally with its whole territory (``include_subtree``), and
a role. An *editor* keeps the government's list and proposes changes; a *reviewer* decides proposals;
an *administrator* may do both and correct the list directly (an audited correction). A Django
superuser is an administrator everywhere. Maker-checker: nobody decides a proposal they created or
edited, whatever their roles.
"""
from __future__ import annotations

from accounts.models import Membership, MembershipRole

from .models import Batch, Government, Origin, Transfer, TransferKind, TransferState
from .services.errors import Forbidden

EDITOR = MembershipRole.EDITOR
REVIEWER = MembershipRole.REVIEWER
ADMINISTRATOR = MembershipRole.ADMINISTRATOR

# Which roles satisfy which: an administrator counts as editor and reviewer in their scope.
SATISFIES = {
    EDITOR: {EDITOR, ADMINISTRATOR},
    REVIEWER: {REVIEWER, ADMINISTRATOR},
    ADMINISTRATOR: {ADMINISTRATOR},
}


def _memberships(user) -> list[tuple[str, str, bool]]:
    """(role, government path, include_subtree) of a user's memberships, read once per user object."""
    cached = getattr(user, "_powerlists_memberships", None)
    if cached is None:
        cached = [
            (m.role, m.government.path, m.include_subtree)
            for m in Membership.objects.filter(user=user).select_related("government")
        ]
        try:
            user._powerlists_memberships = cached
        except AttributeError:  # pragma: no cover - an object that takes no attributes
            pass
    return cached


def forget(user) -> None:
    """Drop the cached memberships (after they change)."""
    if hasattr(user, "_powerlists_memberships"):
        del user._powerlists_memberships


def is_active_user(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def has_role(user, role: str, government: Government) -> bool:
    """True when ``user`` holds ``role`` (or a role that includes it) at ``government``."""
    if not is_active_user(user):
        return False
    if user.is_superuser:
        return True
    if government is None:
        return False
    accepted = SATISFIES[role]
    for held, path, subtree in _memberships(user):
        if held not in accepted:
            continue
        if government.path == path or (subtree and government.path.startswith(path)):
            return True
    return False


def is_maker(user, transfer: Transfer) -> bool:
    """True when ``user`` created or edited ``transfer`` (maker-checker)."""
    if not transfer.pk or user is None or not getattr(user, "pk", None):
        return False
    if transfer.created_by_id == user.pk:
        return True
    return transfer.editors.filter(pk=user.pk).exists()


def proposing_side(transfer: Transfer) -> Government:
    """The government whose editors own a proposal: the receiver for a requested (点菜) one."""
    if transfer.origin == Origin.REQUESTED and transfer.receiver_id:
        return transfer.receiver
    return transfer.giver


def needs_acceptance(transfer: Transfer) -> bool:
    """A devolution needs the receiver's acceptance, a shared arrangement every party's; recall,
    cancel and adjust need only the giving side."""
    return transfer.kind in (TransferKind.DEVOLVE, TransferKind.SHARE)


def accepting_governments(transfer: Transfer) -> list[Government]:
    if transfer.kind == TransferKind.DEVOLVE:
        return [transfer.receiver] if transfer.receiver_id else []
    if transfer.kind == TransferKind.SHARE:
        return [p.government for p in transfer.parties.select_related("government")
                if p.government_id != transfer.giver_id]
    return []


def can_view_transfer(user, transfer: Transfer) -> bool:
    """An effective transfer is public; a proposal is seen by those with a role on either side."""
    if transfer.state == TransferState.EFFECTIVE:
        return True
    if not is_active_user(user):
        return False
    sides = [transfer.giver, *([transfer.receiver] if transfer.receiver_id else [])]
    if transfer.kind == TransferKind.SHARE and transfer.pk:
        sides += [p.government for p in transfer.parties.select_related("government")]
    return any(has_role(user, role, g) for g in sides for role in (EDITOR, REVIEWER))


def may(user, action: str, target) -> bool:
    """Answer ``action`` on ``target`` (a Government, Transfer or Batch) for ``user``."""
    try:
        require(user, action, target)
    except Forbidden:
        return False
    return True


def _deny(code: str, zh: str, en: str):
    raise Forbidden(code, zh, en)


def _deny_role():
    _deny("forbidden", "您没有在该政府执行此操作的权限。", "You may not do this for this government.")


def require(user, action: str, target) -> None:
    """Raise :class:`Forbidden` unless ``user`` may do ``action`` on ``target``."""
    if not is_active_user(user):
        _deny("login_required", "请先登录。", "Please sign in first.")
    handler = _RULES.get(action)
    if handler is None:
        raise ValueError(f"unknown action {action!r}")
    handler(user, target)


def _government_role(role):
    def rule(user, government: Government):
        if not has_role(user, role, government):
            _deny_role()

    return rule


def _propose(user, transfer: Transfer):
    if transfer.origin == Origin.REQUESTED:
        if transfer.kind != TransferKind.DEVOLVE:
            _deny("requested_only_devolve", "下级只能申请下放（点菜）。", "A lower government can only request a devolution.")
        if not has_role(user, EDITOR, transfer.receiver):
            _deny_role()
    elif not has_role(user, EDITOR, transfer.giver):
        _deny_role()


def _edit(user, transfer: Transfer):
    if not has_role(user, EDITOR, proposing_side(transfer)):
        _deny_role()


def _withdraw(user, transfer: Transfer):
    side = proposing_side(transfer)
    if has_role(user, ADMINISTRATOR, side):
        return
    if transfer.created_by_id != user.pk:
        _deny("author_only", "只有提出人可以撤回该提议。", "Only its author can withdraw a proposal.")
    if not has_role(user, EDITOR, side):  # an author who has since lost the role
        _deny_role()


def require_not_maker(user, transfer: Transfer) -> None:
    """Raise :class:`Forbidden` when ``user`` created or edited ``transfer`` (maker-checker)."""
    _not_maker(user, transfer)


def _not_maker(user, transfer: Transfer):
    if is_maker(user, transfer):
        _deny("maker_checker", "您创建或修改过该提议，不能审批它（审核与经办分离）。",
              "You created or edited this proposal, so you cannot decide it (maker-checker).")


def _decide_as_giver(user, transfer: Transfer):
    if not has_role(user, REVIEWER, transfer.giver):
        _deny_role()
    _not_maker(user, transfer)


def _decide_as_receiver(user, transfer: Transfer):
    if not any(has_role(user, REVIEWER, g) for g in accepting_governments(transfer)):
        _deny_role()
    _not_maker(user, transfer)
    if transfer.giver_decided_by_id and transfer.giver_decided_by_id == user.pk:
        _deny("one_person_both_sides", "同一人不能既代表放出方批准又代表承接方确认。",
              "One person cannot both approve for the giving side and accept for the receiving side.")


def _batch_role(role):
    def rule(user, batch: Batch):
        if not has_role(user, role, batch.issuer):
            _deny_role()

    return rule


def _evidence(user, government: Government):
    """Evidence of a devolved power is recorded by the receiving government's editors or by the giving
    side's (the government above it)."""
    if has_role(user, EDITOR, government):
        return
    parent = government.parent if government.parent_id else None
    if parent is None or not has_role(user, EDITOR, parent):
        _deny_role()


def _round_scope_role(role):
    """A round is opened, run and followed up by editors of its scope government; a round scoped by a
    tag only spans territories, so only a superuser (administrator everywhere) may."""

    def rule(user, rnd):
        government = rnd if isinstance(rnd, Government) else rnd.scope_government
        if government is None:
            if not user.is_superuser:
                _deny_role()
            return
        if not has_role(user, role, government):
            _deny_role()

    return rule


def _decide_result(user, result):
    """A result is confirmed or overridden by a reviewer of the giving side (the town's upper
    government) or of the round's scope government — not the person who opened the round and chose its
    thresholds (maker-checker, as for proposals)."""
    giver_side = result.government.parent if result.government.parent_id else None
    scope = result.round.scope_government
    if not ((giver_side is not None and has_role(user, REVIEWER, giver_side))
            or (scope is not None and has_role(user, REVIEWER, scope))):
        _deny_role()
    if result.round.created_by_id is not None and result.round.created_by_id == user.pk:
        _deny("maker_checker", "您开启了该评估轮次，不能确认其结果（审核与经办分离）。",
              "You opened this evaluation round, so you cannot decide its results (maker-checker).")


def _editor_anywhere(user, _target):
    """Laws are one register for every list: any editor (or administrator) may register a law's version."""
    if user.is_superuser:
        return
    if not any(held in SATISFIES[EDITOR] for held, _path, _subtree in _memberships(user)):
        _deny_role()


def _edition_reviewer(user, edition):
    """An edition is approved and published by a reviewer of its government — not by its drafter."""
    if not has_role(user, REVIEWER, edition.government):
        _deny_role()
    if edition.created_by_id is not None and edition.created_by_id == user.pk:
        _deny("maker_checker", "您起草了该版本清单，不能审定或公布它（审核与经办分离）。",
              "You drafted this edition, so you cannot approve or publish it (maker-checker).")


def _edition_filing(user, edition):
    """An edition is filed (备案) with the upper level's 编办: a reviewer of the government it is filed with."""
    if edition.filed_with_id is None or not has_role(user, REVIEWER, edition.filed_with):
        _deny("forbidden", "只有备案机关（上级编办）的审核人才能办理备案。",
              "Only a reviewer of the upper government the edition is filed with can record its filing.")


_RULES = {
    "law.register": _editor_anywhere,
    "edition.draft": _government_role(EDITOR),
    "edition.approve": _edition_reviewer,
    "edition.publish": _edition_reviewer,
    "edition.file": _edition_filing,
    "item.create": _government_role(EDITOR),
    "item.edit": _government_role(EDITOR),
    "list.correct": _government_role(ADMINISTRATOR),
    "transfer.propose": _propose,
    "transfer.edit": _edit,
    "transfer.submit": _edit,
    "transfer.withdraw": _withdraw,
    "transfer.approve": _decide_as_giver,
    "transfer.return": _decide_as_giver,
    "transfer.reject_as_giver": _decide_as_giver,
    "transfer.accept": _decide_as_receiver,
    "transfer.reject_as_receiver": _decide_as_receiver,
    "batch.create": _batch_role(EDITOR),
    "batch.edit": _batch_role(EDITOR),
    "batch.approve": _batch_role(REVIEWER),
    "batch.reject": _batch_role(REVIEWER),
    "batch.effect": _batch_role(REVIEWER),
    "evaluation.evidence": _evidence,
    "evaluation.create": _round_scope_role(EDITOR),
    "evaluation.run": _round_scope_role(EDITOR),
    "evaluation.follow_up": _round_scope_role(EDITOR),
    "evaluation.decide": _decide_result,
}

ACTIONS = tuple(_RULES)


# --- the same answers as SQL filters, for lists -------------------------------------------------------


def scope_q(user, field: str, roles=None):
    """Rows whose government (a path at ``field``) lies in the scope of one of ``user``'s memberships
    (with one of ``roles``, or any role when ``roles`` is None). A superuser's scope is handled by callers."""
    from django.db.models import Q

    from .queries.tree import path_prefix_q

    q = Q(pk__in=[])
    for role, path, subtree in _memberships(user):
        if roles is None or role in roles:
            q |= path_prefix_q(path, field) if subtree else Q(**{field: path})
    return q


def transfer_visibility_q(user, prefix: str = ""):
    """:func:`can_view_transfer` as one SQL filter on transfers (or, with ``prefix`` such as
    ``"transfer__"``, on rows related to one); ``None`` means everything (a superuser).

    Every role satisfies "editor or reviewer", so every membership counts: a proposal is seen from its
    giver, its receiver or any party of a shared arrangement.
    """
    from django.db.models import Exists, OuterRef, Q

    from .models import TransferParty

    effective = Q(**{f"{prefix}state": TransferState.EFFECTIVE})
    if not is_active_user(user):
        return effective
    if user.is_superuser:
        return None
    if not _memberships(user):
        return effective
    parties = TransferParty.objects.filter(scope_q(user, "government__path"),
                                           transfer=OuterRef(f"{prefix}pk" if prefix else "pk"))
    return (effective | scope_q(user, f"{prefix}giver__path") | scope_q(user, f"{prefix}receiver__path")
            | Exists(parties))


def visible_transfers(user):
    """The transfers ``user`` may see (:func:`can_view_transfer`), as a queryset."""
    q = transfer_visibility_q(user)
    return Transfer.objects.all() if q is None else Transfer.objects.filter(q)


def visible_batches(user):
    """Effective batches for everyone; a role holder also sees the batches issued inside their scope and
    those holding a transfer they may see (a receiving reviewer accepts in a batch issued above them)."""
    from django.db.models import Q

    effective = Q(state="effective")
    if not is_active_user(user):
        return Batch.objects.filter(effective)
    if user.is_superuser:
        return Batch.objects.all()
    if not _memberships(user):
        return Batch.objects.filter(effective)
    with_visible = visible_transfers(user).filter(batch__isnull=False).values("batch_id")
    return Batch.objects.filter(effective | scope_q(user, "issuer__path") | Q(pk__in=with_visible))


def _ancestor_paths(path: str) -> list[str]:
    codes = [c for c in path.split("/") if c]
    return ["/" + "/".join(codes[:n]) + "/" for n in range(1, len(codes) + 1)]


def round_visibility_q(user, prefix: str = ""):
    """Evaluation rounds ``user`` may read, as one SQL filter (``None``: everything, a superuser).

    A confirmed round is public, like an effective transfer: its results explain the list. Before that
    a round is seen by those with a role in its territory — at its scope government, above it (a role
    over the subtree, or the government just above: the giving side, as for evidence), or anywhere
    inside it. A round scoped by a tag only has for territory the governments carrying the tag: it is
    seen by those with a role at, above or inside one of them, and by nobody else."""
    from django.db.models import Exists, OuterRef, Q

    from .models import Government, RoundState

    confirmed = Q(**{f"{prefix}state": RoundState.CONFIRMED})
    if not is_active_user(user):
        return confirmed
    if user.is_superuser:
        return None
    memberships = _memberships(user)
    if not memberships:
        return confirmed
    inside = [p for _, path, _ in memberships for p in _ancestor_paths(path)]
    tagged_in_reach = Government.objects.filter(tags__slug=OuterRef(f"{prefix}scope_tag")).filter(
        scope_q(user, "path") | scope_q(user, "parent__path") | Q(path__in=inside))
    return (confirmed | scope_q(user, f"{prefix}scope_government__path")
            | scope_q(user, f"{prefix}scope_government__parent__path")
            | Q(**{f"{prefix}scope_government__path__in": inside})
            | (Q(**{f"{prefix}scope_government__isnull": True}) & Exists(tagged_in_reach)))


def visible_rounds(user):
    from .models import EvaluationRound

    q = round_visibility_q(user)
    qs = EvaluationRound.objects.select_related("scope_government", "created_by")
    return qs if q is None else qs.filter(q)


def can_view_round(user, rnd) -> bool:
    return visible_rounds(user).filter(pk=rnd.pk).exists()


def evidence_visibility_q(user):
    """Evidence rows ``user`` may read (``None``: everything): those of governments in the scope of one
    of their roles or just below it (the giving side sees its receivers'). Nothing for anonymous callers."""
    from django.db.models import Q

    if not is_active_user(user):
        return Q(pk__in=[])
    if user.is_superuser:
        return None
    return scope_q(user, "government__path") | scope_q(user, "government__parent__path")
