"""Lists and statistics are cached and carry ETags; any change a list shows invalidates them at once."""
import datetime

from django.core.cache import cache
from django.utils import timezone

from powerlists import listcache, services
from powerlists.services import workflow

D = datetime.date
PAST = "2017-06-01"


def powers(api, code="230102", query=f"as_of={PAST}", **headers):
    return api.get(f"/api/v1/governments/{code}/powers/?{query}", **headers)


def test_a_list_carries_an_etag_and_answers_304_while_unchanged(api, tree, make_item):
    item = make_item()
    services.devolve(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2017, 1, 1))
    first = powers(api)
    assert first.status_code == 200 and first.json()["count"] == 1
    assert first["Cache-Control"] == "public, max-age=300"  # a past date
    again = powers(api, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and not again.content
    assert again["ETag"] == first["ETag"]
    assert powers(api, HTTP_IF_NONE_MATCH='W/"something-else"').status_code == 200
    # Another date, page or language is another answer.
    assert powers(api, query="as_of=2017-07-01", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200
    assert powers(api, HTTP_IF_NONE_MATCH=first["ETag"], HTTP_ACCEPT_LANGUAGE="en").status_code == 200


def test_todays_list_must_be_revalidated(api, tree):
    response = powers(api, query="")
    assert response.status_code == 200 and response["Cache-Control"] == "no-cache" and response["ETag"]


def test_a_cached_list_is_served_without_computing_it_again(api, tree, make_item, django_assert_max_num_queries):
    for _ in range(5):
        services.devolve(item=make_item(), giver=tree.city, receiver=tree.district, effective_on=D(2017, 1, 1))
    first = powers(api).json()
    with django_assert_max_num_queries(1):  # the government named in the URL; the list comes from the cache
        assert powers(api).json() == first


def test_a_change_invalidates_the_cached_list_and_its_etag(api, tree, make_item):
    item = make_item()
    first = powers(api)
    assert first.json()["count"] == 0
    services.devolve(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2017, 1, 1))
    after = powers(api, HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200 and after.json()["count"] == 1
    assert after["ETag"] != first["ETag"]


def test_a_batch_taking_effect_invalidates_todays_list_and_the_statistics(api, tree, make_item, people):
    item = make_item()
    today = timezone.localdate()
    batch = workflow.create_batch(actor=people.city_editor, issuer=tree.city, title="下放通知", effective_on=today)
    t = workflow.propose(actor=people.city_editor, kind="devolve", item=item, giver=tree.city,
                         receiver=tree.district, effective_on=today, batch=batch,
                         receiving_department=tree.district_dept)
    workflow.submit(t, actor=people.city_editor)
    workflow.approve_batch(batch, actor=people.city_reviewer)
    workflow.accept_in_batch(batch, actor=people.district_reviewer, government=tree.district)
    before_list = powers(api, query="")
    stats = api.get("/api/v1/stats/?government=230102&by=tier")
    assert before_list.json()["count"] == 0 and stats.json()["groupings"][0]["groups"] == []
    version = listcache.list_version()
    workflow.effect_batch(batch, actor=people.city_reviewer)
    assert listcache.list_version() > version
    assert powers(api, query="", HTTP_IF_NONE_MATCH=before_list["ETag"]).json()["count"] == 1
    fresh = api.get("/api/v1/stats/?government=230102&by=tier", HTTP_IF_NONE_MATCH=stats["ETag"])
    assert fresh.status_code == 200 and fresh.json()["groupings"][0]["groups"][0]["items"] == 1


def test_statistics_answer_304_while_unchanged(api, tree):
    first = api.get(f"/api/v1/stats/?government=2301&as_of={PAST}")
    assert first.status_code == 200 and first["Cache-Control"] == "public, max-age=300"
    assert api.get(f"/api/v1/stats/?government=2301&as_of={PAST}", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_proposals_and_evaluation_do_not_invalidate_lists(tree, make_item, people):
    item = make_item()
    version = listcache.list_version()
    t = workflow.propose(actor=people.city_editor, kind="devolve", item=item, giver=tree.city,
                         receiver=tree.district, effective_on=D(2030, 1, 1))
    workflow.submit(t, actor=people.city_editor)
    assert listcache.list_version() == version


def test_the_version_moves_again_at_commit(tree, make_item, django_capture_on_commit_callbacks):
    version = listcache.list_version()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        make_item()
    assert callbacks and listcache.list_version() == version + 2  # at once, and at commit


def test_an_emptied_cache_never_reuses_an_old_version(tree):
    old = listcache.list_version()
    cache.clear()
    assert listcache.list_version() > old


def test_a_cache_outage_neither_breaks_a_change_nor_serves_a_stale_list(api, tree, make_item, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    from powerlists.api.throttles import AtomicWindowThrottle

    monkeypatch.setattr(AtomicWindowThrottle, "allow_request", lambda self, request, view: True)  # rate limits
    for name in ("get", "set", "add", "incr"):  # are their own matter; here only the lists' cache is down
        monkeypatch.setattr(listcache.cache, name, down)
    item = make_item()
    services.devolve(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2017, 1, 1))
    response = powers(api)
    assert response.status_code == 200 and response.json()["count"] == 1
    assert "ETag" not in response and response["Cache-Control"] == "no-cache"
