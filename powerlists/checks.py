"""System checks of the product's own (``python manage.py check --deploy``).

``powerlists.E001``: the key is the development one. ``powerlists.E002``: the key is too short or too
plain to sign the history. SECRET_KEY signs every audit event, every checkpoint of the chain and every
backup: a key anyone can read in this repository, or guess, lets them re-sign a rewritten history.
"""
from django.conf import settings
from django.core.checks import Error, Tags, register

MIN_LENGTH = 50
MIN_UNIQUE_CHARACTERS = 5


@register(Tags.security, deploy=True)
def check_secret_key(app_configs=None, **kwargs):
    key = settings.SECRET_KEY or ""
    if key == getattr(settings, "DEVELOPMENT_SECRET_KEY", None) or key.startswith(("dev-insecure-", "django-insecure-")):
        return [Error(
            "SECRET_KEY 是开发密钥（公开于源代码中），不能用于生产。 / SECRET_KEY is the development key "
            "(public in the source code): not for production.",
            hint="在环境变量 SECRET_KEY 中设置至少 50 个随机字符（见 README「Deploying」）。 / Set SECRET_KEY in "
                 "the environment to at least 50 random characters (see README, Deploying): "
                 "python3 -c \"import secrets; print(secrets.token_urlsafe(50))\"",
            id="powerlists.E001")]
    if len(key) < MIN_LENGTH or len(set(key)) < MIN_UNIQUE_CHARACTERS:
        return [Error(
            f"SECRET_KEY 太短或太简单（{len(key)} 个字符，{len(set(key))} 种），不足以为审计历史和备份签名。 / "
            f"SECRET_KEY is too short or too plain ({len(key)} characters, {len(set(key))} distinct) to sign the "
            f"audit history and the backups.",
            hint=f"至少 {MIN_LENGTH} 个字符、{MIN_UNIQUE_CHARACTERS} 种以上。 / At least {MIN_LENGTH} characters, "
                 f"{MIN_UNIQUE_CHARACTERS} or more distinct: "
                 "python3 -c \"import secrets; print(secrets.token_urlsafe(50))\"",
            id="powerlists.E002")]
    return []
