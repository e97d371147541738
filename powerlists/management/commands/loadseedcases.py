"""``manage.py loadseedcases``: load the five seed cases into an empty database, through the services."""
import os
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from powerlists.seedcases.loader import DEFAULT_DEMO_PASSWORD, SeedLoadError, load


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
            self.stdout.write(f"  {op:<15} {n:>6}")
        if result.users:
            if os.environ.get("DEMO_PASSWORD"):
                password_zh, password_en = "环境变量 DEMO_PASSWORD 的值", "the value of DEMO_PASSWORD"
            else:
                password_zh = f"{DEFAULT_DEMO_PASSWORD}（默认值，可用环境变量 DEMO_PASSWORD 设置）"
                password_en = f"{DEFAULT_DEMO_PASSWORD} (the default; set DEMO_PASSWORD to change it)"
            self.stdout.write(self.style.WARNING(
                f"演示数据：已创建 {len(result.users)} 个演示用户（{', '.join(result.users[:3])} …），"
                f"密码为 {password_zh}；仅供演示，勿用于生产环境。\n"
                f"Demo data set: {len(result.users)} demo users created ({', '.join(result.users[:3])} …), "
                f"password {password_en}; for demonstration only, never in production."))
        self.stdout.write(self.style.SUCCESS(
            f"共 {sum(result.counts.values())} 次服务调用，用时 {elapsed:.1f} 秒 / "
            f"{sum(result.counts.values())} service calls in {elapsed:.1f} s"))
