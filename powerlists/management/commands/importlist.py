"""Import power items into a government's catalogue from an XLSX or CSV file (all rows or none)."""
import datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from powerlists.models import Government
from powerlists.services.errors import DomainError
from powerlists.services.imports import ERROR, apply_import, fingerprint, preview_import
from powerlists.services.imports import save_mapping as save_mapping_
from powerlists.spreadsheets import MAX_UPLOAD_BYTES


class Command(BaseCommand):
    help = ("Import items from FILE (.xlsx or .csv: the template's columns, or a provincial platform's export "
            "as it is — 职权编码/基本编码, 事项类型 codes, 行使层级 codes …) into a government's catalogue. "
            "All rows or none. / 从表格（模板或省级政务服务平台导出的原表）导入权力事项：全部导入或全部不导入。")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--government", required=True, help="the government's code / 政府代码")
        parser.add_argument("--dry-run", action="store_true", help="check and report only; write nothing / 只检查不写入")
        parser.add_argument("--user", help="act as this user (the policy is asked) / 以该用户身份导入")
        parser.add_argument("--holder-from", help="YYYY-MM-DD: the government exercises new items from this date")
        parser.add_argument("--map", action="append", default=[], metavar="HEADER=KEY",
                            help="read the column HEADER as KEY (a template column key such as code, name, "
                                 "category, levels; '-' to leave it alone) / 指定某列对应的栏目")
        parser.add_argument("--save-mapping", action="store_true",
                            help="keep the --map entries for this government's later imports / 保存列对应")
        parser.add_argument("--create-departments", action="store_true",
                            help="create the departments the file names that the government lacks / 新建表中的部门")

    def handle(self, *args, file, government, dry_run, user=None, holder_from=None, map=(), save_mapping=False,
               create_departments=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件 {file}。 / No file {file}.")
        if path.stat().st_size > MAX_UPLOAD_BYTES:  # refused before reading it
            raise CommandError(f"文件过大：最大 {MAX_UPLOAD_BYTES // 1024 // 1024} MB。 / "
                               f"The file is too large: at most {MAX_UPLOAD_BYTES // 1024 // 1024} MB.")
        target = Government.objects.filter(code=government).first()
        if target is None:
            raise CommandError(f"找不到代码为 {government} 的政府。 / No government with code {government}.")
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"找不到有效用户 {user}。 / No active user {user}.")
        day = None
        if holder_from:
            try:
                day = datetime.date.fromisoformat(holder_from)
            except ValueError:
                raise CommandError("--holder-from 应为 YYYY-MM-DD。 / --holder-from must be YYYY-MM-DD.") from None
        mapping = {}
        for entry in map:
            header, sep, key = entry.partition("=")
            if not sep or not header.strip() or not key.strip():
                raise CommandError(f"--map 应为 表头=栏目，而不是“{entry}”。 / --map is HEADER=KEY, not “{entry}”.")
            mapping[header.strip()] = key.strip()
        data = path.read_bytes()
        try:
            if mapping and save_mapping and not dry_run:
                save_mapping_(target, mapping, actor=actor, actor_name="" if actor else "importlist")
            preview = preview_import(target, data, path.name, actor=actor, mapping=mapping,
                                     create_departments=create_departments)
        except DomainError as exc:
            raise CommandError(f"{exc.message_zh} / {exc.message_en}") from exc
        for column, cell, meaning, rows in preview.code_meanings:
            self.stdout.write(f"{column} {cell} → {meaning}  ({rows} 行 / rows)")
        for name in preview.new_departments:
            self.stdout.write(f"新建部门 / new department: {name}")
        errors = 0
        for row in tqdm(preview.rows, desc="检查 / checking", unit="行", disable=None, file=self.stderr._out):
            if row.outcome == ERROR:
                errors += 1
                self.stderr.write(f"第{row.line}行 / line {row.line} [{row.code}]: "
                                  + "；".join(f"{zh} / {en}" for zh, en in row.errors))
        counts = preview.counts
        self.stdout.write(f"新增 new: {counts['new']}  修改 changed: {counts['changed']}  "
                          f"未变 unchanged: {counts['unchanged']}  错误 errors: {counts['error']}")
        if errors:
            raise CommandError(f"{errors} 行有错误，未导入任何数据。 / {errors} rows have errors; nothing was imported.")
        if dry_run:
            self.stdout.write("试运行：未写入。 / Dry run: nothing written.")
            return
        try:
            result = apply_import(target, data, path.name, actor=actor, expected_fingerprint=fingerprint(data),
                                  actor_name="" if actor else "importlist", holder_from=day, mapping=mapping,
                                  create_departments=create_departments)
        except DomainError as exc:
            raise CommandError(f"{exc.message_zh} / {exc.message_en}") from exc
        self.stdout.write(self.style.SUCCESS(
            f"已导入：新增 {result.created}，修改 {result.changed}，未变 {result.unchanged}。 / "
            f"Imported: {result.created} new, {result.changed} changed, {result.unchanged} unchanged."))
