"""Import evaluation evidence (评估依据) from an XLSX or CSV file: every row or none."""
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from powerlists.services.errors import DomainError
from powerlists.services.evaluation import bulk_record_evidence
from powerlists.spreadsheets import MAX_UPLOAD_BYTES
from powerlists.spreadsheets_evaluation import ERROR, preview_evidence


class Command(BaseCommand):
    help = ("Import evaluation evidence from FILE (.xlsx or .csv, the template's columns: item code, receiving "
            "government code, period, cases, days, satisfaction …). All rows or none. / "
            "从表格导入评估依据：全部导入或全部不导入。")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check and report only; write nothing / 只检查不写入")
        parser.add_argument("--user", help="act as this user (the policy is asked) / 以该用户身份导入")

    def handle(self, *args, file, dry_run, user=None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件 {file}。 / No file {file}.")
        if path.stat().st_size > MAX_UPLOAD_BYTES:  # refused before reading it
            raise CommandError(f"文件过大：最大 {MAX_UPLOAD_BYTES // 1024 // 1024} MB。 / "
                               f"The file is too large: at most {MAX_UPLOAD_BYTES // 1024 // 1024} MB.")
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"找不到有效用户 {user}。 / No active user {user}.")
        data = path.read_bytes()
        try:
            preview = preview_evidence(data, path.name, actor=actor)
        except DomainError as exc:
            raise CommandError(f"{exc.message_zh} / {exc.message_en}") from exc
        bar = {"disable": None, "file": self.stderr._out, "unit": "行"}
        errors = 0
        for row in tqdm(preview.rows, desc="检查 / checking", **bar):
            if row.outcome == ERROR:
                errors += 1
                self.stderr.write(f"第{row.line}行 / line {row.line} [{row.item_code} @ {row.government_code}]: "
                                  + "；".join(f"{zh} / {en}" for zh, en in row.errors))
        counts = preview.counts
        self.stdout.write(f"新增 new: {counts['new']}  替换 replaced: {counts['replace']}  错误 errors: {counts['error']}")
        if errors:
            raise CommandError(f"{errors} 行有错误，未导入任何数据。 / {errors} rows have errors; nothing was imported.")
        if dry_run:
            self.stdout.write("试运行：未写入。 / Dry run: nothing written.")
            return
        records = preview.records()
        with tqdm(total=len(records), desc="写入 / writing", **bar) as progress:
            try:  # one transaction in the service: a refusal anywhere writes nothing
                bulk_record_evidence(records, actor=actor, progress=lambda done: progress.update(done - progress.n))
            except DomainError as exc:
                zh, en = preview.explain(exc)
                raise CommandError(f"{zh} / {en}；未导入任何数据。 / Nothing was imported.") from exc
        self.stdout.write(self.style.SUCCESS(
            f"已导入 {len(records)} 行评估依据：新增 {counts['new']}，替换 {counts['replace']}。 / "
            f"Imported {len(records)} evidence rows: {counts['new']} new, {counts['replace']} replaced."))
