"""The test run touches only what it owns: on a shared server (CI, another engineer's run, a deployment
sharing the Redis or PostgreSQL server) its cache keys and scratch databases are named after its test
database, its cleanup deletes only those keys, and the soak and bench commands it runs make and drop only
databases so named and use only the run's own Redis."""
import io
import sys

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from powerlists.bench import runner

needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="the run has no Redis (REDIS_URL) of its own")


def raw_redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL)


def test_the_cache_keys_carry_the_test_databases_name(db, run_names):
    if connection.vendor == "postgresql":  # the name Django gave the test database it made
        assert run_names.database == connection.settings_dict["NAME"]
    assert run_names.database.startswith("test_")
    cache.set("isolation-probe", 1)
    key = cache.make_key("isolation-probe")
    assert key.startswith(f"{run_names.database}:")
    assert run_names.cache_prefix.startswith(f"{run_names.database}:")
    # the processes a test starts (manage.py in a subprocess) write under the run's prefix too
    import os

    assert os.environ["CACHE_KEY_PREFIX"] == run_names.cache_prefix
    if settings.REDIS_URL:
        assert raw_redis().exists(key)


@needs_redis
def test_someone_elses_keys_survive_the_suites_cleanup(db, run_names):
    client = raw_redis()
    others = ["powerlists:1:rl:anon:10.0.0.1",  # a deployment on the default prefix
              f"{run_names.database}:0th3r:1:views",  # another run of the same suite, same test database name
              f"{run_names.database}_other:1:x",  # a prefix that merely starts like ours
              "unprefixed-key"]
    for name in others:
        client.set(name, b"theirs", ex=120)
    try:
        cache.set("mine", 1)
        assert cache.get("mine") == 1 and client.exists(cache.make_key("mine"))
        run_names.start_test()  # what every test starts with: the previous test's keys are not seen
        assert cache.get("mine") is None
        cache.set("mine-now", 2)
        cache.clear()  # what some tests call
        assert cache.get("mine-now") is None
        cache.set("mine-last", 3)
        run_names.forget_keys()  # the end of the run
        assert not list(client.scan_iter(match=f"{run_names.cache_prefix}:*"))
        assert [client.get(name) for name in others] == [b"theirs"] * len(others)
    finally:
        client.delete(*others)


def test_a_child_gets_only_the_runs_redis_and_a_prefix_of_its_own(run_names):
    """A soak or bench child: the Redis the run was given (none in a run without REDIS_URL, even if a Redis
    answers on the machine), under a prefix named after its scratch database, deleted when it ends."""
    script = ("import os, sys\n"
              "url, prefix = os.environ.get('REDIS_URL', ''), os.environ['CACHE_KEY_PREFIX']\n"
              "print(repr(url), prefix)\n"
              "if url:\n"
              "    import redis\n"
              "    redis.Redis.from_url(url).set(prefix + ':1:left-behind', b'x', ex=120)\n")
    out = io.StringIO()
    scratch = run_names.scratch("bench")
    assert runner._worker([sys.executable, "-c", script], "sqlite:///unused", out, scratch=scratch,
                          redis_url=run_names.redis_url) == 0
    url, prefix = out.getvalue().split()
    assert url == repr(settings.REDIS_URL)
    assert prefix.startswith(f"{scratch}:") and prefix != run_names.cache_prefix
    if settings.REDIS_URL:
        assert not list(raw_redis().scan_iter(match=f"{prefix}:*"))


@pytest.fixture
def scratch_databases(monkeypatch):
    """The PostgreSQL scratch databases the commands make and drop, recorded instead of made."""
    made, dropped, workers = [], [], []

    def make(name, *, fresh):
        made.append(name)
        return f"postgres://postgres@127.0.0.1:5432/{name}"

    def worker(args, url, out, *, scratch, redis_url=None, extra=None):
        workers.append({"url": url, "scratch": scratch, "redis_url": redis_url, "extra": extra or {}})
        return 0

    monkeypatch.setattr(runner, "postgres_database", make)
    monkeypatch.setattr(runner, "drop_postgres_database", dropped.append)
    monkeypatch.setattr(runner, "_worker", worker)
    return made, dropped, workers


def test_the_soak_scratch_database_is_named_after_the_test_database(run_names, scratch_databases):
    made, dropped, workers = scratch_databases
    call_command("soak", seconds=1, scratch_name=run_names.scratch("soak"), redis_url=run_names.redis_url,
                 stdout=io.StringIO())
    assert made == dropped == [f"{run_names.database}_soak"]
    assert workers[0]["extra"] == {"POWERLISTS_SOAK_SCRATCH": f"{run_names.database}_soak"}
    assert workers[0]["redis_url"] == settings.REDIS_URL


def test_the_bench_scratch_databases_are_named_after_the_test_database(run_names, scratch_databases):
    made, dropped, workers = scratch_databases
    call_command("bench", "--quick", "--postgres-only", scratch_name=run_names.scratch("bench"),
                 redis_url=run_names.redis_url, stdout=io.StringIO())
    assert made == dropped == [f"{run_names.database}_bench_reads", f"{run_names.database}_bench_writes"]
    assert {w["redis_url"] for w in workers} == {settings.REDIS_URL}


def test_the_commands_keep_their_documented_names_for_people(scratch_databases):
    made, dropped, _workers = scratch_databases
    call_command("soak", seconds=1, stdout=io.StringIO())
    call_command("bench", "--quick", "--postgres-only", stdout=io.StringIO())
    assert made == ["powerlists_soak", "powerlists_bench_reads", "powerlists_bench_writes"]
    assert runner.bench_postgres_name("powerlists_bench", "province", "reads", keep=True) == "powerlists_bench_province"
    assert runner.bench_sqlite_path("powerlists_bench", "province") == runner.SCRATCH_DIR / "province.sqlite3"


@pytest.mark.parametrize("name", ["Powerlists", "a-b", "x; DROP DATABASE powerlists", "", "n" * 51])
def test_a_scratch_name_that_is_not_a_plain_identifier_is_refused(name, scratch_databases):
    from django.core.management import CommandError

    for command in ("soak", "bench"):
        with pytest.raises(CommandError, match="lower-case letters"):
            call_command(command, scratch_name=name, stdout=io.StringIO())
    assert scratch_databases[0] == []


def test_the_soak_worker_runs_only_in_the_database_its_parent_named(monkeypatch):
    from django.core.management import CommandError

    monkeypatch.delenv("POWERLISTS_SOAK_SCRATCH", raising=False)
    with pytest.raises(CommandError, match="scratch database soak makes itself"):
        call_command("soak", "--worker", stdout=io.StringIO())
    monkeypatch.setenv("POWERLISTS_SOAK_SCRATCH", "not_this_one")
    with pytest.raises(CommandError, match="scratch database soak makes itself"):
        call_command("soak", "--worker", stdout=io.StringIO())
