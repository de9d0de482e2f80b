"""Resident ID numbers (GB 11643-1999: region, birth date, check digit) and unified social credit
codes (GB 32100-2015: check character).

A wrong check character is reported without saying what it should be: a message that names the
right one lets anyone "repair" a mistyped or made-up number without looking at the card.

The region code (digits 1–6) is the division where the number was first issued (GB/T 2260). It
stays on the card after the division is renamed or merged, so it is checked against every code
GB/T 2260 has ever assigned (python-stdnum's table with its history), not today's list. Nor is it
matched with the birth year: elderly people were first issued numbers decades after birth, by
counties that may be younger than they are.
"""

from __future__ import annotations

import datetime
import re

from stdnum import numdb

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_CREDIT_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")


# GB/T 2260 province-level divisions that issue resident ID numbers. 71 (台湾) issues none; the
# residence permits of Hong Kong, Macao and Taiwan residents (港澳台居民居住证, GB 11643 numbers)
# use 810000, 820000 and 830000.
PROVINCES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
    "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省",
    "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区", "46": "海南省",
    "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
    "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
    "81": "香港特别行政区居民居住证", "82": "澳门特别行政区居民居住证", "83": "台湾地区居民居住证",
}
PERMITS = ("81", "82", "83")


class InvalidNumber(ValueError):
    """An ID number or credit code that fails its format or check character."""


def id_number_problem(value: str, today: datetime.date | None = None) -> str | None:
    """Say in plain Chinese what is wrong with a resident ID number (on `today`, by default the
    real date: a birth date may not be later), or None when it is valid."""
    number = (value or "").strip().upper()
    if len(number) != 18:
        return f"公民身份号码应为 18 位，现在是 {len(number)} 位"
    if not _ID_SHAPE.match(number):
        return "公民身份号码前 17 位应为数字，最后一位为数字或 X"
    problem = region_problem(number[:6])
    if problem:
        return problem
    try:
        born = birth_date_of(number)
    except InvalidNumber as exc:
        return str(exc)
    if born > (today or datetime.date.today()):
        return f"公民身份号码中的出生日期 {born.isoformat()} 晚于今天，请核对号码"
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], ID_WEIGHTS, strict=True))
    if number[17] != ID_CHECK[total % 11]:
        return "公民身份号码校验位不对：最后一位与前 17 位对不上，请对照证件逐位核对"
    return None


def region_problem(code: str) -> str | None:
    """Say what is wrong with the 6-digit region code of an ID number, or None when GB/T 2260 has
    assigned it at some time."""
    province = code[:2]
    if province not in PROVINCES:
        return f"公民身份号码前两位 {province} 不是省级行政区划代码，请核对号码"
    if province in PERMITS:
        if code[2:] != "0000":
            return f"公民身份号码前 6 位应为 {province}0000（{PROVINCES[province]}），请核对号码"
        return None
    if not any("county" in props for _part, props in _divisions().info(code)):
        return (f"公民身份号码前 6 位 {code} 不是{PROVINCES[province]}的县级行政区划代码"
                "（已核对历年代码），请核对号码")
    return None


def _divisions():
    """The GB/T 2260 table, every code with the years it was in use (loaded once by numdb)."""
    return numdb.get("cn/loc")


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
    if code[17] != CREDIT_ALPHABET[(31 - total % 31) % 31]:
        return "统一社会信用代码校验位不对：最后一位与前 17 位对不上，请对照证照逐位核对"
    return None
