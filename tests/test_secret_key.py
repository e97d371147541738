"""Production refuses a missing secret: with DEBUG off and no SECRET_KEY the product does not start (the
key signs the history and the backups; the development key is public in the source), and
``check --deploy`` fails on the development key and on a short one. Each in a process of its own, under
the product's settings (not the test run's, which set a key)."""
import os
import subprocess
import sys

import pytest
from django.conf import settings

DEV_KEY = "dev-insecure-powerlists-key-set-SECRET_KEY-in-production"
GOOD_KEY = "k" * 20 + "-production-only-4f9a2c81b7e6d5"  # as tests/test_ops.py's deployment check


def run(*args, **env):
    base = {k: v for k, v in os.environ.items()
            if k not in ("SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "HTTPS")}
    base.update({"DJANGO_SETTINGS_MODULE": "powerlists.settings", "ALLOWED_HOSTS": "lists.example.gov.cn"})
    base.update({k: v for k, v in env.items() if v is not None})
    return subprocess.run([sys.executable, *args], cwd=settings.BASE_DIR, env=base, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("debug", [None, "0", "false"])
@pytest.mark.parametrize("key", [None, "", "   "])
def test_production_without_a_key_refuses_to_start(debug, key):
    result = run("manage.py", "check", DEBUG=debug, SECRET_KEY=key)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "没有设置 SECRET_KEY" in result.stderr and "SECRET_KEY is not set" in result.stderr
    assert "DEBUG=1" in result.stderr


def test_the_wsgi_application_refuses_to_start_without_a_key():
    result = run("-c", "import powerlists.wsgi")
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr
    assert run("-c", "import powerlists.wsgi", SECRET_KEY=GOOD_KEY).returncode == 0


def test_development_keeps_its_key_only_with_debug_on():
    shown = "from django.conf import settings; print(settings.SECRET_KEY)"
    result = run("manage.py", "shell", "-c", shown, DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == DEV_KEY
    result = run("manage.py", "shell", "-c", shown, DEBUG="0", SECRET_KEY=GOOD_KEY)
    assert result.returncode == 0 and result.stdout.strip().splitlines()[-1] == GOOD_KEY


@pytest.mark.parametrize(("key", "code"), [(DEV_KEY, "powerlists.E001"), ("django-insecure-" + "x1y2z3" * 10, "powerlists.E001"),
                                           ("short-key-12345", "powerlists.E002"), ("ab" * 40, "powerlists.E002")])
def test_check_deploy_fails_on_the_development_key_or_a_weak_one(key, code):
    result = run("manage.py", "check", "--deploy", DEBUG="0", HTTPS="1", SECRET_KEY=key)
    assert result.returncode != 0
    assert code in result.stderr and "SECRET_KEY" in result.stderr


def test_check_deploy_fails_when_development_runs_as_if_deployed():
    """DEBUG=1 with the development key, checked for deployment: refused (and so is DEBUG itself)."""
    result = run("manage.py", "check", "--deploy", DEBUG="1")
    assert result.returncode != 0 and "powerlists.E001" in result.stderr


def test_check_deploy_passes_a_proper_key():
    result = run("manage.py", "check", "--deploy", "--fail-level", "ERROR", DEBUG="0", HTTPS="1", SECRET_KEY=GOOD_KEY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "powerlists.E00" not in result.stdout + result.stderr
