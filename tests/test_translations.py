"""The English catalogue (locale/en): key labels translate, Chinese stays the default, nothing is left out."""
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from powerlists.models import Category, PowerItem, Role, Tier

ESCAPES = {"n": "\n", "t": "\t"}
LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"

KEY_LABELS = [
    (lambda: Tier.PROVINCE.label, "省级", "Province"),
    (lambda: Tier.CITY.label, "市级", "City"),
    (lambda: Tier.TOWNSHIP.label, "乡级（街道、镇、乡）", "Township-level (street, town, township)"),
    (lambda: Tier.VILLAGE.label, "村级（社区、村）", "Village-level (community, village)"),
    (lambda: Category.LICENSING.label, "行政许可", "Administrative licensing"),
    (lambda: Category.PENALTY.label, "行政处罚", "Administrative penalty"),
    (lambda: Category.PUBLIC_SERVICE.label, "公共服务", "Public service"),
    (lambda: Role.LEAD.label, "共有事权·主体责任", "Shared power · lead responsibility"),
    (lambda: Role.SUPPORT.label, "共有事权·配合责任", "Shared power · support responsibility"),
    (lambda: PowerItem._meta.verbose_name, "权力事项", "Power item"),
    (lambda: PowerItem._meta.verbose_name_plural, "权力事项", "Power items"),
]


@pytest.mark.parametrize(("label", "chinese", "english"), KEY_LABELS)
def test_key_labels_are_chinese_by_default_and_english_when_asked(label, chinese, english):
    with translation.override("zh-hans"):
        assert str(label()) == chinese
    with translation.override("en"):
        assert str(label()) == english


def test_front_page_in_english(client, db):
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert re.search(r"<title>[^<]+ · Power lists</title>", page)
    assert "权力清单" not in page


def test_front_page_in_chinese_by_default(client, db):
    page = client.get(reverse("home")).content.decode()
    assert "<title>各级政府 · 权力清单</title>" in page


def _po_messages(path: Path) -> list[tuple[str, str, list[str], str, list[str]]]:
    """(msgid, msgstr, flags, msgid_plural, plural msgstrs) of each entry of a .po file: enough of the format
    for Django's catalogue. For a plural entry msgstr is msgstr[0] and the last item lists every msgstr[n]."""

    def unquote(text: str) -> str:
        text = text.strip()
        assert text.startswith('"') and text.endswith('"'), text
        return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(1)), text[1:-1])

    entries, current, field = [], None, None

    def flush():
        if current is not None and "msgid" in current:
            msgid = current["msgid"]
            if "msgctxt" in current:  # gettext keys a message with a context as "context\x04msgid"
                msgid = current["msgctxt"] + "\x04" + msgid
            forms = [current[k] for k in sorted(k for k in current if k.startswith("msgstr["))]
            msgstr = current.get("msgstr", forms[0] if forms else "")
            entries.append((msgid, msgstr, current["flags"], current.get("msgid_plural", ""), forms))

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            if current is not None and "msgid" in current:
                flush()
                current = None
            current = current or {"flags": []}
            current["flags"] += [flag.strip() for flag in line[2:].split(",")]
        elif line.startswith("#"):
            continue
        elif line.startswith(("msgid ", "msgstr ", "msgctxt ", "msgid_plural ", "msgstr[")):
            keyword, rest = line.split(" ", 1)
            if keyword in ("msgid", "msgctxt") and current is not None and "msgid" in current:
                flush()
                current = None
            current = current or {"flags": []}
            field = keyword
            current[field] = current.get(field, "") + unquote(rest)
        elif line.startswith('"'):
            current[field] += unquote(line)
    flush()
    return entries


def test_every_message_is_translated_and_compiled():
    entries = _po_messages(LC_MESSAGES / "django.po")
    messages = [entry for entry in entries if entry[0]]
    assert len(messages) > 100
    assert not [msgid for msgid, _, flags, _, _ in entries if "fuzzy" in flags], "fuzzy entries are not compiled"
    untranslated = [msgid for msgid, msgstr, _, plural, forms in messages
                    if not msgstr.strip() or (plural and (len(forms) < 2 or not all(f.strip() for f in forms)))]
    assert not untranslated, "untranslated in the .po"

    with open(LC_MESSAGES / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    def lookup(key: str, plural: str, n: int) -> str:
        context, msgid = key.split("\x04", 1) if "\x04" in key else (None, key)
        if plural:
            return (compiled.npgettext(context, msgid, plural, n) if context
                    else compiled.ngettext(msgid, plural, n))
        return compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)

    stale = []
    for msgid, msgstr, _, plural, forms in messages:
        if plural:
            if [lookup(msgid, plural, 1), lookup(msgid, plural, 2)] != forms[:2]:
                stale.append(msgid)
        elif lookup(msgid, "", 1) != msgstr:
            stale.append(msgid)
    assert not stale, "the .mo is out of date with the .po: run compilemessages"


def test_placeholders_kept():
    for msgid, msgstr, flags, _plural, forms in _po_messages(LC_MESSAGES / "django.po"):
        if "python-format" in flags:
            for translated in forms or [msgstr]:
                assert sorted(set(_placeholders(msgid))) == sorted(set(_placeholders(translated))), msgid
        if "python-brace-format" in flags:
            assert sorted(re.findall(r"\{[a-z_]+\}", msgid)) == sorted(re.findall(r"\{[a-z_]+\}", msgstr)), msgid


def _placeholders(text: str) -> list[str]:
    return re.findall(r"%\([a-z_]+\)[sd]", text)
