"""Check every invariant of the product over the whole database (powerlists/integrity.py).

Exit status 0 when all hold, 1 otherwise; each rule is printed with ✓ or ✗ and a few offending rows.
Run it after a restore, an upgrade, or anything done to the database by hand.
"""
from django.core.management.base import BaseCommand, CommandError

from powerlists import integrity


class Command(BaseCommand):
    help = "Check the product's invariants and the audit chain (数据完整性检查)."

    def handle(self, *args, **options):
        findings = integrity.check()
        for finding in findings:
            self.stdout.write(str(finding))
        failed = [f for f in findings if not f.ok]
        if failed:
            raise CommandError(f"{len(failed)} 条规则不成立。 / {len(failed)} rule(s) do not hold.", returncode=1)
        self.stdout.write("全部规则成立。 / Every rule holds.")
