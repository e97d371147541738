"""The national standard's codes for a 权责清单, as the provincial government-service platforms use them.

- 事项类型 (item type): a two-digit code per category (01 行政许可 … 10 其他行政权力, 20 公共服务, 99 其他).
- 行使层级 / 实施层级 (level): 1 国家, 2 省, 3 市, 4 县, 5 乡镇（街道）, 6 村（社区）. The product's tiers start
  at the province (Tier 1 = level 2), so a level is ``tier + 1``; level 1 (the State Council's departments)
  has no tier here.
- 基本编码 (basic code): 12 characters — region (2, or ``00``), type (2), department (3), main item (3),
  sub-item (2).
- 实施编码 (implementing code): the exercising body's 18-character 统一社会信用代码 + the level digit + the
  basic code: 31 characters; some provinces add up to 5 more (31–36 accepted).
- 统一社会信用代码 (GB 32100-2015): 18 characters of the code's alphabet, the last a check character.
"""
from __future__ import annotations

import re

from .models.choices import Category, Tier

TYPE_CODES: dict[str, str] = {
    "01": Category.LICENSING,
    "02": Category.PENALTY,
    "03": Category.COERCION,
    "04": Category.LEVY,
    "05": Category.BENEFIT,
    "06": Category.INSPECTION,
    "07": Category.CONFIRMATION,
    "08": Category.REWARD,
    "09": Category.ADJUDICATION,
    "10": Category.OTHER,
    "20": Category.PUBLIC_SERVICE,
    "99": Category.OTHER,
}
"""事项类型 code → the product's category (``99 其他`` is counted as 其他行政权力)."""

CODE_BY_CATEGORY: dict[str, str] = {
    Category.LICENSING: "01", Category.PENALTY: "02", Category.COERCION: "03", Category.LEVY: "04",
    Category.BENEFIT: "05", Category.INSPECTION: "06", Category.CONFIRMATION: "07", Category.REWARD: "08",
    Category.ADJUDICATION: "09", Category.OTHER: "10", Category.PUBLIC_SERVICE: "20",
}

LEVEL_NAMES: dict[int, str] = {1: "国家", 2: "省", 3: "市", 4: "县", 5: "乡镇（街道）", 6: "村（社区）"}
LEVELS = frozenset(LEVEL_NAMES)

BASIC_CODE = re.compile(r"^[0-9A-Z]{12}$")
IMPLEMENTING_CODE = re.compile(r"^[0-9A-Z]{31,36}$")

_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NP-RTUW-Y]{18}$")


def level_of_tier(tier: int) -> int:
    return int(tier) + 1


def tier_of_level(level: int) -> int | None:
    """The product's tier of a national level code; None for level 1 (国家)."""
    tier = int(level) - 1
    return tier if tier in Tier.values else None


def lowest_tier_of_levels(levels) -> int | None:
    """The lowest tier among ``levels`` (the largest level number that is a tier here)."""
    tiers = [t for t in (tier_of_level(level) for level in levels) if t is not None]
    return max(tiers) if tiers else None


def parse_levels(text: str) -> list[int]:
    """``"2,3,4"`` / ``"2、3、4"`` / ``"3 4"`` / ``"省,市,县"`` → ``[2, 3, 4]``. Raises ValueError naming a bad part."""
    by_name = {name: code for code, name in LEVEL_NAMES.items()}
    by_name.update({"乡镇": 5, "街道": 5, "乡": 5, "镇": 5, "村": 6, "社区": 6, "县级": 4, "区": 4, "市级": 3,
                    "省级": 2, "国家级": 1, "中央": 1})
    parts = [p for p in re.split(r"[,，、;；/\s]+", str(text or "").strip()) if p]
    levels = []
    for part in parts:
        if part.isdigit() and int(part) in LEVELS:
            level = int(part)
        elif part.endswith(".0") and part[:-2].isdigit() and int(part[:-2]) in LEVELS:
            level = int(part[:-2])
        elif part in by_name:
            level = by_name[part]
        else:
            raise ValueError(part)
        if level not in levels:
            levels.append(level)
    return sorted(levels)


def credit_code_check_digit(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters of a 统一社会信用代码."""
    total = sum(_CREDIT_ALPHABET.index(ch) * w for ch, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    code = (code or "").upper()
    if not CREDIT_CODE.match(code):
        return False
    return credit_code_check_digit(code[:17]) == code[17]


def implementing_code(credit_code: str, tier: int, basic_code: str) -> str:
    """The 31-character 实施编码, or "" when either part is missing."""
    if not credit_code or not basic_code:
        return ""
    return f"{credit_code}{level_of_tier(tier)}{basic_code}"
