"""Walk the audit hash chain and report the first event altered, removed or inserted behind the
application's back; check the heads kept outside the database — every signed checkpoint of this database
(powerlists/audit_checkpoints.py), the files given with ``--checkpoints`` and the heads given with
``--head`` — against it, naming the newest events that are missing. Exit status 0 when everything
verifies, 1 otherwise."""
import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from powerlists import audit_checkpoints
from powerlists.audit_chain import Anchor, verify
from powerlists.models import AuditEvent
from powerlists.ops.routers import pinned_to_primary

HEAD = re.compile(r"^(?:(?P<seq>[0-9]{1,18})[:=])?(?P<hash>[0-9a-f]{64})$")


def parse_head(text: str) -> Anchor:
    match = HEAD.match(text.strip().lower())
    if match is None:
        raise CommandError(f"--head 应为链哈希（64 位十六进制）或 序号:哈希，收到 {text!r}。 / --head takes a chain hash "
                           f"(64 hex digits) or SEQ:HASH, got {text!r}.", returncode=2)
    seq = int(match["seq"]) if match["seq"] else None
    where = f"seq {seq}, " if seq is not None else ""
    return Anchor(match["hash"], seq, zh=f"给出的链条末端（{where}--head）",
                  en=f"the head given ({where}--head)")


class Command(BaseCommand):
    help = "Verify the audit history's hash chain and its checkpoints (审计链校验)."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument("--head", action="append", default=[], metavar="[SEQ:]HASH",
                            help="a head of the chain kept elsewhere (the API's audit/head/, a backup's manifest): "
                                 "the chain must still hold it. Repeatable.")
        parser.add_argument("--checkpoints", action="append", default=[], metavar="FILE", type=Path,
                            help="a checkpoint file to check besides this database's own (e.g. a copy kept "
                                 "off the machine, or the file of the database this one was restored from)")
        parser.add_argument("--no-checkpoints", action="store_true",
                            help="do not check this database's own checkpoint file")

    def handle(self, *args, **options):
        anchors = [parse_head(text) for text in options["head"]]
        files = [] if options["no_checkpoints"] else [audit_checkpoints.path_for()]
        for path in options["checkpoints"]:
            if not path.is_file():
                raise CommandError(f"检查点文件不存在：{path}。 / No such checkpoint file: {path}.", returncode=2)
            files.append(path)
        checkpoints = 0
        for path in files:
            found, problem = audit_checkpoints.anchors(path)
            if problem is not None:
                self._fail(problem)
            checkpoints += len(found)
            anchors += found
        with pinned_to_primary():  # a replica that lags would look like a chain cut short
            total = AuditEvent.objects.count()
            bar = None if options["no_progress"] else tqdm(total=total, unit="事件/events", disable=None)
            done = [0]

            def progress(count):
                if bar is not None and count - done[0] >= 1000:
                    bar.update(count - done[0])
                    done[0] = count

            result = verify(progress, anchors)
        if bar is not None:
            bar.update(result.events - done[0])
            bar.close()
        if not result.ok:
            self._fail(result.problem)
        heads = len(options["head"])
        self.stdout.write(f"审计链完整：{result.events} 条事件全部通过校验；{checkpoints} 个检查点"
                          f"{f'和 {heads} 个给出的末端' if heads else ''}都在链中。 / "
                          f"The audit chain verifies: all {result.events} events; it holds all {checkpoints} "
                          f"checkpoints{f' and the {heads} heads given' if heads else ''}.")

    def _fail(self, problem):
        where_zh = f"（事件编号 {problem.event_id}）" if problem.event_id is not None else ""
        where_en = f" (event id {problem.event_id})" if problem.event_id is not None else ""
        raise CommandError(f"审计链校验失败：{problem.zh}{where_zh} / "
                           f"The audit chain does not verify: {problem.en}{where_en}", returncode=1)
