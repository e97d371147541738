"""The admin: every change goes through the services (audited), refusals show on the form, nothing is deleted."""
import datetime

import pytest
from django.urls import reverse

from powerlists.models import AuditEvent, Exercise, Government, PowerItem, Transfer

D = datetime.date


@pytest.fixture
def admin_client_logged(db, django_user_model, client):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "a-long-pass-phrase-2026")
    client.force_login(user)
    client.user = user
    return client


def test_admin_adds_government_through_service_with_audit(admin_client_logged, tree):
    response = admin_client_logged.post(reverse("admin:powerlists_government_add"), {
        "code": "230102002", "name": "新阳路街道", "tier": 4, "parent": tree.district.pk, "kind": "街道",
        "aliases_text": "新阳路", "assessment_type": "service", "reason": "补录",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Government.objects.get(code="230102002")
    assert created.path == tree.district.path + "230102002/"
    assert created.aliases == ["新阳路"]
    event = AuditEvent.objects.get(action="government.create", object_id=str(created.pk))
    assert event.actor == admin_client_logged.user
    assert event.reason == "补录"


def test_admin_refusal_shows_on_form_and_writes_nothing(admin_client_logged, tree):
    before = (Government.objects.count(), AuditEvent.objects.count())
    response = admin_client_logged.post(reverse("admin:powerlists_government_add"), {
        "code": "2301029", "name": "层级错误", "tier": 3, "parent": tree.district.pk,
    })
    assert response.status_code == 200
    assert "下级政府的层级必须低于上级" in response.content.decode()
    assert "层级错误" in response.content.decode()  # what was typed is kept
    assert (Government.objects.count(), AuditEvent.objects.count()) == before


def test_admin_item_edit_refuses_stale_version(admin_client_logged, make_item):
    item = make_item(name="原名称")
    url = reverse("admin:powerlists_poweritem_change", args=[item.pk])
    data = {"code": item.code, "name": "改名一", "category": item.category, "field": item.field,
            "lowest_tier": item.lowest_tier, "expected_version": item.version, "responsibilities_text": "受理责任"}
    assert admin_client_logged.post(url, data).status_code == 302
    item.refresh_from_db()
    assert item.name == "改名一" and item.version == 2 and item.responsibilities == ["受理责任"]
    stale = dict(data, name="改名二")  # still carries version 1
    response = admin_client_logged.post(url, stale)
    assert response.status_code == 200
    assert "已被他人修改" in response.content.decode()
    item.refresh_from_db()
    assert item.name == "改名一"
    assert AuditEvent.objects.filter(action="item.update", item=item).count() == 1


def test_admin_records_a_devolution_through_the_service(admin_client_logged, tree, make_item):
    item = make_item()
    response = admin_client_logged.post(reverse("admin:powerlists_transfer_add"), {
        "kind": "devolve", "item": item.pk, "giver": tree.city.pk, "receiver": tree.district.pk,
        "method": "entrusted", "origin": "offered", "effective_on": "2017-01-01", "staff_posts": 2,
        "reason": "强区放权",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    transfer = Transfer.objects.get(item=item)
    assert transfer.state == "effective"
    assert Exercise.objects.filter(item=item, government=tree.district, role="receiver").exists()
    assert AuditEvent.objects.filter(action="transfer.devolve", transfer=transfer,
                                     actor=admin_client_logged.user).exists()


def test_admin_refused_devolution_writes_nothing(admin_client_logged, tree, make_item):
    item = make_item(lowest_tier=3)
    counts = (Transfer.objects.count(), Exercise.objects.count(), AuditEvent.objects.count())
    response = admin_client_logged.post(reverse("admin:powerlists_transfer_add"), {
        "kind": "devolve", "item": item.pk, "giver": tree.city.pk, "receiver": tree.street.pk,
        "method": "direct", "origin": "offered", "effective_on": "2017-01-01", "staff_posts": 0,
    })
    assert response.status_code == 200
    assert "below_lowest_tier" in response.content.decode()
    assert (Transfer.objects.count(), Exercise.objects.count(), AuditEvent.objects.count()) == counts


def test_admin_shares_with_parties(admin_client_logged, tree, make_item):
    item = make_item(government=tree.district)
    response = admin_client_logged.post(reverse("admin:powerlists_transfer_add"), {
        "kind": "share", "item": item.pk, "giver": tree.district.pk, "origin": "reform",
        "effective_on": "2019-01-01", "staff_posts": 0,
        "parties_text": f"{tree.district.code}, lead, 70\n{tree.street.code}, support, 30",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    shares = sorted(Exercise.objects.filter(item=item, valid_to__isnull=True).values_list("role", "fiscal_share"))
    assert [(r, int(s)) for r, s in shares] == [("lead", 70), ("support", 30)]


def test_admin_deletes_nothing_and_exercises_are_read_only(admin_client_logged, make_item):
    item = make_item()
    exercise = Exercise.objects.get(item=item)
    assert admin_client_logged.get(reverse("admin:powerlists_poweritem_delete", args=[item.pk])).status_code == 403
    assert admin_client_logged.post(
        reverse("admin:powerlists_exercise_change", args=[exercise.pk]), {"valid_from": "2010-01-01"}
    ).status_code == 403
    assert admin_client_logged.get(reverse("admin:powerlists_exercise_add")).status_code == 403
    assert PowerItem.objects.filter(pk=item.pk).exists()


@pytest.mark.parametrize("model", ["government", "department", "division", "poweritem", "transfer", "batch",
                                   "exercise", "auditevent"])
def test_admin_changelists_load_in_bounded_queries(admin_client_logged, make_item, model,
                                                   django_assert_max_num_queries):
    for _ in range(5):
        make_item()
    with django_assert_max_num_queries(12):
        response = admin_client_logged.get(reverse(f"admin:powerlists_{model}_changelist"))
    assert response.status_code == 200


@pytest.fixture
def staff(db, django_user_model, client, tree):
    """A staff user who is an administrator of Harbin only, and one who is only an editor there."""
    from accounts.models import Membership

    def make(name, role):
        user = django_user_model.objects.create_user(name, password="a-long-pass-phrase-2026", is_staff=True)
        for perm in ("add_transfer", "view_transfer", "add_government", "view_government"):
            from django.contrib.auth.models import Permission
            user.user_permissions.add(Permission.objects.get(codename=perm))
        Membership.objects.create(user=user, government=tree.city, role=role, include_subtree=True)
        return user

    return {"administrator": make("harbin_admin", "administrator"), "editor": make("harbin_editor", "editor")}


@pytest.mark.parametrize("who, giver, allowed", [
    ("administrator", "city", True),
    ("administrator", "other_city", False),
    ("editor", "city", False),
])
def test_admin_corrections_follow_the_policy(client, staff, tree, make_item, who, giver, allowed):
    client.force_login(staff[who])
    giver_gov = getattr(tree, giver)
    item = make_item(government=giver_gov)
    receiver = tree.district if giver == "city" else services_child(giver_gov)
    counts = (Transfer.objects.count(), Exercise.objects.count(), AuditEvent.objects.count())
    response = client.post(reverse("admin:powerlists_transfer_add"), {
        "kind": "devolve", "item": item.pk, "giver": giver_gov.pk, "receiver": receiver.pk, "method": "direct",
        "origin": "offered", "effective_on": "2017-01-01", "staff_posts": 0,
    })
    if allowed:
        assert response.status_code == 302
        assert AuditEvent.objects.get(action="transfer.devolve").actor == staff[who]
    else:
        assert response.status_code == 200
        assert "您没有在该政府执行此操作的权限。（forbidden）" in response.content.decode()
        assert (Transfer.objects.count(), Exercise.objects.count(), AuditEvent.objects.count()) == counts


def services_child(parent):
    from powerlists import services
    return services.create_government(code=parent.code + "01", name="黄州区", tier=parent.tier + 1, parent=parent)


def test_roles_are_granted_and_revoked_with_an_audit_trail(admin_client_logged, tree, django_user_model):
    from accounts.models import Membership

    user = django_user_model.objects.create_user("new_reviewer")
    response = admin_client_logged.post(reverse("admin:accounts_membership_add"), {
        "user": user.pk, "government": tree.district.pk, "role": "reviewer", "include_subtree": "on",
        "reason": "区政府任命",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    membership = Membership.objects.get(user=user)
    assert membership.include_subtree and membership.role == "reviewer"
    assert AuditEvent.objects.get(action="membership.grant").reason == "区政府任命"
    response = admin_client_logged.post(reverse("admin:accounts_membership_delete", args=[membership.pk]),
                                        {"post": "yes"})
    assert response.status_code == 302
    assert not Membership.objects.filter(user=user).exists()
    revoked = AuditEvent.objects.get(action="membership.revoke")
    assert revoked.before["role"] == "reviewer" and revoked.actor == admin_client_logged.user
