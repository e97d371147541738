"""The workspace's steps of an edition of a list (年度动态调整) on the web: draft (编办), approve and publish
with its 文号 (the government's reviewer, not the drafter), file (备案) with an upper government (its
reviewer). Each is a POST with CSRF through services.editions; success redirects (POST-redirect-GET) and
says so; a refusal shows the service's reason and writes nothing; a button shows only to whom the policy
lets take the step."""
from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from powerlists.models import Edition, EditionState
from powerlists.services import editions

from .helpers import db_state, last_event

D = datetime.date
DRAFT_URL = reverse("workspace-edition-draft", args=["2301"])
LIST_URL = reverse("government-editions", args=["2301"])


def _page_url(number="2021"):
    return reverse("government-edition", args=["2301", number])


def _step(edition, step):
    return reverse("workspace-edition-step", args=[edition.pk, step])


def _messages(html: str) -> list[str]:
    block = re.search(r'<ul class="messages">(.*?)</ul>', html, re.S)
    return [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r"<li[^>]*>(.*?)</li>", block.group(1), re.S)] \
        if block else []


def _forms(html: str) -> set[str]:
    """The step forms on an edition's page (approve, publish, file) and the draft form on the list."""
    return set(re.findall(r'<form [^>]*id="(?:step|edition)-([a-z]+)"', html))


@pytest.fixture
def edition(tree, people):
    return editions.draft_edition(tree.city, number="2021", title="哈尔滨市权责清单（2021年版）", actor=people.city_editor)


@pytest.fixture
def approved(edition, people):
    return editions.approve_edition(edition, approved_on=D(2021, 3, 1), actor=people.city_reviewer)


@pytest.fixture
def published(approved, people):
    return editions.publish_edition(approved, document_number="哈政发〔2021〕5号", published_on=D(2021, 3, 15),
                                    actor=people.city_reviewer)


def _refused(client, url, data, *, status=302):
    """POST, expect ``status`` and nothing written; return the message shown (after the redirect if any)."""
    before = db_state()
    response = client.post(url, data)
    assert response.status_code == status, response.content.decode()[:500]
    assert db_state() == before, "a refused step wrote something"
    html = client.get(response["Location"]).content.decode() if status == 302 else response.content.decode()
    shown = _messages(html)
    assert shown, "no reason shown"
    return " ".join(shown)


# --- draft ---------------------------------------------------------------------------------------------------------


def test_an_editor_drafts_an_edition(client, tree, people):
    client.force_login(people.city_editor)
    assert "draft" in _forms(client.get(LIST_URL).content.decode())
    response = client.post(DRAFT_URL, {"number": "2021", "title": "哈尔滨市权责清单（2021年版）"})
    assert response.status_code == 302 and response["Location"] == _page_url()
    edition = Edition.objects.get(government=tree.city, number="2021")
    assert (edition.state, edition.title, edition.created_by) == (EditionState.DRAFT, "哈尔滨市权责清单（2021年版）",
                                                                  people.city_editor)
    event = last_event("edition.draft")
    assert event.actor == people.city_editor
    html = client.get(response["Location"]).content.decode()
    assert _messages(html) == ["已起草版本 2021。"]
    assert _forms(html) == set()  # the drafter may not approve it


@pytest.mark.parametrize(("data", "reason"), [
    ({"number": "20.21", "title": "x"}, "版本号只能由字母、数字、下划线或连字符组成"),
    ({"number": "", "title": "x"}, "请填写版本号"),
    ({"number": "2022", "title": "  "}, "请填写标题"),
    ({"number": "2022", "title": "长" * 201}, "标题不能超过200个字符"),
    ({"number": "2021", "title": "又一版"}, "哈尔滨市已有版本号为2021的清单"),
])
def test_a_draft_refused_for_what_was_sent_says_why(client, edition, people, data, reason):
    client.force_login(people.city_editor)
    assert reason in _refused(client, DRAFT_URL, data)


@pytest.mark.parametrize("who", ["district_editor", "city_reviewer", "outsider", "nobody"])
def test_a_draft_by_whom_the_policy_refuses_is_403_with_the_reason(client, tree, people, who):
    client.force_login(getattr(people, who))
    assert "draft" not in _forms(client.get(LIST_URL).content.decode())
    shown = _refused(client, DRAFT_URL, {"number": "2021", "title": "2021年版"}, status=403)
    assert "您没有在该政府执行此操作的权限" in shown


def test_signed_out_the_steps_go_to_the_login_page(client, edition):
    before = db_state()
    for url, data in ((DRAFT_URL, {"number": "2022", "title": "x"}),
                      (_step(edition, "approve"), {"approved_on": "2021-03-01"})):
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert db_state() == before


def test_steps_are_posts_with_csrf(tree, people, edition):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(people.city_reviewer)
    before = db_state()
    assert csrf_client.get(_step(edition, "approve")).status_code == 405
    assert csrf_client.post(_step(edition, "approve"), {"approved_on": "2021-03-01"}).status_code == 403
    assert db_state() == before
    page = csrf_client.get(_page_url()).content.decode()
    token = re.search(r'id="step-approve".*?name="csrfmiddlewaretoken" value="([^"]+)"', page, re.S).group(1)
    done = csrf_client.post(_step(edition, "approve"), {"approved_on": "2021-03-01", "csrfmiddlewaretoken": token})
    assert done.status_code == 302
    edition.refresh_from_db()
    assert edition.state == EditionState.APPROVED


# --- approve and publish ----------------------------------------------------------------------------------------------


def test_a_reviewer_approves_then_publishes(client, tree, people, edition, django_assert_max_num_queries):
    client.force_login(people.city_reviewer)
    with django_assert_max_num_queries(6):  # session, user, memberships (the policy's, once), the page's three
        html = client.get(_page_url()).content.decode()
    assert _forms(html) == {"approve"}
    response = client.post(_step(edition, "approve"), {"approved_on": "2021-03-01", "version": edition.version})
    assert response.status_code == 302 and response["Location"] == _page_url()
    html = client.get(response["Location"]).content.decode()
    assert _messages(html) == ["已审定。"] and _forms(html) == {"publish"}
    edition.refresh_from_db()
    assert (edition.state, edition.approved_on, edition.approved_by) == (EditionState.APPROVED, D(2021, 3, 1),
                                                                         people.city_reviewer)
    assert last_event("edition.approve").actor == people.city_reviewer

    response = client.post(_step(edition, "publish"), {"document_number": "哈政发〔2021〕5号",
                                                        "published_on": "2021-03-15", "version": edition.version})
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert _messages(html) == ["已公布。"] and _forms(html) == set()  # filing is the upper level's
    edition.refresh_from_db()
    assert (edition.state, edition.document_number, edition.published_on) == (
        EditionState.PUBLISHED, "哈政发〔2021〕5号", D(2021, 3, 15))
    assert "哈政发〔2021〕5号" in client.get(LIST_URL).content.decode()
    client.logout()
    assert "哈政发〔2021〕5号" in client.get(LIST_URL).content.decode()  # now public


@pytest.mark.parametrize("who", ["city_editor", "district_reviewer", "street_reviewer", "outsider", "nobody"])
def test_approval_by_whom_the_policy_refuses(client, people, edition, who):
    client.force_login(getattr(people, who))
    page = client.get(_page_url())
    if page.status_code == 200:
        assert _forms(page.content.decode()) == set()
        shown = _refused(client, _step(edition, "approve"), {"approved_on": "2021-03-01"}, status=403)
        assert "您没有在该政府执行此操作的权限" in shown
    else:  # who may not see the draft: no such edition for them
        assert page.status_code == 404
        before = db_state()
        assert client.post(_step(edition, "approve"), {"approved_on": "2021-03-01"}).status_code == 404
        assert db_state() == before


def test_the_drafter_may_not_approve_even_as_a_reviewer(client, tree, people):
    """Maker-checker: the province's administrator is the city's reviewer too, but not for what they drafted."""
    edition = editions.draft_edition(tree.city, number="2021", title="2021年版", actor=people.administrator)
    client.force_login(people.administrator)
    assert _forms(client.get(_page_url()).content.decode()) == set()
    shown = _refused(client, _step(edition, "approve"), {"approved_on": "2021-03-01"}, status=403)
    assert "您起草了该版本清单，不能审定或公布它" in shown
    client.force_login(people.city_reviewer)
    assert client.post(_step(edition, "approve"), {"approved_on": "2021-03-01"}).status_code == 302
    edition.refresh_from_db()
    assert edition.state == EditionState.APPROVED


@pytest.mark.parametrize(("data", "reason"), [
    ({"approved_on": ""}, "请填写审定日期"),
    ({"approved_on": "2021-02-30"}, "请填写审定日期"),
    ({"approved_on": "2021-03-01", "version": "7"}, "该版本已被他人修改，请刷新后重试"),
])
def test_an_approval_refused_for_what_was_sent(client, people, edition, data, reason):
    client.force_login(people.city_reviewer)
    assert reason in _refused(client, _step(edition, "approve"), data)


def test_a_step_out_of_turn_is_refused(client, people, approved):
    client.force_login(people.city_reviewer2)
    assert "不能审定" in _refused(client, _step(approved, "approve"), {"approved_on": "2021-03-02"})


@pytest.mark.parametrize(("data", "reason"), [
    ({"document_number": "", "published_on": "2021-03-15"}, "请填写公布文号"),
    ({"document_number": "哈政发〔2021〕5号", "published_on": ""}, "请填写公布日期"),
    ({"document_number": "哈政发〔2021〕5号", "published_on": "2021-02-01"}, "公布日期不能早于审定日期"),
    ({"document_number": "文" * 101, "published_on": "2021-03-15"}, "公布文号不能超过100个字符"),
])
def test_a_publication_refused_for_what_was_sent(client, people, approved, data, reason):
    client.force_login(people.city_reviewer)
    assert reason in _refused(client, _step(approved, "publish"), data)


def test_no_publication_in_the_future(client, people, approved):
    client.force_login(people.city_reviewer)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    assert "公布日期不能晚于今天" in _refused(client, _step(approved, "publish"),
                                       {"document_number": "哈政发〔2021〕5号", "published_on": tomorrow})


def test_a_publication_by_an_editor_is_refused(client, people, approved):
    client.force_login(people.city_editor)
    assert _forms(client.get(_page_url()).content.decode()) == set()
    _refused(client, _step(approved, "publish"), {"document_number": "哈政发〔2021〕5号", "published_on": "2021-03-15"},
             status=403)


# --- file ---------------------------------------------------------------------------------------------------------------


def test_the_upper_governments_reviewer_records_the_filing(client, tree, people, published):
    for who in ("city_editor", "city_reviewer", "district_reviewer"):  # none of them is above the city
        client.force_login(getattr(people, who))
        assert _forms(client.get(_page_url()).content.decode()) == set(), who
    client.force_login(people.administrator)
    html = client.get(_page_url()).content.decode()
    assert _forms(html) == {"file"}
    options = re.findall(r'<option value="([^"]+)"', html.split('id="fl-with"', 1)[1].split("</select>", 1)[0])
    assert options == ["23"]  # the province, where they are a reviewer; not the city itself
    response = client.post(_step(published, "file"), {"filed_with": "23", "filed_on": "2021-04-01",
                                                       "filing_number": "黑编备〔2021〕3号"})
    assert response.status_code == 302
    assert _messages(client.get(response["Location"]).content.decode()) == ["已记录备案。"]
    published.refresh_from_db()
    assert (published.state, published.filed_with, published.filed_on, published.filing_number) == (
        EditionState.FILED, tree.province, D(2021, 4, 1), "黑编备〔2021〕3号")
    assert last_event("edition.file").actor == people.administrator
    client.logout()
    assert "黑编备〔2021〕3号" in client.get(_page_url()).content.decode()


@pytest.mark.parametrize(("data", "reason"), [
    ({"filed_with": "2301", "filed_on": "2021-04-01"}, "清单只能向上级政府（的编办）备案"),
    ({"filed_with": "230102", "filed_on": "2021-04-01"}, "清单只能向上级政府（的编办）备案"),
    ({"filed_with": "", "filed_on": "2021-04-01"}, "清单只能向上级政府（的编办）备案"),
    ({"filed_with": "23", "filed_on": "2021-03-01"}, "备案日期不能早于公布日期"),
    ({"filed_with": "23", "filed_on": ""}, "请填写备案日期"),
    ({"filed_with": "23", "filed_on": "2021-04-01", "filing_number": "号" * 101}, "备案号不能超过100个字符"),
])
def test_a_filing_refused_for_what_was_sent(client, people, published, data, reason):
    client.force_login(people.administrator)
    assert reason in _refused(client, _step(published, "file"), data)


@pytest.mark.parametrize("who", ["city_reviewer", "outsider"])
def test_a_filing_by_whom_the_policy_refuses(client, people, published, who):
    client.force_login(getattr(people, who))
    shown = _refused(client, _step(published, "file"), {"filed_with": "23", "filed_on": "2021-04-01"}, status=403)
    assert "只有备案机关（上级编办）的审核人才能办理备案" in shown


def test_an_unknown_step_or_edition_is_404(client, people, edition):
    client.force_login(people.city_reviewer)
    before = db_state()
    assert client.post(f"/workspace/editions/{edition.pk}/delete/", {}).status_code == 404
    assert client.post(reverse("workspace-edition-step", args=[999999, "approve"]),
                       {"approved_on": "2021-03-01"}).status_code == 404
    assert client.post(reverse("workspace-edition-draft", args=["9999"]), {"number": "1", "title": "x"}).status_code == 404
    assert db_state() == before


def test_a_step_stays_within_a_query_budget(client, people, edition, django_assert_max_num_queries):
    client.force_login(people.city_reviewer)
    with django_assert_max_num_queries(12):  # session, user, the edition twice (seen? locked), memberships, write, audit
        response = client.post(_step(edition, "approve"), {"approved_on": "2021-03-01"})
    assert response.status_code == 302
    with django_assert_max_num_queries(6):
        client.get(response["Location"])
