"""Rules in CEL (Common Expression Language): compile, check against the form, evaluate.

One expression language serves `rule`, `visible_when` and `required_when` everywhere. Rules see
the form's fields by id, `today` (YYYY-MM-DD), and the helpers in HELPERS, which take the
evaluation date from the context so that `age(id_number)` means "age on the day of evaluation".
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import cel

from daiban.catalog import idnumbers


@dataclass(frozen=True)
class Helper:
    """A function rules may call, documented for config authors."""

    name: str
    signature: str
    doc: str
    make: Callable[[datetime.date], Callable]


def _years_between(start: datetime.date, end: datetime.date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def _parse_date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(str(text))


def _checked_id(number) -> str:
    problem = idnumbers.id_number_problem(str(number or ""))
    if problem:
        raise ValueError(problem)
    return str(number).strip().upper()


HELPERS: dict[str, Helper] = {
    h.name: h
    for h in (
        Helper("age", "age(id_number) -> int", "按公民身份号码计算评估当日的周岁年龄",
               lambda today: lambda n: idnumbers.age_on(_checked_id(n), today)),
        Helper("birth_date", "birth_date(id_number) -> string", "公民身份号码中的出生日期 YYYY-MM-DD",
               lambda today: lambda n: idnumbers.birth_date_of(_checked_id(n)).isoformat()),
        Helper("sex", "sex(id_number) -> string", "性别：'male' 或 'female'",
               lambda today: lambda n: idnumbers.sex_of(_checked_id(n))),
        Helper("valid_id", "valid_id(id_number) -> bool", "公民身份号码是否通过校验",
               lambda today: lambda n: idnumbers.id_number_problem(str(n or "")) is None),
        Helper("years_since", "years_since(date) -> int", "某日期（YYYY-MM-DD）至评估当日的整年数",
               lambda today: lambda d: _years_between(_parse_date(d), today)),
        Helper("days_since", "days_since(date) -> int", "某日期（YYYY-MM-DD）至评估当日的天数",
               lambda today: lambda d: (today - _parse_date(d)).days),
    )
}

BUILTIN_VARIABLES = {"today": "评估当日，YYYY-MM-DD"}

# CEL's own functions and macros that rules may use (those the installed evaluator really
# provides: a test evaluates each); operators (`_&&_`, `@in` …) are always fine.
CEL_FUNCTIONS = frozenset({
    "size", "contains", "startsWith", "endsWith", "matches", "exists", "all", "exists_one",
    "map", "filter", "has", "int", "uint", "double", "string", "type", "dyn", "timestamp",
    "duration",
})
# Type names CEL lets rules compare with `type(x) == int`; no field may take these ids.
CEL_TYPE_NAMES = frozenset({"int", "uint", "double", "string", "bool", "bytes", "list", "map",
                            "null_type", "type"})
RESERVED_NAMES = CEL_TYPE_NAMES | set(BUILTIN_VARIABLES) | {"true", "false", "null"}

_COMPREHENSION = re.compile(r"\.\s*(?:exists_one|exists|all|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")


class RuleError(ValueError):
    """A rule that does not parse or that names something unknown."""


@dataclass(frozen=True)
class Rule:
    """A compiled CEL expression and the names it uses."""

    source: str
    variables: frozenset[str]
    functions: frozenset[str]

    def evaluate(self, values: Mapping[str, object], today: datetime.date | None = None):
        """Evaluate with the given field values (absent fields are null) on `today`."""
        return evaluate(self.source, values, today)


def _is_operator(name: str) -> bool:
    return name.startswith(("_", "@", "!_", "-_")) or not name[:1].isalpha()


@lru_cache(maxsize=4096)
def _program(source: str):
    return cel.compile(source)


def compile_rule(source: str) -> Rule:
    """Parse a rule; raise RuleError with the parser's position when it does not parse."""
    try:
        program = _program(source)
    except ValueError as exc:
        detail = str(exc).split("ERROR: <input>:", 1)[-1].split("\n", 1)[0].strip()
        raise RuleError(f"规则无法解析：{detail}") from None
    local = set(_COMPREHENSION.findall(source))
    variables = frozenset(v for v in program.variables() if v not in local)
    functions = frozenset(f for f in program.functions() if not _is_operator(f))
    return Rule(source, variables, functions)


def check_rule(source: str, known_variables) -> list[str]:
    """Return plain-Chinese problems of a rule: parse errors, unknown fields, unknown functions."""
    try:
        rule = compile_rule(source)
    except RuleError as exc:
        return [str(exc)]
    known = set(known_variables) | set(BUILTIN_VARIABLES) | CEL_TYPE_NAMES
    problems = []
    for name in sorted(rule.variables - known):
        problems.append(f"规则 “{source}” 用到了表单中没有的字段 “{name}”")
    for name in sorted(rule.functions - set(HELPERS) - CEL_FUNCTIONS):
        problems.append(f"规则 “{source}” 用到了未知的函数 “{name}”（可用：{', '.join(HELPERS)}）")
    return problems


def evaluate(source: str, values: Mapping[str, object], today: datetime.date | None = None):
    """Evaluate a rule; a fresh context per call because CEL contexts are not thread-safe."""
    day = today or datetime.date.today()
    context = cel.Context()
    for helper in HELPERS.values():
        context.add_function(helper.name, helper.make(day))
    context.add_variable("today", day.isoformat())
    for name in compile_rule(source).variables:
        if name not in RESERVED_NAMES:
            context.add_variable(name, values.get(name))
    return _program(source).execute(context)
