"""``manage.py seedfigures``: the seed documents' figures, computed from the database records."""
import unicodedata

from django.core.management.base import BaseCommand, CommandError

from powerlists.seedcases.figures import compute_figures


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


class Command(BaseCommand):
    help = "按种子文件列出各项数字：文件值、系统计算值、是否一致 / Seed figures: seed value, computed value, match."

    def handle(self, *args, **options):
        figures = compute_figures()
        headers = ("source", "figure", "seed", "computed", "match")
        rows = [(f.source, f.description, f.seed, f.computed, f.status) for f in figures]
        widths = [max(_width(str(r[i])) for r in [headers, *rows]) for i in range(4)]
        for row in [headers, *rows]:
            self.stdout.write("  ".join(_pad(str(row[i]), widths[i]) for i in range(4)) + "  " + row[4])
        failed = [f for f in figures if f.match is False]
        pending = [f for f in figures if f.match is None]
        self.stdout.write(f"\n{len(figures) - len(failed) - len(pending)} ✓, {len(failed)} ✗, {len(pending)} pending")
        if failed:
            raise CommandError(f"{len(failed)} 项数字与种子文件不一致 / {len(failed)} figure(s) do not match the seeds.")
