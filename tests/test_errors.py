"""Domain errors: a stable code, a Chinese and an English message, a status for the interfaces."""
import pytest
from django.utils import translation

from powerlists import services
from powerlists.models import Tier
from powerlists.services import Conflict, DomainError, InvalidInput, RuleViolation, TransferError


def test_message_defaults_to_chinese_and_english_on_request():
    error = RuleViolation("some_rule", "中文说明", "English text", extra=1)
    assert error.code == "some_rule"
    assert error.message() == "中文说明"
    assert error.message("zh-hans") == "中文说明"
    assert error.message("en") == "English text"
    assert error.message("en-us") == "English text"
    assert error.details == {"extra": 1}
    assert error.as_dict("en") == {"code": "some_rule", "message": "English text", "details": {"extra": 1}}
    assert error.as_dict()["message"] == "中文说明"


def test_message_follows_active_language():
    error = InvalidInput("x", "中文", "English")
    with translation.override("en"):
        assert error.message() == "English"
    with translation.override("zh-hans"):
        assert error.message() == "中文"


def test_details_may_be_called_code():
    """A detail named ``code`` (the code that was refused) must not clash with the error's own code."""
    error = Conflict("code_taken", "代码已被使用。", "Code taken.", code="2301")
    assert error.code == "code_taken"
    assert error.details == {"code": "2301"}


@pytest.mark.parametrize("cls, status", [
    (DomainError, 400), (InvalidInput, 400), (RuleViolation, 400), (TransferError, 400), (Conflict, 409),
])
def test_status(cls, status):
    assert cls("c", "中", "en").status == status


def test_hierarchy():
    assert issubclass(TransferError, RuleViolation)
    assert all(issubclass(c, DomainError) for c in (InvalidInput, RuleViolation, TransferError, Conflict))


def test_service_error_carries_both_messages(tree):
    with pytest.raises(Conflict) as info:
        services.create_government(code="2301", name="重复", tier=Tier.CITY, parent=tree.province)
    error = info.value
    assert error.code == "code_taken" and error.status == 409
    assert error.message() == "该政府代码已被使用。"
    assert error.message("en") == "That government code is already used."
    assert error.details["code"] == "2301"
    assert "code_taken" in str(error)
