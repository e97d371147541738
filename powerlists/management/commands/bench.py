"""The benchmark: each figure of the product beside a baseline measured in the same run (powerlists/bench/)."""
import argparse

from django.core.management.base import BaseCommand, CommandError

from powerlists.bench import figures, runner


class Command(BaseCommand):
    help = ("Measure the product at scale against hand-written baselines in scratch databases of the benchmark's "
            "own (never the configured one), on SQLite and PostgreSQL. / 在独立的临时数据库中测量性能，并与同次运行的"
            "手写基线对比。")

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=["county", "province"], default="province",
                            help="the data to measure on (province also builds the nation's tree for the tree figures)")
        parser.add_argument("--quick", action="store_true",
                            help="CI: county scale in a fresh database, 3 repetitions, a 2-second load test")
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--postgres-only", action="store_true")
        which.add_argument("--sqlite-only", action="store_true")
        parser.add_argument("--rebuild", action="store_true", help="drop the scratch database and synthesize again")
        parser.add_argument("--only", help=f"comma-separated figures: {', '.join(figures.FIGURES)}")
        parser.add_argument("--profile", action="store_true",
                            help="for each ✗, print where the product's time goes (cProfile, the slowest query's plan)")
        parser.add_argument("--load-seconds", type=float, help="seconds of load per path (default 10; quick 2)")
        parser.add_argument("--connections", type=int, help="concurrent connections of the load test (default 8)")
        parser.add_argument("--repeat", type=int, help="repetitions per figure (default 9; quick 3)")
        parser.add_argument("--scratch-name", default=runner.BENCH_SCRATCH,
                            help="the scratch databases' name: NAME_<scale> (kept) and NAME_reads / NAME_writes "
                                 "on PostgreSQL (default powerlists_bench)")
        parser.add_argument("--redis-url", help="the Redis the measured product uses, under a key prefix of its own "
                                                "(default $BENCH_REDIS_URL or redis://127.0.0.1:6379/14 if it "
                                                "answers; \"\" for the process's memory)")
        parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if options["only"]:
            unknown = set(options["only"].split(",")) - set(figures.FIGURES)
            if unknown:
                raise CommandError(f"未知的指标 / unknown figures: {', '.join(sorted(unknown))} "
                                   f"(choose from {', '.join(figures.FIGURES)})")
        if options["worker"]:  # in the scratch database the parent prepared
            figures.main(**options, out=self.stdout._out)
            return
        try:
            runner.check_scratch_name(options["scratch_name"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        failures = runner.run(options, self.stdout._out)
        if failures:
            raise CommandError(f"{failures} 个数据库的测量失败。 / The run failed on {failures} database(s).")
