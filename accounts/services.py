"""Granting and revoking roles: audited like every other write."""
from __future__ import annotations

from django.db import IntegrityError, transaction

from powerlists.services.audit import record, snapshot
from powerlists.services.errors import Conflict, InvalidInput

from .models import Membership, MembershipRole


def grant(*, user, government, role: str, include_subtree: bool = False, actor=None, reason: str = "") -> Membership:
    """Give ``user`` ``role`` at ``government`` (and its territory with ``include_subtree``)."""
    if role not in MembershipRole.values:
        raise InvalidInput("invalid_role", "角色无效。", "Unknown role.", role=role)
    membership = Membership(user=user, government=government, role=role, include_subtree=bool(include_subtree))
    try:
        with transaction.atomic():
            membership.save()
            record("membership.grant", membership, actor=actor, after=snapshot(membership), reason=reason,
                   government=government)
    except IntegrityError as exc:
        raise Conflict("membership_exists", "该用户在该政府已有此角色。",
                       "The user already holds this role in this government.") from exc
    return membership


def revoke(membership: Membership, *, actor=None, reason: str = "") -> None:
    """Take a role away. The audit event keeps what it was."""
    with transaction.atomic():
        before = snapshot(membership)
        government = membership.government
        record("membership.revoke", membership, actor=actor, before=before, reason=reason, government=government)
        membership.delete()


def change_password(user, new_password: str) -> None:
    """Set ``user``'s password (already validated by the form) and audit that it changed — never the value
    or its hash. Every other session of the user is signed out by Django (the session hash changes), and
    every API token of theirs is revoked: whoever learnt the old password may have made one."""
    from knox.models import AuthToken

    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        revoked, _ = AuthToken.objects.filter(user=user).delete()
        record("account.password_change", user, actor=user, object_id=str(user.pk),
               after={"tokens_revoked": revoked})
