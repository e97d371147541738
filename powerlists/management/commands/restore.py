"""``python manage.py restore FILE``: restore a backup made by ``manage.py backup`` into an empty, migrated
database — all or nothing, checked before it commits (powerlists/backup.py)."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from powerlists import backup


class Command(BaseCommand):
    help = "Restore a backup into an empty database (恢复备份)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"找不到备份文件：{path}。 / No such backup file: {path}.")
        try:
            total = sum(backup.read_manifest(path)["counts"].values())
            bar = None if options["no_progress"] else tqdm(total=total, unit="条/records", disable=None)

            def progress(label, n):
                if bar is not None:
                    bar.set_description(label)
                    bar.update(n)

            manifest = backup.restore(path, progress)
        except backup.BackupError as error:
            raise CommandError(f"未恢复任何内容：{error.zh} / Nothing restored: {error.en}") from error
        if bar is not None:
            bar.close()
        head = manifest["chain_head"]
        self.stdout.write(f"已恢复 {total} 条记录；审计链完整，末端 seq={head['seq']}；全部规则成立。\n"
                          f"Restored {total} records; the audit chain verifies up to seq={head['seq']} and every "
                          f"rule holds.")
