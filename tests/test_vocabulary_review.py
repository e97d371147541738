"""The demo vocabulary reviewed against the laws it cites (issue 13, point 5), and the loader's ops for
laws, structured bases, sub-items and law revisions."""
import datetime
import json

import pytest

from powerlists.models import Exercise, LegalBasis, PowerItem
from powerlists.seedcases import vocabulary as v
from powerlists.seedcases.laws import LAWS, law_date
from powerlists.seedcases.loader import SeedLoadError, load

D = datetime.date
LATEST_HOLDING = D(2018, 1, 1)  # the latest holding date of the seed cases (兰山, 003)
HUBEI_HOLDING = D(2012, 12, 31)  # the earliest (湖北, 004)
KINDS = {"law", "administrative_regulation", "local_regulation", "rules", "normative_document"}


def test_every_law_is_one_dated_version_with_its_document():
    for key, (name, kind, document, version) in LAWS.items():
        assert name and "《" not in name and kind in KINDS, key
        assert document, f"{key}: the issuing document is named"
        assert law_date(key) <= LATEST_HOLDING, f"{key}: {version} postdates every seed case"


def test_every_basis_names_a_registered_law_and_an_article():
    for e in v.ENTRIES:
        assert e.bases, e.name
        assert e.bases[0].role == "setting" and all(b.role == "implementing" for b in e.bases[1:]), e.name
        for b in e.bases:
            assert b.law in LAWS, (e.name, b.law)
            assert b.article.startswith("第") or b.article[0] in "一二三四五六七八九十", (e.name, b.article)


def test_laws_of_the_items_the_hubei_towns_can_hold_precede_2013():
    """Every item a township can exercise and whose law existed by the Hubei case's holding date is usable
    there; the laws adopted later (社会救助暂行办法 2014 …) are not cited on 2012 items (checked by usable_on)."""
    early = [e for e in v.ENTRIES if e.usable_on(HUBEI_HOLDING)]
    late = [e for e in v.ENTRIES if not e.usable_on(HUBEI_HOLDING)]
    assert len(early) > 200
    assert all(any(law_date(b.law) > HUBEI_HOLDING for b in e.bases) for e in late)
    assert {e.name for e in late} >= {"临时救助审批", "医疗救助"}


def test_no_name_carries_a_mechanical_suffix_and_no_two_differ_only_by_one():
    assert v.mechanical_suffix("食品经营许可（补办）") == "（补办）"
    assert v.mechanical_suffix("烟花爆竹经营（零售）许可") == ""
    assert [e.name for e in v.ENTRIES if v.mechanical_suffix(e.name)] == []
    stems: dict[str, str] = {}
    for e in v.ENTRIES:
        assert v.stem(e.name) not in stems, (e.name, stems.get(v.stem(e.name)))
        stems[v.stem(e.name)] = e.name


def test_departments_fit_the_field():
    for e in v.ENTRIES:
        city, county = v.DEPARTMENTS[e.department]
        keywords = v.FIELD_DEPARTMENT_KEYWORDS[e.field]
        assert any(k in city for k in keywords) and any(k in county for k in keywords), (e.name, e.field, city)
    assert v.DEPARTMENTS[v.BY_NAME["失业保险金申领"].department][0] == "人力资源和社会保障局"
    assert v.DEPARTMENTS[v.BY_NAME["最低生活保障审批"].department][0] == "民政局"


def test_tiers_follow_the_laws():
    P, X, T = 1, 3, 4
    tier = {e.name: e.lowest_tier_allowed for e in v.ENTRIES}
    assert tier["建设用地审批"] == P  # 土地管理法第四十四条: 国务院或者省级人民政府批准
    assert tier["危险废物经营许可证核发"] == P  # 危险废物经营许可证管理办法第七条
    assert tier["危险废物收集经营许可证核发"] == X
    assert tier["辐射安全许可证核发"] == P
    assert tier["采矿许可证核发"] == X  # 县级 for 砂、石、粘土, never a township
    assert tier["建设项目环境影响评价文件审批"] == X
    assert tier["林木采伐"] == T  # 森林法实施条例第三十二条: 或者其委托的乡、镇人民政府
    assert tier["土地权属争议调处"] == T  # 土地管理法第十六条: 由乡级人民政府或者县级以上人民政府处理
    for e in v.ENTRIES:
        assert e.town in ("", "T", "委"), e.name
        assert e.town != "委" or e.category == "licensing", f"{e.name}: entrustment (行政许可法第二十四条) is for licensing"
        if e.statutory_days is not None and e.promised_days is not None:
            assert 0 < e.promised_days <= e.statutory_days, e.name


def test_sub_items_belong_to_a_main_item_of_the_same_kind():
    mains = {e.name: e for e in v.ENTRIES if e.parent is None}
    subs = [e for e in v.ENTRIES if e.parent is not None]
    assert len(subs) > 60
    for e in subs:
        main = mains[e.parent]
        assert (e.category, e.field, e.department, e.tier) == (main.category, main.field, main.department, main.tier)
        assert e.name != main.name and not e.name.startswith(main.name + "（")


# --- the loader's ops: laws, bases, sub-items, law revisions ------------------------------------------------


def _case(tmp_path, ops):
    (tmp_path / "900_review.json").write_text(
        json.dumps({"source": "900", "title": "review", "ops": ops}, ensure_ascii=False), encoding="utf-8")
    return tmp_path


def _tree():
    return [
        {"op": "government", "code": "91", "name": "测试省", "tier": 1},
        {"op": "government", "code": "9101", "name": "测试市", "tier": 2, "parent": "91"},
        {"op": "government", "code": "910101", "name": "测试县", "tier": 3, "parent": "9101"},
        {"op": "government", "code": "910101100", "name": "测试镇", "tier": 4, "parent": "910101"},
        {"op": "department", "government": "910101", "name": "测试县环境保护局"},
        {"op": "department", "government": "910101100", "name": "测试镇便民服务中心", "kind": "service_centre"},
    ]


def _law(key):
    name, kind, document, version = LAWS[key]
    return {"op": "law", "key": key, "name": name, "kind": kind, "document": document, "version_date": version}


def test_loader_registers_laws_writes_bases_and_sub_items_and_revises_a_tier(db, tmp_path):
    entry = v.BY_NAME["建设项目环境影响评价文件审批"]
    sub = v.BY_NAME["环境影响报告表审批"]
    bases = [{"role": b.role, "law": b.law, "article": b.article} for b in entry.bases]
    ops = _tree() + [
        _law("环评法"),
        {"op": "item", "government": "910101", "code": "XK1", "name": entry.name, "category": "licensing",
         "field": entry.field, "lowest_tier": 4, "department": "测试县环境保护局", "holder_from": "2012-12-31",
         "bases": bases},
        {"op": "item", "government": "910101", "code": "XK2", "name": sub.name, "category": "licensing",
         "field": sub.field, "lowest_tier": 4, "department": "测试县环境保护局", "holder_from": "2012-12-31",
         "bases": bases, "parent": "XK1"},
        {"op": "batch", "key": "b", "issuer": "910101", "title": "下放", "effective_on": "2013-03-01"},
        {"op": "devolve", "item": ["910101", "XK2"], "giver": "910101", "receiver": "910101100", "batch": "b",
         "method": "entrusted", "receiving_department": ["910101100", "测试镇便民服务中心"]},
        {"op": "law_revision", "item": ["910101", "XK2"], "lowest_tier": 3, "effective_on": "2015-05-01",
         "reason": "环评法第二十二条、第二十三条：审批权限在县级以上环境保护行政主管部门", "bases": bases},
    ]
    load(_case(tmp_path, ops))
    main = PowerItem.objects.get(code="XK1")
    item = PowerItem.objects.get(code="XK2")
    assert item.parent == main and item.lowest_tier == 3
    rows = list(LegalBasis.objects.filter(item=item).select_related("law").order_by("position"))
    assert [(r.role, r.law.name, r.article) for r in rows] == [
        ("setting", "中华人民共和国环境影响评价法", "第二十二条"),
        ("implementing", "中华人民共和国环境影响评价法", "第二十三条")]
    below = Exercise.objects.get(item=item, government__code="910101100", valid_to__isnull=True)
    assert below.government.tier > item.lowest_tier  # what the evaluation's tier rule (不应放) finds


def test_loader_refuses_a_basis_later_than_the_holding(db, tmp_path):
    ops = _tree() + [
        _law("社会救助暂行办法"),
        {"op": "item", "government": "910101", "code": "JF1", "name": "临时救助审批", "category": "benefit",
         "lowest_tier": 4, "holder_from": "2012-12-31",
         "bases": [{"role": "setting", "law": "社会救助暂行办法", "article": "第四十八条"}]},
    ]
    with pytest.raises(SeedLoadError) as exc:
        load(_case(tmp_path, ops))
    assert "晚于" in exc.value.message_zh
    assert not PowerItem.objects.filter(code="JF1").exists()
