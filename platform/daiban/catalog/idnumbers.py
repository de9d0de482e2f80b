"""Check digits of resident ID numbers (GB 11643-1999) and unified social credit codes (GB 32100-2015)."""

from __future__ import annotations

import datetime
import re

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_CREDIT_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")


class InvalidNumber(ValueError):
    """An ID number or credit code that fails its format or check character."""


def id_number_problem(value: str) -> str | None:
    """Say in plain Chinese what is wrong with a resident ID number, or None when it is valid."""
    number = (value or "").strip().upper()
    if len(number) != 18:
        return f"公民身份号码应为 18 位，现在是 {len(number)} 位"
    if not _ID_SHAPE.match(number):
        return "公民身份号码前 17 位应为数字，最后一位为数字或 X"
    try:
        birth_date_of(number)
    except InvalidNumber as exc:
        return str(exc)
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], ID_WEIGHTS, strict=True))
    expected = ID_CHECK[total % 11]
    if number[17] != expected:
        return f"公民身份号码校验位不对：最后一位应为 {expected}，请核对号码"
    return None


def birth_date_of(number: str) -> datetime.date:
    """Return the birth date encoded in digits 7–14 of a resident ID number."""
    digits = number[6:14]
    try:
        return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise InvalidNumber(f"公民身份号码中的出生日期 {digits} 不是有效日期") from None


def sex_of(number: str) -> str:
    """Return 'male' or 'female' from digit 17 of a resident ID number."""
    return "male" if int(number[16]) % 2 else "female"


def age_on(number: str, day: datetime.date) -> int:
    """Return the age in whole years on `day` of the person with this resident ID number."""
    born = birth_date_of(number)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def credit_code_problem(value: str) -> str | None:
    """Say in plain Chinese what is wrong with a unified social credit code, or None."""
    code = (value or "").strip().upper()
    if len(code) != 18:
        return f"统一社会信用代码应为 18 位，现在是 {len(code)} 位"
    if not _CREDIT_SHAPE.match(code):
        return "统一社会信用代码含有不允许的字符（不使用 I、O、S、V、Z）"
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(code[:17], CREDIT_WEIGHTS, strict=True))
    expected = CREDIT_ALPHABET[(31 - total % 31) % 31]
    if code[17] != expected:
        return f"统一社会信用代码校验位不对：最后一位应为 {expected}"
    return None
