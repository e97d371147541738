"""The workspace pages: who sees what, buttons per policy, the review steps through web forms."""
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from knox.models import AuthToken

from powerlists import queries
from powerlists.models import AuditEvent, PowerItem, Transfer, TransferState
from powerlists.services import update_item, workflow

from .helpers import db_state

D = datetime.date


@pytest.fixture
def item(make_item):
    return make_item(code="A1", name="企业投资项目核准、备案")


def propose(people, tree, item, **kw):
    kw.setdefault("effective_on", D(2017, 3, 1))
    return workflow.propose(actor=people.city_editor, kind="devolve", item=item, giver=tree.city,
                            receiver=tree.district, method="entrusted", **kw)


def as_user(client, user):
    client.force_login(user)
    return client


PAGES = ["workspace", "workspace-transfer-new", "workspace-batches", "workspace-joint-review", "workspace-tokens",
         "workspace-import"]


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_is_sent_to_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_transfer_pages_refused_to_anonymous_and_outsiders(client, people, tree, item):
    t = propose(people, tree, item, reason="机密理由")
    url = reverse("workspace-transfer", args=[t.pk])
    assert client.get(url).status_code == 302
    for user in (people.outsider, people.nobody, people.street_reviewer):
        response = as_user(client, user).get(url)
        assert response.status_code == 404 and "机密理由" not in response.content.decode()
        response = client.post(reverse("workspace-transfer-action", args=[t.pk, "withdraw"]),
                               {"withdraw-version": t.version})
        assert response.status_code == 404
    assert Transfer.objects.get(pk=t.pk).state == TransferState.DRAFT


def _buttons(page: str) -> set[str]:
    return {action for action in ("submit", "approve", "accept", "return", "reject", "withdraw")
            if f"/{action}/" in page} | ({"edit"} if "/edit/" in page else set())


def test_buttons_follow_the_policy_and_maker_checker(client, people, tree, item):
    t = propose(people, tree, item)
    url = reverse("workspace-transfer", args=[t.pk])
    assert _buttons(as_user(client, people.city_editor).get(url).content.decode()) == {"submit", "withdraw", "edit"}
    assert _buttons(as_user(client, people.city_reviewer).get(url).content.decode()) == set()
    workflow.submit(t, actor=people.city_editor)
    assert _buttons(as_user(client, people.city_editor).get(url).content.decode()) == {"withdraw"}
    assert _buttons(as_user(client, people.city_reviewer).get(url).content.decode()) == {"approve", "return", "reject"}
    assert _buttons(as_user(client, people.district_reviewer).get(url).content.decode()) == set()
    # An administrator who edited it may not decide it.
    workflow.return_for_changes(t, actor=people.city_reviewer, comment="补充依据")
    workflow.edit(t, actor=people.administrator, reason="改")
    workflow.submit(t, actor=people.city_editor)
    assert "approve" not in _buttons(as_user(client, people.administrator).get(url).content.decode())
    workflow.approve(t, actor=people.city_reviewer)
    assert _buttons(as_user(client, people.district_reviewer).get(url).content.decode()) == {"accept", "reject"}
    assert _buttons(as_user(client, people.city_reviewer).get(url).content.decode()) == set()


def test_a_devolution_through_the_web_forms_to_the_public_list(client, people, tree, item):
    as_user(client, people.city_editor)
    form = {"kind": "devolve", "origin": "offered", "giver": "2301", "item": "A1", "receiver": "230102",
            "method": "entrusted", "effective_on": "2017-03-01", "staff_posts": "2", "reason": "便民利企"}
    response = client.post(reverse("workspace-transfer-new"), form)
    assert response.status_code == 302
    t = Transfer.objects.get()
    assert (t.state, t.created_by, t.staff_posts) == (TransferState.DRAFT, people.city_editor, 2)
    page = client.get(reverse("workspace")).content.decode()
    assert "企业投资项目核准、备案" in page
    client.post(reverse("workspace-transfer-action", args=[t.pk, "submit"]), {"submit-version": t.version})
    t.refresh_from_db()
    assert t.state == TransferState.SUBMITTED

    as_user(client, people.city_reviewer)
    inbox = client.get(reverse("workspace")).content.decode()
    assert reverse("workspace-transfer", args=[t.pk]) in inbox
    client.post(reverse("workspace-transfer-action", args=[t.pk, "approve"]),
                {"approve-version": t.version, "approve-comment": "同意下放"})
    t.refresh_from_db()
    assert t.state == TransferState.APPROVED

    as_user(client, people.district_reviewer)
    assert reverse("workspace-transfer", args=[t.pk]) in client.get(reverse("workspace")).content.decode()
    # Accepting without a receiving unit is refused with the form kept.
    refused = client.post(reverse("workspace-transfer-action", args=[t.pk, "accept"]),
                          {"accept-version": t.version, "accept-comment": "接得住"})
    assert refused.status_code == 400 and "承接单位" in refused.content.decode() and "接得住" in refused.content.decode()
    done = client.post(reverse("workspace-transfer-action", args=[t.pk, "accept"]),
                       {"accept-version": t.version, "accept-comment": "接得住",
                        "accept-receiving_department": tree.district_dept.pk})
    assert done.status_code == 302
    t.refresh_from_db()
    assert t.state == TransferState.EFFECTIVE
    rows = queries.power_list(tree.district, D(2017, 6, 1))
    assert [(r["item__code"], r["department__name"], r["method"]) for r in rows] == [
        ("A1", "道里区发展和改革局", "entrusted")]
    page = client.get(reverse("workspace-transfer", args=[t.pk])).content.decode()
    assert "同意下放" in page and "接得住" in page and "city_reviewer" in page
    history = page[page.index("意见与历史"):]
    assert history.index("提出了") < history.index("确认承接") and "workflow." not in page  # in words, newest last


def test_a_refused_proposal_keeps_what_was_typed(client, people, tree, item):
    as_user(client, people.district_editor)  # a district editor cannot offer (端菜) the city's item
    form = {"kind": "devolve", "origin": "offered", "giver": "2301", "item": "A1", "receiver": "230102",
            "method": "direct", "effective_on": "2017-03-01", "reason": "我们想要这项权力"}
    response = client.post(reverse("workspace-transfer-new"), form)
    assert response.status_code == 403
    page = response.content.decode()
    assert "我们想要这项权力" in page and "您没有在该政府执行此操作的权限" in page
    bad = client.post(reverse("workspace-transfer-new"), dict(form, item="NOPE", origin="requested"))
    assert bad.status_code == 400 and "没有编码为“NOPE”的事项" in bad.content.decode()
    assert not Transfer.objects.exists()


def test_a_stale_click_is_refused(client, people, tree, item):
    t = propose(people, tree, item)
    workflow.submit(t, actor=people.city_editor)
    old_version = Transfer.objects.get(pk=t.pk).version
    workflow.return_for_changes(t, actor=people.city_reviewer2, comment="补充")
    workflow.submit(t, actor=people.city_editor)
    before = db_state()
    response = as_user(client, people.city_reviewer).post(
        reverse("workspace-transfer-action", args=[t.pk, "approve"]), {"approve-version": old_version})
    assert response.status_code == 409 and "已被他人修改" in response.content.decode()
    assert db_state() == before


def test_reject_needs_a_reason(client, people, tree, item):
    t = propose(people, tree, item)
    workflow.submit(t, actor=people.city_editor)
    response = as_user(client, people.city_reviewer).post(
        reverse("workspace-transfer-action", args=[t.pk, "reject"]), {"reject-version": t.version + 1})
    assert response.status_code == 400 and "请说明理由" in response.content.decode()
    assert Transfer.objects.get(pk=t.pk).state == TransferState.SUBMITTED


def test_workspace_queries_do_not_grow(client, people, tree, make_item):
    def count():
        as_user(client, people.city_reviewer)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("workspace")).status_code == 200
        return len(ctx.captured_queries)

    def add(n):
        for _ in range(n):
            t = propose(people, tree, make_item())
            workflow.submit(t, actor=people.city_editor)

    add(2)
    small = count()
    add(10)
    assert count() == small


def test_transfer_page_queries_bounded(client, people, tree, item):
    t = propose(people, tree, item)
    workflow.submit(t, actor=people.city_editor)
    as_user(client, people.city_reviewer)
    url = reverse("workspace-transfer", args=[t.pk])
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    first = len(ctx.captured_queries)
    for i in range(5):
        workflow.return_for_changes(t, actor=people.city_reviewer, comment=f"第{i}次")
        workflow.submit(t, actor=people.city_editor)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    assert len(ctx.captured_queries) == first


def test_batches_create_approve_effect(client, people, tree, make_item):
    as_user(client, people.city_editor)
    response = client.post(reverse("workspace-batches"), {"issuer": "2301", "title": "关于下放第一批事项的决定",
                                                          "number": "哈政发〔2017〕1号", "effective_on": "2017-03-01"})
    assert response.status_code == 302
    from powerlists.models import Batch

    batch = Batch.objects.get()
    transfers = [propose(people, tree, make_item(), batch=batch, staff_posts=3) for _ in range(2)]
    for t in transfers:
        workflow.submit(t, actor=people.city_editor)
    url = reverse("workspace-batch", args=[batch.pk])
    page = client.get(url).content.decode()
    assert "道里区" in page and ">6<" in page  # staff posts per giver/receiver
    assert "/approve/" not in page  # an editor does not approve
    as_user(client, people.district_reviewer)
    assert "/approve/" not in client.get(url).content.decode()
    as_user(client, people.city_reviewer)
    page = client.get(url).content.decode()
    assert "/approve/" in page and "/reject/" in page
    assert client.post(reverse("workspace-batch-action", args=[batch.pk, "approve"])).status_code == 302
    batch.refresh_from_db()
    assert batch.state == "approved"
    # Not yet accepted by the district: taking effect is refused with the reason.
    refused = client.post(reverse("workspace-batch-action", args=[batch.pk, "effect"]))
    assert refused.status_code == 409 and "未经双方确认" in refused.content.decode()
    for t in transfers:
        workflow.accept(t, actor=people.district_reviewer, receiving_department=tree.district_dept)
    assert client.post(reverse("workspace-batch-action", args=[batch.pk, "effect"])).status_code == 302
    batch.refresh_from_db()
    assert batch.state == "effective"
    assert len(queries.power_list(tree.district, D(2017, 6, 1))) == 2
    as_user(client, people.outsider)
    assert client.get(reverse("workspace-batches")).status_code == 200


def test_batch_reject_needs_reason_and_outsider_sees_no_draft(client, people, tree, make_item):
    batch = workflow.create_batch(actor=people.city_editor, issuer=tree.city, title="第二批", effective_on=D(2018, 1, 1))
    url = reverse("workspace-batch", args=[batch.pk])
    assert as_user(client, people.outsider).get(url).status_code == 404
    as_user(client, people.city_reviewer)
    response = client.post(reverse("workspace-batch-action", args=[batch.pk, "reject"]), {"reason": ""})
    assert response.status_code == 400
    client.post(reverse("workspace-batch-action", args=[batch.pk, "reject"]), {"reason": "时机未到"})
    batch.refresh_from_db()
    assert batch.state == "rejected"


def test_joint_review_page(client, people, tree, make_item):
    offered = propose(people, tree, make_item(name="端菜事项"))
    workflow.submit(offered, actor=people.city_editor)
    requested = workflow.propose(actor=people.district_editor, kind="devolve", item=make_item(name="点菜事项"),
                                 giver=tree.city, receiver=tree.district, origin="requested",
                                 effective_on=D(2017, 3, 1))
    workflow.submit(requested, actor=people.district_editor)
    workflow.approve(requested, actor=people.city_reviewer)
    url = reverse("workspace-joint-review") + "?upper=2301&lower=230102"
    page = as_user(client, people.city_reviewer2).get(url).content.decode()
    assert "端菜事项" in page and "点菜事项" in page
    assert f"/transfers/{offered.pk}/approve/" in page and f"/transfers/{requested.pk}/accept/" not in page
    page = as_user(client, people.district_reviewer).get(url).content.decode()
    assert f"/transfers/{offered.pk}/approve/" not in page and f"/transfers/{requested.pk}/accept/" in page
    response = client.post(reverse("workspace-transfer-action", args=[requested.pk, "accept"]),
                           {"accept-version": Transfer.objects.get(pk=requested.pk).version,
                            "accept-receiving_department": tree.district_dept.pk, "next": url})
    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url).content.decode()
    assert "双方同意、列入下放目录：1 项" in page
    assert as_user(client, people.outsider).get(url).status_code == 404


def test_item_edit_and_stale_save(client, people, tree, item):
    url = reverse("workspace-item-edit", args=[item.pk])
    assert client.get(url).status_code == 302
    for user in (people.outsider, people.district_editor, people.city_reviewer):
        response = as_user(client, user).get(url)
        assert response.status_code == 403 and "企业投资项目核准、备案" not in response.content.decode()
    as_user(client, people.city_editor)
    page = client.get(url).content.decode()
    assert 'value="企业投资项目核准、备案"' in page
    form = {"version": item.version, "code": "A1", "name": "企业投资项目核准", "category": "licensing",
            "field": "投资审批", "lowest_tier": "5", "legal_basis": "《企业投资项目核准和备案管理条例》",
            "responsibilities": "受理责任\n审查责任", "accountability": "", "statutory_days": "20",
            "promised_days": "10", "reason": "更正名称"}
    assert client.post(url, form).status_code == 302
    item.refresh_from_db()
    assert item.name == "企业投资项目核准" and item.responsibilities == ["受理责任", "审查责任"] and item.version == 2
    # Someone else saves meanwhile; our save with the old version is refused, what we typed is kept.
    update_item(item, expected_version=2, actor=people.administrator, field="市场监管")
    before = db_state()
    stale = client.post(url, dict(form, version=2, name="我输入的新名称"))
    assert stale.status_code == 409
    page = stale.content.decode()
    assert "有人刚修改了该事项" in page and "我输入的新名称" in page and "市场监管" in page
    assert 'name="version" value="3"' in page
    assert db_state() == before
    bad = client.post(url, dict(form, version=3, statutory_days="5", promised_days="9"))
    assert bad.status_code == 400 and "承诺时限不能长于法定时限" in bad.content.decode()


def test_tokens_create_authenticate_and_revoke(client, people, tree, item):
    as_user(client, people.city_editor)
    page = client.post(reverse("workspace-tokens"), {"days": "30"})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    instance = AuthToken.objects.get(user=people.city_editor)
    token = page.context["token"]
    assert token.startswith(instance.token_key) and token in page.content.decode()
    assert AuditEvent.objects.filter(action="token.create", object_id=instance.token_key,
                                     actor=people.city_editor).exists()
    draft = propose(people, tree, item)  # a draft: seen by the city's people only
    api = client.__class__()
    ok = api.get("/api/v1/transfers/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert ok.status_code == 200 and [r["id"] for r in ok.json()["results"]] == [draft.pk]
    assert api.get("/api/v1/transfers/").json()["results"] == []
    assert client.post(reverse("workspace-tokens"), {"days": "0"}).status_code == 400
    # Another person cannot revoke it.
    as_user(client, people.city_reviewer)
    assert client.post(reverse("workspace-token-revoke"), {"token_key": instance.token_key}).status_code == 404
    assert instance.token_key not in client.get(reverse("workspace-tokens")).content.decode()
    as_user(client, people.city_editor)
    assert client.post(reverse("workspace-token-revoke"), {"token_key": instance.token_key}).status_code == 302
    assert not AuthToken.objects.filter(user=people.city_editor).exists()
    assert AuditEvent.objects.filter(action="token.revoke", object_id=instance.token_key).exists()
    assert api.get("/api/v1/transfers/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_pages_have_titles_breadcrumbs_and_are_in_chinese(client, people, tree, item):
    as_user(client, people.city_editor)
    for name in PAGES:
        page = client.get(reverse(name)).content.decode()
        assert "<title>" in page and 'class="breadcrumbs"' in page and "工作台" in page, name
        assert "<script" not in page
    english = client.get(reverse("workspace"), HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200


def test_item_edit_page_of_an_unknown_item_is_404(client, people):
    assert as_user(client, people.city_editor).get(reverse("workspace-item-edit", args=[999999])).status_code == 404
    assert PowerItem.objects.count() == 0


def test_an_id_past_any_real_one_is_404(client, people):
    client.force_login(people.city_editor)
    for url in ("/workspace/transfers/99999999999999999999999/", "/workspace/batches/99999999999999999999999/",
                "/workspace/items/99999999999999999999999/edit/"):
        assert client.get(url).status_code == 404
