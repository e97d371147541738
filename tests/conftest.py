"""Shared test fixtures: a small government tree built through the services."""
import datetime

import pytest

from powerlists import services
from powerlists.models import Category, Tier

D = datetime.date
HOLDING_SINCE = D(2016, 1, 1)


def _flush_around_history_triggers():
    """Tests that commit (transactional and browser tests) are cleaned by Django's flush, which on SQLite
    is a DELETE of every table — which the history triggers rightly refuse. In tests only, flushing
    drops the triggers first and creates them again after. (PostgreSQL flushes with TRUNCATE, which row
    triggers do not see.)"""
    import importlib

    from django.db.backends.sqlite3.base import DatabaseWrapper

    DatabaseOperations = DatabaseWrapper.ops_class

    triggers = importlib.import_module("powerlists.migrations.0009_audit_chain_triggers")
    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, **kwargs):
        statements = original(self, style, tables, **kwargs)
        if not statements:
            return statements
        return [f"{sql};" for sql in triggers.SQLITE_DROP] + statements + [f"{sql};" for sql in triggers.SQLITE]

    DatabaseOperations.sql_flush = sql_flush


_flush_around_history_triggers()


@pytest.fixture(autouse=True)
def default_language():
    """A request in English leaves English active in the thread; each test starts in the default."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate-limit counters and cached answers live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hashing passwords slowly is a production concern, not what these tests check."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api():
    """An anonymous API client."""
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def tree(db):
    """province → city → two districts → streets → a community, with departments.

    Returned as a simple namespace of governments and departments.
    """

    class Tree:
        pass

    t = Tree()
    t.province = services.create_government(code="23", name="黑龙江省", tier=Tier.PROVINCE)
    t.city = services.create_government(code="2301", name="哈尔滨市", tier=Tier.CITY, parent=t.province)
    t.district = services.create_government(code="230102", name="道里区", tier=Tier.COUNTY, parent=t.city,
                                            kind="区", tags=["pilot"])
    t.district2 = services.create_government(code="230104", name="道外区", tier=Tier.COUNTY, parent=t.city, kind="区")
    t.street = services.create_government(code="230102001", name="兆麟街道", tier=Tier.TOWNSHIP, parent=t.district,
                                          kind="街道")
    t.street2 = services.create_government(code="230104001", name="靖宇街道", tier=Tier.TOWNSHIP, parent=t.district2,
                                           kind="街道")
    t.community = services.create_government(code="230102001001", name="兆麟社区", tier=Tier.VILLAGE,
                                             parent=t.street, kind="社区")
    t.other_province = services.create_government(code="42", name="湖北省", tier=Tier.PROVINCE)
    t.other_city = services.create_government(code="4211", name="黄冈市", tier=Tier.CITY, parent=t.other_province)
    t.city_dept = services.create_department(government=t.city, name="市发展和改革委员会")
    t.district_dept = services.create_department(government=t.district, name="道里区发展和改革局")
    t.street_dept = services.create_department(government=t.street, name="兆麟街道便民服务中心",
                                               kind="service_centre")
    return t


@pytest.fixture
def make_item(tree):
    counter = {"n": 0}

    def make(government=None, *, holder_from=HOLDING_SINCE, **values):
        counter["n"] += 1
        values.setdefault("code", f"T{counter['n']:04d}")
        values.setdefault("name", f"测试事项{counter['n']}")
        values.setdefault("category", Category.LICENSING)
        values.setdefault("field", "投资审批")
        return services.create_item(government=government or tree.city, holder_from=holder_from, **values)

    return make


@pytest.fixture
def people(tree, django_user_model):
    """Users with roles: editors and reviewers of the city, the district and the street, an outsider
    (a reviewer in another province) and an administrator of the whole province."""
    from accounts.models import Membership

    class People:
        pass

    p = People()

    def person(name, government, role, subtree=False):
        user = django_user_model.objects.create_user(name, password="a-long-pass-phrase-2026")
        Membership.objects.create(user=user, government=government, role=role, include_subtree=subtree)
        return user

    p.city_editor = person("city_editor", tree.city, "editor")
    p.city_reviewer = person("city_reviewer", tree.city, "reviewer")
    p.city_reviewer2 = person("city_reviewer2", tree.city, "reviewer")
    p.district_editor = person("district_editor", tree.district, "editor")
    p.district_reviewer = person("district_reviewer", tree.district, "reviewer")
    p.street_reviewer = person("street_reviewer", tree.street, "reviewer")
    p.outsider = person("outsider", tree.other_city, "reviewer", subtree=True)
    p.administrator = person("administrator", tree.province, "administrator", subtree=True)
    p.nobody = django_user_model.objects.create_user("nobody", password="a-long-pass-phrase-2026")
    return p
