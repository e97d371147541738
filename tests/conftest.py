"""Shared test fixtures: a small government tree built through the services."""
import datetime

import pytest

from powerlists import services
from powerlists.models import Category, Tier

D = datetime.date
HOLDING_SINCE = D(2016, 1, 1)


def _flush_around_history_triggers():
    """Tests that commit (transactional and browser tests) are cleaned by Django's flush, which on SQLite
    is a DELETE of every table and on PostgreSQL a TRUNCATE — which the history triggers rightly refuse
    (row triggers on SQLite, migration 0009; statement-level BEFORE TRUNCATE triggers on PostgreSQL,
    migration 0011). In tests only, flushing lifts them first and puts them back after, in the flush's
    transaction: SQLite's are dropped and created again, PostgreSQL's disabled and enabled again."""
    import importlib

    from django.db.backends.sqlite3.base import DatabaseWrapper

    DatabaseOperations = DatabaseWrapper.ops_class

    triggers = importlib.import_module("powerlists.migrations.0009_audit_chain_triggers")
    guard = importlib.import_module("powerlists.migrations.0011_history_truncate_guard")
    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, **kwargs):
        statements = original(self, style, tables, **kwargs)
        if not statements:
            return statements
        return [f"{sql};" for sql in triggers.SQLITE_DROP] + statements + [f"{sql};" for sql in triggers.SQLITE]

    DatabaseOperations.sql_flush = sql_flush

    try:
        from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
    except ImportError:  # no psycopg: SQLite only
        return
    original_pg = PostgresOperations.sql_flush

    def sql_flush_pg(self, style, tables, **kwargs):
        statements = original_pg(self, style, tables, **kwargs)
        if not statements:
            return statements
        return [guard.DISABLE_ALL, *statements, guard.ENABLE_ALL]

    PostgresOperations.sql_flush = sql_flush_pg


_flush_around_history_triggers()


@pytest.fixture(autouse=True)
def default_language():
    """A request in English leaves English active in the thread; each test starts in the default."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


# --- what the run owns outside its test database ---------------------------------------------------------
# Everything a test run makes beside its test database is named after it, so that runs on a shared server
# (CI, another engineer's run, a deployment) never touch each other: cache keys under
# "<test database>:<random tag>:" (never a FLUSHDB: clear() deletes only the keys under its prefix,
# powerlists/ops/cache.py), scratch databases "<test database>_soak", "<test database>_bench_…".


def _test_database_name() -> str:
    """The test database's name: on PostgreSQL test_<NAME> (or TEST NAME); SQLite's test database lives in
    memory and is named here after the file it stands in for (test_db)."""
    import re
    from pathlib import Path

    from django.conf import settings

    database = settings.DATABASES["default"]
    test_name = database.get("TEST", {}).get("NAME")
    if database["ENGINE"].endswith("sqlite3"):
        name = Path(test_name).stem if test_name else f"test_{Path(str(database['NAME'])).stem}"
    else:
        name = test_name or f"test_{database['NAME']}"
    return re.sub(r"[^a-z0-9_]", "_", name.lower())


class RunNames:
    """The test run's names: its test database, its cache key prefix, its scratch databases, its Redis."""

    def __init__(self):
        import uuid

        self.database = _test_database_name()
        # A tag per run: two runs of the same suite (two SQLite runs on one machine) share a test name.
        self.cache_prefix = f"{self.database}:{uuid.uuid4().hex[:8]}"
        self.generation = 0

    @property
    def redis_url(self) -> str:
        """The Redis the run was given (REDIS_URL), or "" (each process's memory): never one it was not."""
        from django.conf import settings

        return settings.REDIS_URL

    def scratch(self, purpose: str) -> str:
        """A scratch database of the run's own, e.g. test_powerlists_ci_soak."""
        return f"{self.database}_{purpose}"

    def key(self, key, key_prefix, version) -> str:
        """The cache's KEY_FUNCTION in tests: each test's keys under a generation of its own."""
        return f"{key_prefix}:{self.generation}:{version}:{key}"

    def own_the_cache(self) -> None:
        """Point the cache (and every process a test starts, through CACHE_KEY_PREFIX) at the run's prefix."""
        import os

        from asgiref.local import Local
        from django.conf import settings
        from django.core.cache import caches, close_caches

        os.environ["CACHE_KEY_PREFIX"] = settings.CACHE_KEY_PREFIX = self.cache_prefix
        settings.CACHES["default"].update(KEY_PREFIX=self.cache_prefix, KEY_FUNCTION=self.key)
        close_caches()  # as Django does when CACHES changes (django.test.signals.clear_cache_handlers)
        caches._settings = caches.settings = caches.configure_settings(None)
        caches._connections = Local()

    def start_test(self) -> None:
        """A test starts with an empty cache: under Redis a new generation of keys (nothing in the shared
        database is deleted, nothing needs to be); the process's own memory is emptied."""
        from django.core.cache import caches
        from django.core.cache.backends.locmem import LocMemCache

        self.generation += 1
        if isinstance(caches["default"], LocMemCache):
            caches["default"].clear()

    def forget_keys(self) -> None:
        """Delete every key of the run (under its prefix, every generation) and nobody else's."""
        import warnings

        from django.core.cache import cache

        try:
            cache.clear()
        except Exception as exc:  # noqa: BLE001 - Redis gone at the end of the run: say so, do not fail it
            warnings.warn(f"the test run's cache keys ({self.cache_prefix}:*) were not deleted: {exc}", stacklevel=1)


RUN = RunNames()
RUN.own_the_cache()


@pytest.fixture(scope="session")
def run_names():
    """What the test run owns outside its test database (RunNames)."""
    return RUN


@pytest.fixture(autouse=True, scope="session")
def forget_the_runs_cache_keys():
    yield
    RUN.forget_keys()


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate-limit counters and cached answers live in the cache: each test starts with none."""
    RUN.start_test()
    yield


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
