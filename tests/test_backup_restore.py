"""Backups restore to the same lists and the same history: the product's own backup (``manage.py backup`` /
``restore``) on both databases, and ``pg_dump`` / ``pg_restore`` on PostgreSQL."""
import datetime
import gzip
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from powerlists import audit_chain, backup, services
from powerlists.models import AuditEvent, Government, PowerItem, Role
from powerlists.services import Party, workflow

from .helpers import db_state, lists_of

D = datetime.date
DAYS = [D(2016, 6, 1), D(2017, 2, 1), D(2017, 6, 1), D(2018, 3, 1), D(2019, 1, 1)]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def history(tree, people, make_item):
    """Direct changes, a cascade, a recall, a shared power and a batch through the workflow."""
    items = [make_item(name=f"备份事项{n}") for n in range(6)]
    services.devolve(item=items[0], giver=tree.city, receiver=tree.district, effective_on=D(2017, 1, 1))
    services.devolve(item=items[0], giver=tree.district, receiver=tree.street, effective_on=D(2017, 6, 1))
    services.recall(item=items[0], giver=tree.city, receiver=tree.district, effective_on=D(2018, 1, 1))
    services.share(item=items[1], sharer=tree.city, effective_on=D(2017, 2, 1), parties=[
        Party(government=tree.district, role=Role.LEAD, fiscal_share=Decimal(70)),
        Party(government=tree.district2, role=Role.SUPPORT, fiscal_share=Decimal(30))])
    batch = workflow.create_batch(actor=people.city_editor, issuer=tree.city, title="第一批下放事项",
                                  number="哈政发〔2017〕1号", effective_on=D(2017, 3, 1), issued_on=D(2017, 2, 20))
    for item in items[2:5]:
        t = workflow.propose(actor=people.city_editor, kind="devolve", item=item, giver=tree.city,
                             receiver=tree.district2, effective_on=D(2017, 3, 1), batch=batch)
        workflow.submit(t, actor=people.city_editor)
    workflow.approve_batch(batch, actor=people.city_reviewer)
    from powerlists.models import Transfer
    for t in Transfer.objects.filter(batch=batch):
        workflow.accept(t, actor=people.district_reviewer if t.receiver == tree.district else _district2_reviewer(
            tree), receiving_department=_department(tree.district2))
    workflow.effect_batch(batch, actor=people.city_reviewer)
    return items


def _district2_reviewer(tree):
    from accounts.models import Membership, User

    user, _ = User.objects.get_or_create(username="district2_reviewer")
    Membership.objects.get_or_create(user=user, government=tree.district2, role="reviewer")
    return user


def _department(government):
    return government.departments.first() or services.create_department(government=government, name="道外区审批局")


def picture() -> dict:
    """Everything a reader sees: every list on every day, every item's history through the API, and every
    row of every table the services write."""
    from rest_framework.test import APIClient

    governments = list(Government.objects.order_by("code"))
    client = APIClient()
    histories = {item.code: client.get(f"/api/v1/items/{item.pk}/history/").json()
                 for item in PowerItem.objects.order_by("code")}
    return {"lists": lists_of(governments, DAYS), "histories": histories, "rows": db_state(),
            "chain": backup.chain_head()}


def test_the_products_backup_restores_the_same_lists_and_history(history, tmp_path):
    before = picture()
    assert audit_chain.verify().ok and before["chain"]["seq"] > 10
    assert any(before["lists"].values())
    path = tmp_path / "powerlists.jsonl.gz"
    call_command("backup", str(path), "--no-progress", stdout=open(os.devnull, "w"))

    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0 and Government.objects.count() == 0

    call_command("restore", str(path), "--no-progress", stdout=open(os.devnull, "w"))
    after = picture()
    assert after["chain"] == before["chain"]
    assert after["lists"] == before["lists"]
    assert after["histories"] == before["histories"]
    assert after["rows"] == before["rows"]
    assert all(h["verified"] for h in after["histories"].values() if isinstance(h, dict) and "verified" in h)

    # The restored database goes on: new ids follow the old ones and the chain continues.
    item = services.create_item(government=Government.objects.get(code="2301"), code="AFTER1", name="恢复后新增",
                                category="licensing", field="投资审批", holder_from=D(2020, 1, 1))
    assert item.pk > max(PowerItem.objects.exclude(pk=item.pk).values_list("pk", flat=True))
    audit_chain.seal_pending()
    assert audit_chain.verify().ok and backup.chain_head()["seq"] > before["chain"]["seq"]


def test_restore_refuses_a_database_that_is_not_empty_and_writes_nothing(history, tmp_path):
    path = tmp_path / "b.jsonl.gz"
    backup.write(path)
    before = db_state()
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(path), "--no-progress")
    assert db_state() == before


def _rewrite(path: Path, target: Path, change, *, reseal: bool) -> None:
    """Change a backup's records; ``reseal``: sign the result again, as someone holding SECRET_KEY could."""
    import hashlib
    import hmac

    with gzip.open(path, "rt", encoding="utf-8") as source:
        lines = [json.loads(line) for line in source]
    seal_line = lines.pop()
    lines = change(lines)
    seal = hmac.new(backup._seal_key(), digestmod=hashlib.sha256)
    with gzip.open(target, "wb") as out:
        for line in lines:
            data = (json.dumps(line, ensure_ascii=False) + "\n").encode()
            seal.update(data)
            out.write(data)
        out.write((json.dumps({"seal": seal.hexdigest()} if reseal else seal_line) + "\n").encode())


def test_a_damaged_backup_restores_nothing(history, tmp_path):
    path = tmp_path / "b.jsonl.gz"
    backup.write(path)
    cut = tmp_path / "cut.jsonl.gz"  # the newest audit events removed, the manifest's counts adjusted
    events = [i for i, line in enumerate(_read(path)) if line.get("model") == "powerlists.auditevent"]

    def drop_last_events(lines):
        manifest = lines[0]
        manifest["counts"]["powerlists.AuditEvent"] -= 2
        return [line for i, line in enumerate(lines) if i not in events[-2:]]

    altered = tmp_path / "altered.jsonl.gz"  # an event's reason rewritten

    def alter(lines):
        lines[events[3]]["fields"]["reason"] = "改写"
        return lines

    renamed = tmp_path / "renamed.jsonl.gz"  # an item renamed: lists are not signed line by line, the file is

    def rename(lines):
        item = next(line for line in lines if line.get("model") == "powerlists.poweritem")
        item["fields"]["name"] = "改过的名称"
        return lines

    truncated = tmp_path / "truncated.jsonl.gz"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    not_a_backup = tmp_path / "x.jsonl.gz"
    not_a_backup.write_bytes(b"PK\x03\x04 not gzip")
    for target, change in ((cut, drop_last_events), (altered, alter), (renamed, rename)):
        _rewrite(path, target, change, reseal=False)
    resealed_cut, resealed_altered = tmp_path / "rc.jsonl.gz", tmp_path / "ra.jsonl.gz"
    _rewrite(path, resealed_cut, drop_last_events, reseal=True)  # as someone holding SECRET_KEY could
    _rewrite(path, resealed_altered, alter, reseal=True)

    call_command("flush", interactive=False, verbosity=0)
    for damaged, message in ((cut, "does not match its seal"), (altered, "does not match its seal"),
                             (renamed, "does not match its seal"), (truncated, "damaged or incomplete"),
                             (not_a_backup, "Not a powerlists backup"),
                             (resealed_cut, "newest events missing"), (resealed_altered, "does not verify")):
        with pytest.raises(CommandError, match=message):
            call_command("restore", str(damaged), "--no-progress")
        assert Government.objects.count() == 0 and AuditEvent.objects.count() == 0, damaged.name


def test_the_backup_is_readable_by_its_owner_only_and_keeps_groups(history, tmp_path):
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.create(name="审核组")
    group.permissions.add(Permission.objects.get(codename="view_poweritem"))
    from accounts.models import User
    User.objects.get(username="city_reviewer").groups.add(group)
    path = tmp_path / "b.jsonl.gz"
    backup.write(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert not list(tmp_path.glob("*.partial"))
    call_command("flush", interactive=False, verbosity=0)
    call_command("restore", str(path), "--no-progress", stdout=open(os.devnull, "w"))
    restored = User.objects.get(username="city_reviewer")
    assert [g.name for g in restored.groups.all()] == ["审核组"]
    assert [p.codename for p in Group.objects.get(name="审核组").permissions.all()] == ["view_poweritem"]


def _read(path: Path) -> list:
    with gzip.open(path, "rt", encoding="utf-8") as source:
        return [json.loads(line) for line in source]


# --- pg_dump / pg_restore ------------------------------------------------------------------------------


def _psql_args(settings_dict) -> list[str]:
    args = ["-h", settings_dict["HOST"] or "127.0.0.1", "-U", settings_dict["USER"] or "postgres"]
    if settings_dict["PORT"]:
        args += ["-p", str(settings_dict["PORT"])]
    return args


def _tables(dbname: str, settings_dict) -> dict:
    import psycopg

    with psycopg.connect(dbname=dbname, host=settings_dict["HOST"] or "127.0.0.1",
                         user=settings_dict["USER"] or "postgres", port=settings_dict["PORT"] or None) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'django_session' "
            "ORDER BY tablename")]
        return {name: conn.execute(f'SELECT * FROM "{name}" ORDER BY 1').fetchall() for name in names}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore are PostgreSQL's tools")
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_pg_dump_and_pg_restore_give_the_same_tables_and_a_chain_that_verifies(history, tmp_path):
    import psycopg

    audit_chain.seal_pending()
    settings_dict = connection.settings_dict
    source = settings_dict["NAME"]
    copy = f"{source}_restored"
    dump = tmp_path / "powerlists.dump"
    env = {**os.environ, "PGPASSWORD": settings_dict["PASSWORD"] or ""}
    subprocess.run(["pg_dump", *_psql_args(settings_dict), "-Fc", "-f", str(dump), source], check=True, env=env)
    server = dict(dbname="postgres", host=settings_dict["HOST"] or "127.0.0.1", user=settings_dict["USER"] or "postgres",
                  port=settings_dict["PORT"] or None)
    with psycopg.connect(**server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{copy}"')
    try:
        subprocess.run(["pg_restore", *_psql_args(settings_dict), "--no-owner", "--exit-on-error", "-d", copy,
                        str(dump)], check=True, env=env)
        assert _tables(copy, settings_dict) == _tables(source, settings_dict)

        # The restored copy checks itself with the product's own commands, and still refuses to rewrite history.
        user = settings_dict["USER"] or "postgres"
        url = f"postgres://{user}@{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/{copy}"
        child = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": settings.SECRET_KEY}
        child.pop("DATABASE_REPLICA_URL", None)
        checked = subprocess.run([sys.executable, "manage.py", "checkintegrity"], cwd=settings.BASE_DIR, env=child,
                                 capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "Every rule holds" in checked.stdout and "the audit chain verifies" in checked.stdout
        with psycopg.connect(**{**server, "dbname": copy}) as conn, pytest.raises(psycopg.errors.IntegrityConstraintViolation):
            conn.execute("UPDATE powerlists_auditevent SET reason = 'x' WHERE seq = 1")
    finally:
        with psycopg.connect(**server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
