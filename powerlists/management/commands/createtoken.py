"""Create an API token for a user and print it once: only its hash is kept."""
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from knox.models import AuthToken

from powerlists.services.audit import record


class Command(BaseCommand):
    help = "Create a bearer token for USERNAME and print it once (only its hash is stored). / 为用户创建API令牌。"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--days", type=int, default=90,
                            help="days until the token expires (default 90; 0 = never)")

    def handle(self, *args, username, days, **options):
        if days < 0 or days > 3650:
            raise CommandError("--days 须在0至3650之间。 / --days must be between 0 and 3650.")
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"找不到有效用户 {username}。 / No active user {username}.")
        instance, token = AuthToken.objects.create(user=user, expiry=timedelta(days=days) if days else None)
        record("token.create", instance, actor_name="createtoken", object_id=instance.token_key,
               after={"user": user.username, "token_key": instance.token_key,
                      "expiry": instance.expiry.isoformat() if instance.expiry else None})
        self.stderr.write(f"令牌已创建，仅显示这一次。 / Token created; it is shown only this once."
                          f" Expires: {instance.expiry or 'never'}")
        self.stdout.write(token)
