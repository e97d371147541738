"""The standard power list on the pages (issue "The standard power list", points 2 and 3): an item's
standard fields, legal bases and multi-level processing; a government's editions, one edition, two
compared; the workspace's steps of an edition, each refused to whom the policy refuses, nothing written."""
from __future__ import annotations

import datetime

from django.urls import reverse

from powerlists import services, standard_codes
from powerlists.models import Edition, EditionState
from powerlists.services import editions
from powerlists.services.laws import create_law

from .helpers import db_state

D = datetime.date


def _credit(body17="11230100MB1234567"):
    return body17 + standard_codes.credit_code_check_digit(body17)


def test_the_item_page_shows_the_standard_fields_bases_and_processing(client, tree, make_item):
    law = create_law(name="中华人民共和国城乡规划法", kind="law", version_date=D(2008, 1, 1),
                     document="中华人民共和国主席令第七十四号")
    dept = services.create_department(government=tree.city, name="哈尔滨市自然资源和规划局", credit_code=_credit())
    item = make_item(tree.city, name="建设用地规划许可", basic_code="000101001000", levels=[3, 4],
                     initiation="application", fee_basis="不收费", service_object="法人", supervision_phone="12345",
                     department=dept,
                     processing_steps=[{"step": "review", "level": 3}, {"step": "decision", "level": 3}],
                     bases=[{"role": "setting", "law": law, "article": "第三十七条", "text": "在城市、镇规划区内……"},
                            {"role": "implementing", "law": law, "article": "第三十八条"}])
    html = client.get(reverse("item", args=[item.pk])).content.decode()
    for text in ("000101001000", "依申请", "市级、县级", "不收费", "法人", "tel:12345", "设定依据", "实施依据",
                 "《中华人民共和国城乡规划法》</strong>第三十七条", "中华人民共和国主席令第七十四号", "2008-01-01 版",
                 "市级审核", "市级决定", "市级决定，无需下级初审。", "市级决定，无需报上级备案。"):
        assert text in html, text
    assert _credit() + "3" + "000101001000" in html  # 实施编码 of the city's row


def test_blank_standard_fields_are_not_shown(client, tree, make_item):
    item = make_item(tree.city, name="空白事项")
    html = client.get(reverse("item", args=[item.pk])).content.decode()
    for text in ("基本编码", "依申请/依职权", "行使层级", "多级办理", "法律依据", "实施编码"):
        assert text not in html, text


def _published(government, number, day, people):
    edition = editions.draft_edition(government, number=number, title=f"哈尔滨市权责清单（{number}年版）",
                                     actor=people.city_editor)
    edition = editions.approve_edition(edition, approved_on=day, actor=people.city_reviewer)
    return editions.publish_edition(edition, document_number=f"哈政发〔{number}〕1号", published_on=day,
                                    actor=people.city_reviewer)


def test_editions_list_detail_and_compare(client, tree, people, make_item, django_assert_max_num_queries):
    make_item(tree.city, code="A1", name="甲事项", holder_from=D(2018, 1, 1))
    make_item(tree.city, code="B1", name="乙事项", holder_from=D(2020, 6, 1))
    _published(tree.city, "2019", D(2019, 3, 15), people)
    _published(tree.city, "2021", D(2021, 3, 15), people)
    editions.draft_edition(tree.city, number="2023", title="秘密草稿版本", actor=people.city_editor)

    with django_assert_max_num_queries(6):
        page = client.get(reverse("government-editions", args=["2301"]))
    html = page.content.decode()
    assert page.status_code == 200 and "哈政发〔2019〕1号" in html and "哈政发〔2021〕1号" in html
    assert "秘密草稿版本" not in html and "起草新版本" not in html  # the public sees no draft, no form
    client.force_login(people.city_editor)
    html = client.get(reverse("government-editions", args=["2301"])).content.decode()
    assert "秘密草稿版本" in html and "起草新版本" in html
    client.logout()

    detail = client.get(reverse("government-edition", args=["2301", "2019"])).content.decode()
    assert "2019-03-15" in detail and "?date=2019-03-15" in detail
    assert client.get(reverse("government-edition", args=["2301", "2023"])).status_code == 404

    compared = client.get(reverse("government-editions-compare", args=["2301"]), {"a": "2021", "b": "2019"})
    html = compared.content.decode()
    assert compared.status_code == 200 and "乙事项" in html and "2019-03-15" in html and "2021-03-15" in html
    assert "哈尔滨市权责清单（2019年版） 与 哈尔滨市权责清单（2021年版）" in html
    bad = client.get(reverse("government-editions-compare", args=["2301"]), {"a": "2021", "b": "2023"})
    assert bad.status_code == 302


def test_an_edition_goes_through_the_workspace_steps(client, tree, people):
    client.force_login(people.city_editor)
    done = client.post(reverse("workspace-edition-draft", args=["2301"]), {"number": "2021", "title": "2021年版"})
    assert done.status_code == 302 and done["Location"] == reverse("government-edition", args=["2301", "2021"])
    edition = Edition.objects.get(government=tree.city, number="2021")
    bad = client.post(reverse("workspace-edition-draft", args=["2301"]), {"number": "2021", "title": "又一版"})
    assert bad.status_code == 302  # back to the list, with the reason
    page = client.get(bad["Location"]).content.decode()
    assert "已有版本号为2021的清单" in page
    # The editor may not approve: a 403 with nothing written; no button either.
    html = client.get(reverse("government-edition", args=["2301", "2021"])).content.decode()
    assert 'name="approved_on"' not in html
    before = db_state()
    assert client.post(reverse("workspace-edition-step", args=[edition.pk, "approve"]),
                       {"approved_on": "2021-03-01"}).status_code == 403
    assert db_state() == before

    client.force_login(people.city_reviewer)
    html = client.get(reverse("government-edition", args=["2301", "2021"])).content.decode()
    assert 'name="approved_on"' in html
    missing = client.post(reverse("workspace-edition-step", args=[edition.pk, "approve"]), {"approved_on": ""})
    assert missing.status_code == 302 and "请填写审定日期" in client.get(missing["Location"]).content.decode()
    client.post(reverse("workspace-edition-step", args=[edition.pk, "approve"]),
                {"approved_on": "2021-03-01", "version": edition.version})
    stale = client.post(reverse("workspace-edition-step", args=[edition.pk, "publish"]),
                        {"document_number": "哈政发〔2021〕5号", "published_on": "2021-03-15",
                         "version": edition.version})
    assert "他人修改" in client.get(stale["Location"]).content.decode()
    client.post(reverse("workspace-edition-step", args=[edition.pk, "publish"]),
                {"document_number": "哈政发〔2021〕5号", "published_on": "2021-03-15"})
    edition.refresh_from_db()
    assert (edition.state, edition.document_number) == (EditionState.PUBLISHED, "哈政发〔2021〕5号")

    client.force_login(people.administrator)  # of the province: the upper 编办 the city files with
    html = client.get(reverse("government-edition", args=["2301", "2021"])).content.decode()
    assert 'name="filed_on"' in html and "黑龙江省" in html
    client.post(reverse("workspace-edition-step", args=[edition.pk, "file"]),
                {"filed_with": "23", "filed_on": "2021-04-01", "filing_number": "黑编备〔2021〕3号"})
    edition.refresh_from_db()
    assert (edition.state, edition.filed_with, edition.filing_number) == (EditionState.FILED, tree.province,
                                                                          "黑编备〔2021〕3号")
