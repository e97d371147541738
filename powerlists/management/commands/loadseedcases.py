"""``manage.py loadseedcases``: load the five seed cases into an empty database, through the services."""
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from powerlists.seedcases.loader import SeedLoadError, load


class Command(BaseCommand):
    help = "加载五个种子案例（哈尔滨、潍坊奎文、临沂兰山、湖北）到空数据库 / Load the seed cases into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条 / no progress bar")

    def handle(self, *args, **options):
        def progress(total):
            return tqdm(total=total, unit="op", file=sys.stderr, disable=options["no_progress"],
                        dynamic_ncols=True, mininterval=0.5)

        started = time.monotonic()
        try:
            result = load(progress_factory=progress)
        except SeedLoadError as exc:
            raise CommandError(f"{exc.message_zh}\n{exc.message_en}") from exc
        elapsed = time.monotonic() - started
        self.stdout.write(f"已加载 / loaded: {', '.join(result.files)}")
        for op, n in sorted(result.counts.items()):
            self.stdout.write(f"  {op:<11} {n:>6}")
        self.stdout.write(self.style.SUCCESS(
            f"共 {sum(result.counts.values())} 次服务调用，用时 {elapsed:.1f} 秒 / "
            f"{sum(result.counts.values())} service calls in {elapsed:.1f} s"))
