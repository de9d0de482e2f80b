"""CEL rules and the identity-number helpers they rely on."""

import datetime

import pytest

from daiban.catalog import idnumbers
from daiban.catalog.rules import HELPERS, check_rule, compile_rule, evaluate

BORN_1949 = "11010519491231002X"  # valid example from GB 11643, born 1949-12-31, female
BORN_1980 = "15222319800101003X"


def test_valid_id_numbers_pass_and_a_wrong_check_digit_is_explained_without_the_right_one():
    assert idnumbers.id_number_problem(BORN_1949) is None
    assert idnumbers.id_number_problem(BORN_1980) is None
    message = idnumbers.id_number_problem("110105194912310021")  # the right last character is X
    assert "校验位不对" in message and "X" not in message
    assert "Y43" not in idnumbers.credit_code_problem("91350100M000100Y44")
    assert "3" not in idnumbers.credit_code_problem("91350100M000100Y44")


@pytest.mark.parametrize("value, words", [
    ("1101051949123100", "18 位"),
    ("11010519491231002A", "前 17 位"),
    ("110105194913310027", "出生日期"),
])
def test_malformed_id_numbers(value, words):
    assert words in idnumbers.id_number_problem(value)


def test_birth_date_sex_and_age_are_derived():
    assert idnumbers.birth_date_of(BORN_1949) == datetime.date(1949, 12, 31)
    assert idnumbers.sex_of(BORN_1949) == "female"
    assert idnumbers.age_on(BORN_1949, datetime.date(2029, 12, 30)) == 79
    assert idnumbers.age_on(BORN_1949, datetime.date(2029, 12, 31)) == 80


def test_credit_code_check_character():
    assert idnumbers.credit_code_problem("91350100M000100Y43") is None
    assert "校验位" in idnumbers.credit_code_problem("91350100M000100Y44")
    assert "不使用" in idnumbers.credit_code_problem("91350100M000100YO3")


def test_age_rule_on_a_given_date():
    rule = "age(id_number) >= 80"
    assert evaluate(rule, {"id_number": BORN_1949}, datetime.date(2029, 12, 31)) is True
    assert evaluate(rule, {"id_number": BORN_1949}, datetime.date(2029, 12, 30)) is False


def test_helpers_and_today():
    values = {"id_number": BORN_1980, "since": "2020-06-01"}
    day = datetime.date(2026, 6, 1)
    assert evaluate("sex(id_number) == 'male'", values, day) is True
    assert evaluate("birth_date(id_number) == '1980-01-01'", values, day) is True
    assert evaluate("years_since(since) == 6 && days_since(since) > 2000", values, day) is True
    assert evaluate("today == '2026-06-01'", values, day) is True


def test_absent_fields_are_null_not_errors():
    assert evaluate("in_school == null || in_school == false", {}, datetime.date(2026, 1, 1))


def test_an_invalid_id_in_a_rule_fails_loudly():
    with pytest.raises(RuntimeError, match="校验位"):
        evaluate("age(id_number) > 1", {"id_number": "110105194912310021"})


def test_rule_references_are_listed_without_comprehension_variables():
    rule = compile_rule("members.exists(m, m.income > 1000.0) && size(members) > 1")
    assert rule.variables == {"members"}
    assert rule.functions == {"size"}


def test_check_rule_reports_unknown_names():
    assert check_rule("age(id_number) >= 60", {"id_number"}) == []
    (problem,) = check_rule("age(idnumber) >= 60", {"id_number"})
    assert "idnumber" in problem
    (problem,) = check_rule("shoe_size(id_number) > 1", {"id_number"})
    assert "未知的函数 “shoe_size”" in problem


def test_every_helper_is_documented():
    for helper in HELPERS.values():
        assert helper.signature.startswith(helper.name + "(") and helper.doc


def test_every_allowed_cel_function_really_evaluates():
    from daiban.catalog.rules import CEL_FUNCTIONS

    samples = {
        "size": "size('ab') == 2", "contains": "'ab'.contains('a')",
        "startsWith": "'ab'.startsWith('a')", "endsWith": "'ab'.endsWith('b')",
        "matches": "'ab'.matches('^a')", "exists": "[1].exists(x, x == 1)",
        "all": "[1].all(x, x == 1)", "exists_one": "[1].exists_one(x, x == 1)",
        "map": "[1].map(x, x * 2) == [2]", "filter": "[1, 2].filter(x, x > 1) == [2]",
        "has": "has({'a': 1}.a)", "int": "int('3') == 3", "uint": "uint(3) == 3u",
        "double": "double(3) == 3.0", "string": "string(3) == '3'", "type": "type(1) == int",
        "dyn": "dyn(1) == 1", "timestamp": "timestamp('2020-01-01T00:00:00Z') != null",
        "duration": "duration('1h') > duration('1m')",
    }
    assert set(samples) == CEL_FUNCTIONS
    for name, rule in samples.items():
        assert check_rule(rule, set()) == [], name
        assert evaluate(rule, {}) is True, name
