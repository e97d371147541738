"""``python manage.py auditcheckpoint``: append a signed checkpoint of the audit chain's head to this
database's checkpoint file under AUDIT_CHECKPOINT_DIR (powerlists/audit_checkpoints.py). Run it from a
timer (README, Deploying); ``verifyaudit`` checks every checkpoint. Nothing is written while the head has
not moved since the last checkpoint. Exit status 1 when the file cannot be written."""
from django.core.management.base import BaseCommand, CommandError

from powerlists import audit_checkpoints


class Command(BaseCommand):
    help = "Write a signed checkpoint of the audit chain's head outside the database (审计链检查点)."

    def handle(self, *args, **options):
        path = audit_checkpoints.path_for()
        try:
            record = audit_checkpoints.write()
        except OSError as error:
            raise CommandError(f"检查点未能写入 {path}：{error}。 / The checkpoint could not be written to {path}: "
                               f"{error}.", returncode=1) from error
        if record is None:
            self.stdout.write(f"链条末端自上一个检查点以来未变，未写入。 / The chain's head has not moved since the "
                              f"last checkpoint: nothing written ({path}).")
            return
        self.stdout.write(f"已写入检查点：seq={record['seq']} hash={record['hash']} → {path} / "
                          f"Checkpoint written: seq={record['seq']} hash={record['hash']} to {path}.")
