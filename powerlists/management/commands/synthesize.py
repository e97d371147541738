"""Build synthetic data at scale into the configured database (see powerlists/synthesize.py)."""
from django.core.management.base import BaseCommand, CommandError

from powerlists import synthesize


class Command(BaseCommand):
    help = ("Build synthetic governments, lists and years of batches in bulk: county (CI size, seconds), province "
            "(15 cities, 150 counties, 2,000 towns, 30,000 villages, ~1.35 million exercise rows) or nation (the "
            "500,000-government tree without lists). Refuses a database that already holds the scale. / "
            "批量合成数据：县、省或全国规模；数据库中已有该规模的数据时拒绝执行。")

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(synthesize.SHAPES), default="county")
        parser.add_argument("--seed", type=int, default=7, help="random seed (names, methods, which items) / 随机种子")
        parser.add_argument("--no-check", action="store_true",
                            help="skip checking the data through the queries afterwards / 不做写入后的检查")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar / 不显示进度条")

    def handle(self, *args, scale, seed, no_check, no_progress, **options):
        try:
            _expect, _took, checks = synthesize.run(
                scale, seed, out=self.stdout._out, err=self.stderr._out, progress=False if no_progress else None,
                check=not no_check)
        except synthesize.AlreadyThere as exc:
            raise CommandError(str(exc)) from exc
        failed = [c for c in checks if not c.ok]
        if failed:
            raise CommandError(f"{len(failed)} 项检查未通过。 / {len(failed)} checks failed: "
                               + "; ".join(c.name for c in failed))
