"""``python manage.py soak``: the product under gunicorn on PostgreSQL with concurrent readers, editors and
reviewers for a bounded time, then zero 5xx, every invariant and the audit chain (powerlists/soak.py).

It never touches the configured database: it makes a scratch PostgreSQL database (``--scratch-name``,
default ``powerlists_soak``, on the server of ``BENCH_POSTGRES_URL``, default
``postgres://postgres@127.0.0.1:5432/``), runs there in a child process, and drops it afterwards (``--keep``
keeps it to look at). The child's cache keys (``--redis-url``) carry a prefix of their own, deleted after.
Exit status 1 when a check fails.
"""
import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

SCRATCH = "powerlists_soak"
# The parent names the scratch database it made; a worker runs only in the database so named.
WORKER_MARK = "POWERLISTS_SOAK_SCRATCH"


class Command(BaseCommand):
    help = "Soak test: concurrent readers, editors and reviewers under gunicorn, then every invariant (压力浸泡测试)."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=float, default=60, help="how long the actors run (default 60)")
        parser.add_argument("--readers", type=int, default=8)
        parser.add_argument("--editors", type=int, default=3)
        parser.add_argument("--reviewers", type=int, default=2,
                            help="city reviewers, and as many district reviewers (default 2)")
        parser.add_argument("--items", type=int, default=60)
        parser.add_argument("--districts", type=int, default=4)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
        parser.add_argument("--scratch-name", default=SCRATCH,
                            help="the scratch PostgreSQL database, made and dropped here (default powerlists_soak)")
        parser.add_argument("--redis-url", help="the Redis the product under test uses, under a key prefix of its "
                                                "own (default $BENCH_REDIS_URL or redis://127.0.0.1:6379/14 if it "
                                                "answers; \"\" for each process's memory)")
        parser.add_argument("--worker", action="store_true", help="(internal) run in the scratch database")

    def handle(self, *args, **options):
        for name in ("seconds", "readers", "editors", "reviewers", "items", "districts"):
            if options[name] < (1 if name in ("seconds", "items", "districts") else 0):
                raise CommandError(f"--{name} 超出范围。 / --{name} is out of range.")
        if options["seconds"] > 24 * 3600:
            raise CommandError("--seconds 最多 86400。 / --seconds is at most 86400.")
        if options["worker"]:
            database = settings.DATABASES["default"]
            scratch = os.environ.get(WORKER_MARK)
            if not (scratch and database["ENGINE"].endswith("postgresql") and database["NAME"] == scratch):
                raise CommandError("--worker 只在 soak 自己创建的临时数据库中运行。 / --worker runs only in the "
                                   "scratch database soak makes itself.")
            return self._worker(options)
        from powerlists.bench.runner import (
            _worker,
            check_scratch_name,
            drop_postgres_database,
            postgres_database,
        )

        try:
            scratch = check_scratch_name(options["scratch_name"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        try:
            url = postgres_database(scratch, fresh=True)
        except Exception as exc:  # noqa: BLE001 - no PostgreSQL server: say so
            raise CommandError(f"无法创建临时数据库 {scratch}：{exc} / Cannot create the scratch database: {exc}") from exc
        self.stdout.write(f"soak: {options['seconds']:g} s on {url}")
        child = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "soak", "--worker"]
        for name in ("seconds", "readers", "editors", "reviewers", "items", "districts", "seed"):
            child += [f"--{name}", str(options[name])]
        try:
            code = _worker(child, url, self.stdout, scratch=scratch, redis_url=options["redis_url"],
                           extra={WORKER_MARK: scratch})
        finally:
            if not options["keep"]:
                drop_postgres_database(scratch)
        if code != 0:
            raise CommandError(f"浸泡测试未通过（退出码 {code}）。 / The soak test failed (exit status {code}).",
                               returncode=1)

    def _worker(self, options):
        from django.core.management import call_command

        from powerlists import soak

        call_command("migrate", verbosity=0)

        def out(line=""):
            self.stdout.write(str(line))
            self.stdout.flush()

        outcome = soak.run(seconds=options["seconds"], readers=options["readers"], editors=options["editors"],
                           reviewers=options["reviewers"], items=options["items"], districts=options["districts"],
                           seed=options["seed"], out=out)
        out("")
        for ok, text in outcome.checks:
            out(f"{'✓' if ok else '✗'} {text}")
        if not outcome.ok:
            raise CommandError("浸泡测试未通过。 / The soak test failed.", returncode=1)
        out("浸泡测试通过。 / The soak test passed.")
