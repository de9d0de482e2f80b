"""Applicants for the bench fill: a banner's residents with names, valid ID numbers and phones.

Person `i` is the same person on every run (a seeded generator per index), so a case's applicant
can be found again by search without keeping the clear values anywhere but `bench_meta`.
Names mix Han and Mongolian names as in 扎赉特旗; ID numbers carry the banner's region code and a
correct GB 11643 check digit.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from daiban.catalog.idnumbers import ID_CHECK, ID_WEIGHTS

REGION = "152223"  # 扎赉特旗
# Common Han surnames, most frequent first (the weights fall off roughly as in a census).
SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡",
            "郭", "何", "高", "林", "于", "郑", "梁", "谢", "宋", "唐", "韩", "曹", "许", "邓", "冯")
GIVEN = ("秀兰", "桂芬", "玉珍", "淑华", "凤英", "金花", "建国", "建华", "志强", "永刚", "海燕", "丽娟",
         "国庆", "春梅", "晓东", "宏伟", "文博", "子涵", "雨轩", "浩然", "明", "伟", "芳", "敏", "静",
         "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "超", "霞", "平", "刚", "桂英")
MONGOLIAN = ("巴特尔", "其其格", "乌云", "额尔敦", "萨仁", "宝音", "孟根", "敖登", "斯琴", "那顺",
             "图雅", "苏日娜", "阿拉坦", "朝鲁", "哈斯", "格日勒", "乌兰", "包金山", "白音", "吉日嘎拉",
             "满都拉", "娜仁", "乌日娜", "达来", "特木尔", "额日很", "其木格", "巴雅尔", "陶克陶", "乌力吉")
MONGOLIAN_SHARE = 0.35  # the banner's Mongolian residents, about a third
BORN_FROM = datetime.date(1936, 1, 1)
BIRTH_SPAN_DAYS = 25_550  # born 1936-2005: seventy years of applicants
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "147", "150", "151",
                   "152", "155", "157", "158", "159", "177", "180", "182", "185", "187", "188", "198")


@dataclass(frozen=True)
class Person:
    """One resident: name, 18-character ID number, mobile phone."""

    name: str
    id_number: str
    phone: str


def check_digit(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def _name(rng: random.Random) -> str:
    if rng.random() < MONGOLIAN_SHARE:
        return rng.choice(MONGOLIAN)
    weights = [1 / (rank + 3) for rank in range(len(SURNAMES))]
    return rng.choices(SURNAMES, weights)[0] + rng.choice(GIVEN)


def person(index: int, seed: int = 11643) -> Person:
    """Resident number `index`: the same name, ID number and phone every time, and an ID number no
    other resident has (the birth day and the sequence digits are a bijection of the index)."""
    rng = random.Random(seed * 1_000_003 + index)
    # 7919 is prime to the span, so index -> (day, sequence) never repeats below span * 1000.
    day, sequence = (index * 7919) % BIRTH_SPAN_DAYS, index // BIRTH_SPAN_DAYS
    born = BORN_FROM + datetime.timedelta(days=day)
    first17 = f"{REGION}{born:%Y%m%d}{sequence % 1000:03d}"
    phone = f"{rng.choice(MOBILE_PREFIXES)}{index % 100_000_000:08d}"
    return Person(_name(rng), first17 + check_digit(first17), phone)
