"""Walk the audit hash chain and report the first event altered, removed or inserted behind the
application's back. Exit status 0 when the whole chain verifies, 1 otherwise."""
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from powerlists.audit_chain import verify
from powerlists.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the audit history's hash chain (审计链校验)."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        total = AuditEvent.objects.count()
        bar = None if options["no_progress"] else tqdm(total=total, unit="事件/events", disable=None)
        done = [0]

        def progress(count):
            if bar is not None and count - done[0] >= 1000:
                bar.update(count - done[0])
                done[0] = count

        result = verify(progress)
        if bar is not None:
            bar.update(result.events - done[0])
            bar.close()
        if result.ok:
            self.stdout.write(f"审计链完整：{result.events} 条事件全部通过校验。 / "
                              f"The audit chain verifies: all {result.events} events.")
            return
        problem = result.problem
        raise CommandError(f"审计链校验失败：{problem.zh}（事件编号 {problem.event_id}） / "
                           f"The audit chain does not verify: {problem.en} (event id {problem.event_id}).",
                           returncode=1)
