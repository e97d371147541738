"""``python manage.py backup FILE``: the product's own backup of every list, its history and the people
(powerlists/backup.py); restore it with ``python manage.py restore FILE`` into an empty database."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from powerlists import backup


class Command(BaseCommand):
    help = "Write a backup of the lists, their history and the people (备份)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="where to write it, e.g. powerlists-2026-11-30.jsonl.gz")
        parser.add_argument("--force", action="store_true", help="replace the file if it exists")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if path.exists() and not options["force"]:
            raise CommandError(f"文件已存在：{path}（用 --force 覆盖）。 / {path} exists (use --force to replace it).")
        if not path.parent.is_dir():
            raise CommandError(f"目录不存在：{path.parent}。 / No such directory: {path.parent}.")
        bar = None if options["no_progress"] else tqdm(unit="条/records", disable=None)

        def progress(label, n):
            if bar is not None:
                bar.set_description(label)
                bar.update(n)

        manifest = backup.write(path, progress)
        if bar is not None:
            bar.close()
        total = sum(manifest["counts"].values())
        head = manifest["chain_head"]
        self.stdout.write(f"已备份 {total} 条记录到 {path}；审计链末端 seq={head['seq']} hash={head['hash'][:16]}…\n"
                          f"Backed up {total} records to {path}; audit chain head seq={head['seq']} "
                          f"hash={head['hash']}. Keep SECRET_KEY with it (separately): the history is signed with it.")
