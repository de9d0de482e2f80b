"""The intake engine's form validation: the generated schema, Chinese messages, live rules, groups."""

import datetime
import subprocess
import sys

import pytest

from conftest import CONFIG, ROOT, TODAY
from daiban.catalog import idnumbers
from daiban.catalog.checks import check_matter
from daiban.catalog.compile import compile_matter
from daiban.catalog.loader import load_catalog
from daiban.catalog.schemas import check_schema, fill_defaults
from daiban.intake.schema import Group
from daiban.intake.validation import schema_for, validate_intake

CATALOG = load_catalog(CONFIG, today=TODAY).catalog
BORN_1949 = "11010519491231002X"  # valid example from GB 11643: born 1949-12-31, female
BORN_1980 = "15222319800101003X"
CREDIT_CODE = "91350100M000100Y43"
SHA = "ab" * 32
OPTIONS = [{"value": "a", "label": "甲"}, {"value": "b", "label": "乙"}]


def with_check_digit(first17: str) -> str:
    """A resident ID number completed with its GB 11643 check character."""
    total = sum(int(d) * w for d, w in zip(first17, idnumbers.ID_WEIGHTS, strict=True))
    return first17 + idnumbers.ID_CHECK[total % 11]


def compiled(fields, version=1, **extra):
    """A small matter with these form fields, checked and compiled like a config file."""
    doc = {
        "code": "TEST-0001", "version": version, "name": "测试事项", "domain": "elderly_care",
        "matter_type": "public_service", "levels": ["village"],
        "responsible_unit": "banner-civil-affairs-bureau", "effective_from": "2025-01-01",
        "fields": fields, **extra,
    }
    assert check_schema("matter", doc) == []
    filled = fill_defaults("matter", doc)
    assert check_matter(filled, {"banner-civil-affairs-bureau"}, {"elderly_care"}, set()) == []
    return compile_matter(filled)


EVERY_TYPE = compiled([
    {"id": "name", "label": "姓名", "type": "text", "min_length": 2, "max_length": 4},
    {"id": "account", "label": "银行账号", "type": "text", "pattern": "[0-9]{12,19}",
     "pattern_message": "银行账号应为12至19位数字"},
    {"id": "reason", "label": "申请理由", "type": "textarea", "max_length": 10},
    {"id": "household_size", "label": "家庭人口数", "type": "integer", "min": 1, "max": 20},
    {"id": "income", "label": "家庭月收入（元）", "type": "decimal", "min": 0},
    {"id": "start_date", "label": "就业日期", "type": "date"},
    {"id": "grade", "label": "缴费档次", "type": "choice", "options": OPTIONS},
    {"id": "tags", "label": "困难情形", "type": "multi_choice", "options": OPTIONS},
    {"id": "in_school", "label": "是否在校学生", "type": "boolean"},
    {"id": "id_number", "label": "公民身份号码", "type": "id_number"},
    {"id": "agent_id_number", "label": "办理人公民身份号码", "type": "id_number"},
    {"id": "employer", "label": "用人单位统一社会信用代码", "type": "credit_code"},
    {"id": "phone", "label": "联系电话", "type": "phone"},
    {"id": "address", "label": "户籍地址", "type": "region"},
    {"id": "photos", "label": "房屋照片", "type": "file", "accept": ["image"]},
    {"id": "scans", "label": "申请表扫描件", "type": "file"},
    {"id": "members", "label": "家庭成员", "type": "group", "min_items": 1, "max_items": 2, "fields": [
        {"id": "member_name", "label": "成员姓名", "type": "text", "required": True},
        {"id": "member_id_number", "label": "成员公民身份号码", "type": "id_number", "required": True},
    ]},
])


def errors_of(matter, values, today=TODAY):
    return validate_intake(matter, values, today).errors


# --- the generated schema matches the form ----------------------------------------------------

@pytest.mark.parametrize("code", sorted(CATALOG.matters))
def test_the_generated_schema_has_exactly_the_forms_fields_in_form_order(code):
    matter = CATALOG.matters[code]
    schema = schema_for(matter)()
    assert list(schema.fields) == [f.id for f in matter.fields]
    for f in matter.fields:
        assert schema.fields[f.id].metadata["form_field"] == f  # equal: cached by version, not object
        if f.type == "group":
            assert isinstance(schema.fields[f.id], Group)
            assert list(schema.fields[f.id].entry_schema.fields) == [g.id for g in f.fields]


def test_every_field_the_form_shows_is_a_schema_field_and_hidden_ones_are_not_shown():
    matter = CATALOG.matters["YLFW-0001"]
    fields = set(schema_for(matter)().fields)
    as_agent = validate_intake(matter, {"applicant_type": "agent"}, TODAY)
    as_self = validate_intake(matter, {"applicant_type": "self"}, TODAY)
    assert as_agent.visible == fields - {"agent_relation"}
    assert as_self.visible == fields - {"agent_name", "agent_id_number", "agent_relation"}


def test_the_schema_is_cached_per_matter_version():
    form = [{"id": "name", "label": "姓名", "type": "text"}]
    first = schema_for(compiled(form))
    assert schema_for(compiled(form)) is first  # another Matter object of the same version
    assert schema_for(compiled(form, version=2)) is not first
    renamed = [{"id": "name", "label": "申请人姓名", "type": "text"}]
    assert schema_for(compiled(renamed)) is not first  # same number, other content hash


def test_the_schema_loads_a_form_on_its_own_with_the_same_cleaning():
    schema = schema_for(EVERY_TYPE)()
    loaded = schema.load({"name": " 张三 ", "household_size": "3", "csrf_token": "x",
                          "members": [{"member_name": "李四", "member_id_number": BORN_1980}]})
    assert loaded == {"name": "张三", "household_size": 3,
                      "members": [{"member_name": "李四", "member_id_number": BORN_1980}]}
    assert schema.validate({"household_size": "0"}) == {"household_size": ["“家庭人口数”不能小于 1"]}


# --- every field type, valid ------------------------------------------------------------------

VALID = {
    "name": (" 张三 ", "张三"),
    "account": ("6228480012345678", "6228480012345678"),
    "reason": ("家中\n困难", "家中\n困难"),
    "household_size": ("3", 3),
    "income": ("1200.50", 1200.5),
    "start_date": ("2026-01-31", "2026-01-31"),
    "grade": ("a", "a"),
    "tags": (["b", "a", "b"], ["b", "a"]),
    "in_school": ("是", True),
    "id_number": ("11010519491231002x", BORN_1949),
    "employer": (CREDIT_CODE.lower(), CREDIT_CODE),
    "phone": ("139 1234 5678", "13912345678"),
    "address": ("新林镇河西村", "新林镇河西村"),
    "photos": ([{"name": "正面.JPG", "sha256": SHA.upper(), "size": 1024}],
               [{"name": "正面.JPG", "sha256": SHA, "size": 1024}]),
    "members": ([{"member_name": "李四", "member_id_number": BORN_1980}],
                [{"member_name": "李四", "member_id_number": BORN_1980}]),
}


@pytest.mark.parametrize("field_id", sorted(VALID))
def test_each_field_type_accepts_a_good_value_and_types_it_as_rules_expect(field_id):
    entered, cleaned = VALID[field_id]
    result = validate_intake(EVERY_TYPE, {field_id: entered}, TODAY)
    assert result.errors == {}
    assert result.values == {field_id: cleaned}
    assert type(result.values[field_id]) is type(cleaned)


@pytest.mark.parametrize("entered, cleaned", [
    (True, True), (False, False), ("true", True), ("on", True), ("0", False), ("否", False),
])
def test_yes_and_no_arrive_in_every_usual_spelling(entered, cleaned):
    assert validate_intake(EVERY_TYPE, {"in_school": entered}, TODAY).values == {"in_school": cleaned}


@pytest.mark.parametrize("field_id, entered, cleaned", [
    ("household_size", 4, 4), ("household_size", "１２", 12), ("household_size", 5.0, 5),
    ("income", 800, 800.0), ("income", "１２００", 1200.0), ("phone", "0482-6012345", "0482-6012345"),
    ("phone", "+86 13912345678", "13912345678"), ("start_date", datetime.date(2026, 2, 1), "2026-02-01"),
    ("grade", "b", "b"), ("tags", "a", ["a"]),
])
def test_what_people_type_is_normalised(field_id, entered, cleaned):
    assert validate_intake(EVERY_TYPE, {field_id: entered}, TODAY).values == {field_id: cleaned}


def test_blank_entries_count_as_empty_and_an_empty_file_list_is_fine_when_not_required():
    result = validate_intake(EVERY_TYPE, {"name": "   ", "scans": [], "tags": [], "income": ""}, TODAY)
    assert result.errors == {} and result.values == {}
    assert result.rule_values["scans"] is None and result.rule_values["income"] is None


# --- every field type, invalid ----------------------------------------------------------------

PHONE = "“联系电话”应为 11 位手机号码（如 13912345678）或带区号的固定电话（如 0482-6012345）"
WRONG_X = "公民身份号码校验位不对：最后一位与前 17 位对不上，请对照证件逐位核对"
INVALID = [
    ("name", "张", "“姓名”至少要填 2 个字"),
    ("name", "欧阳娜娜子", "“姓名”最多只能填 4 个字"),
    ("name", 12, "“姓名”应填写文字"),
    ("account", "6228-4800", "“银行账号”：银行账号应为12至19位数字"),
    ("account", "62284800123456789x", "“银行账号”：银行账号应为12至19位数字"),
    ("reason", "一二三四五六七八九十一", "“申请理由”最多只能填 10 个字"),
    ("household_size", "0", "“家庭人口数”不能小于 1"),
    ("household_size", 21, "“家庭人口数”不能大于 20"),
    ("household_size", "2.5", "“家庭人口数”应填写整数"),
    ("household_size", 2.5, "“家庭人口数”应填写整数"),
    ("household_size", True, "“家庭人口数”应填写整数"),
    ("income", "-1", "“家庭月收入（元）”不能小于 0"),
    ("income", "一千", "“家庭月收入（元）”应填写数字"),
    ("income", "nan", "“家庭月收入（元）”应填写数字"),
    ("start_date", "2026-02-30", "“就业日期”应为日期，格式如 2026-01-31"),
    ("start_date", "2026/01/31", "“就业日期”应为日期，格式如 2026-01-31"),
    ("start_date", "20260131", "“就业日期”应为日期，格式如 2026-01-31"),
    ("grade", "c", "“缴费档次”应从选项中选择：甲、乙"),
    ("tags", ["a", "z"], "“困难情形”中的“z”不是可选项；可选：甲、乙"),
    ("tags", {"a": 1}, "“困难情形”应从选项中选择（可多选）：甲、乙"),
    ("in_school", "也许", "“是否在校学生”请选择“是”或“否”"),
    ("id_number", "110105194912310021", WRONG_X),
    ("id_number", "1101051949123100", "公民身份号码应为 18 位，现在是 16 位"),
    ("id_number", "110105194913310027", "公民身份号码中的出生日期 19491331 不是有效日期"),
    ("agent_id_number", "152223198001010031",
     "“办理人公民身份号码”校验位不对：最后一位与前 17 位对不上，请对照证件逐位核对"),
    ("employer", "91350100M000100Y44",
     "“用人单位统一社会信用代码”校验位不对：最后一位与前 17 位对不上，请对照证照逐位核对"),
    ("employer", "91350100M000100YO3", "“用人单位统一社会信用代码”含有不允许的字符（不使用 I、O、S、V、Z）"),
    ("phone", "1391234567", PHONE),
    ("phone", "6012345", PHONE),
    ("phone", "12345", PHONE),
    ("photos", [{"name": "申请.pdf", "sha256": SHA}], "“房屋照片”只接受图片文件，“申请.pdf”不是"),
    ("photos", [{"sha256": SHA}], "“房屋照片”的第 1 个文件缺少文件名，请重新上传"),
    ("scans", [{"name": "a.pdf", "sha256": "123"}],
     "“申请表扫描件”的文件“a.pdf”缺少校验值（SHA-256），请重新上传"),
    ("scans", "a.pdf", "“申请表扫描件”格式不对：应为上传的文件"),
    ("members", {"member_name": "李四"}, "“家庭成员”格式不对：应为若干项"),
]


@pytest.mark.parametrize("field_id, entered, message", INVALID)
def test_each_field_type_explains_a_bad_value_in_chinese_naming_the_field(field_id, entered, message):
    result = validate_intake(EVERY_TYPE, {field_id: entered}, TODAY)
    assert result.errors == {field_id: [message]}
    assert field_id not in result.values and result.rule_values[field_id] is None


def test_a_wrong_check_digit_is_explained_and_a_good_number_yields_birth_date_sex_and_age():
    matter = CATALOG.matters["YLFW-0001"]
    wrong = validate_intake(matter, {"id_number": "110105194912310021"}, TODAY)
    assert wrong.errors["id_number"] == [WRONG_X]
    assert not any(key.startswith("id_number.") for key in wrong.derived)

    man = with_check_digit("15222319460501003")  # odd 17th digit: male
    result = validate_intake(matter, {"id_number": BORN_1949, "agent_id_number": man,
                                      "applicant_type": "agent"}, datetime.date(2029, 12, 31))
    assert result.derived == {
        "id_number.birth_date": "1949-12-31", "id_number.sex": "female", "id_number.age": 80,
        "agent_id_number.birth_date": "1946-05-01", "agent_id_number.sex": "male",
        "agent_id_number.age": 83,
    }
    day_before = validate_intake(matter, {"id_number": BORN_1949}, datetime.date(2029, 12, 30))
    assert day_before.derived["id_number.age"] == 79


# --- required, required_when, visible_when ----------------------------------------------------

def test_an_empty_required_field_is_asked_for_by_its_label():
    matter = CATALOG.matters["YLFW-0001"]
    errors = errors_of(matter, {})
    assert errors["name"] == ["请填写“老年人姓名”"]
    assert errors["receives_elsewhere"] == ["请填写“是否已在其他地区领取高龄津贴”"]
    assert "self_care" not in errors  # optional


def test_required_when_follows_the_answers_both_ways():
    matter = CATALOG.matters["YLFW-0001"]
    as_family = validate_intake(matter, {"applicant_type": "family"}, TODAY)
    assert {"agent_name", "agent_relation"} <= as_family.required
    assert as_family.errors["agent_name"] == ["请填写“办理人姓名”"]
    assert as_family.errors["agent_relation"] == ["请填写“与老年人关系”"]
    as_agent = validate_intake(matter, {"applicant_type": "agent"}, TODAY)
    assert "agent_name" in as_agent.required and "agent_relation" not in as_agent.required
    assert "agent_relation" not in as_agent.errors
    as_self = validate_intake(matter, {"applicant_type": "self"}, TODAY)
    assert not {"agent_name", "agent_id_number"} & (as_self.required | set(as_self.errors))


def test_a_hidden_fields_value_is_dropped_even_when_it_is_wrong():
    matter = CATALOG.matters["YLFW-0001"]
    entered = {"applicant_type": "self", "agent_name": "李四", "agent_id_number": "123",
               "agent_relation": "child"}
    result = validate_intake(matter, entered, TODAY)
    assert {"agent_name", "agent_id_number", "agent_relation"}.isdisjoint(result.values)
    assert {"agent_name", "agent_id_number", "agent_relation"}.isdisjoint(result.errors)
    assert result.rule_values["agent_name"] is None
    shown = validate_intake(matter, {**entered, "applicant_type": "family"}, TODAY)
    assert shown.values["agent_name"] == "李四" and shown.values["agent_relation"] == "child"
    assert shown.errors["agent_id_number"] == ["“办理人公民身份号码”应为 18 位，现在是 3 位"]


def test_a_rule_that_cannot_be_evaluated_yet_shows_the_field_but_does_not_require_it():
    matter = compiled([
        {"id": "years", "label": "缴费年限", "type": "integer"},
        {"id": "arrears", "label": "补缴金额（元）", "type": "decimal",
         "visible_when": "years < 15", "required_when": "years < 15"},
    ])
    unknown = validate_intake(matter, {}, TODAY)  # `null < 15` cannot be evaluated
    assert "arrears" in unknown.visible and "arrears" not in unknown.required
    assert unknown.errors == {}
    short = validate_intake(matter, {"years": "10"}, TODAY)
    assert short.errors == {"arrears": ["请填写“补缴金额（元）”"]}
    enough = validate_intake(matter, {"years": "15", "arrears": "500"}, TODAY)
    assert "arrears" not in enough.visible and enough.values == {"years": 15}


def test_a_field_shown_only_for_a_hidden_field_is_hidden_too():
    matter = compiled([
        {"id": "has_agent", "label": "是否委托", "type": "boolean"},
        {"id": "agent_kind", "label": "委托人类别", "type": "choice", "options": OPTIONS,
         "visible_when": "has_agent == true"},
        {"id": "agent_note", "label": "委托说明", "type": "text", "visible_when": "agent_kind == 'a'",
         "required_when": "agent_kind == 'a'"},
    ])
    result = validate_intake(matter, {"has_agent": False, "agent_kind": "a"}, TODAY)
    assert result.visible == {"has_agent"} and result.errors == {}
    shown = validate_intake(matter, {"has_agent": True, "agent_kind": "a"}, TODAY)
    assert shown.errors == {"agent_note": ["请填写“委托说明”"]}


# --- groups -----------------------------------------------------------------------------------

def member(**values):
    entry = {"member_name": "张三", "member_id_number": BORN_1949, "relation": "self",
             "health": "healthy", "work_status": "farming", "income": "300"}
    entry.update(values)
    return entry


def test_group_entries_are_validated_with_per_entry_error_keys():
    matter = CATALOG.matters["SHJZ-0001"]
    result = validate_intake(matter, {"members": [
        member(),
        member(member_name="", member_id_number="152223198001010031", income="-5"),
    ]}, TODAY)
    assert result.errors["members.1.member_name"] == ["请填写“姓名”"]
    assert result.errors["members.1.member_id_number"] == [WRONG_X]
    assert result.errors["members.1.income"] == ["“近6个月月均收入（元）”不能小于 0"]
    assert not any(key.startswith("members.0") for key in result.errors)
    assert result.values["members"][0]["income"] == 300.0
    assert result.derived["members.0.member_id_number.sex"] == "female"
    assert result.rule_values["members"][1] == {
        "member_name": None, "member_id_number": None, "relation": "self", "health": "healthy",
        "disability_level": None, "work_status": "farming", "income": None,
    }


def test_an_entry_field_is_shown_and_required_by_its_own_entrys_values():
    matter = CATALOG.matters["SHJZ-0001"]
    result = validate_intake(matter, {"members": [
        member(health="disabled"), member(relation="spouse", disability_level="1"),
    ]}, TODAY)
    assert "members.0.disability_level" in result.required
    assert result.errors["members.0.disability_level"] == ["请填写“残疾等级”"]
    assert "members.1.disability_level" not in result.visible
    assert "disability_level" not in result.values["members"][1]  # hidden: dropped


def test_entry_rules_see_top_level_values_and_an_entry_field_shadows_a_top_level_one():
    matter = compiled([
        {"id": "hukou_type", "label": "保障类别", "type": "choice",
         "options": [{"value": "rural", "label": "农村"}, {"value": "urban", "label": "城市"}]},
        {"id": "name", "label": "申请人姓名", "type": "text"},
        {"id": "members", "label": "家庭成员", "type": "group", "fields": [
            {"id": "name", "label": "成员姓名", "type": "text"},
            {"id": "land_area", "label": "承包地面积（亩）", "type": "decimal",
             "visible_when": "hukou_type == 'rural'", "required_when": "name != null"},
        ]},
    ])
    rural = validate_intake(matter, {"hukou_type": "rural", "name": "张三",
                                     "members": [{"name": "李四"}, {}]}, TODAY)
    assert rural.errors == {"members.0.land_area": ["请填写“承包地面积（亩）”"]}  # entry 1 has no name
    urban = validate_intake(matter, {"hukou_type": "urban", "members": [{"name": "李四"}]}, TODAY)
    assert "members.0.land_area" not in urban.visible and urban.errors == {}


def test_group_sizes_are_checked_and_a_required_group_is_asked_for():
    assert errors_of(EVERY_TYPE, {"members": [{"member_name": "甲", "member_id_number": BORN_1949}] * 3}) == {
        "members": ["“家庭成员”最多只能填 2 项"]}
    matter = compiled([{"id": "members", "label": "家庭成员", "type": "group", "required": True,
                        "min_items": 2, "fields": [{"id": "member_name", "label": "姓名", "type": "text"}]}])
    assert errors_of(matter, {"members": []}) == {"members": ["请填写“家庭成员”"]}
    assert errors_of(matter, {"members": [{"member_name": "甲"}]}) == {"members": ["“家庭成员”至少要填 2 项"]}


def test_an_entry_that_is_not_a_mapping_is_reported_at_its_index():
    errors = errors_of(EVERY_TYPE, {"members": [{"member_name": "甲", "member_id_number": BORN_1949}, "乙"]})
    assert errors["members.1"] == ["“家庭成员”中的一项格式不对"]


# --- robustness -------------------------------------------------------------------------------

@pytest.mark.parametrize("values", [
    None, [], "name=张三", {"name": {"first": "张"}}, {"household_size": [1]}, {"income": object()},
    {"in_school": []}, {"in_school": {"x": 1}}, {"members": [None, 3, [], {"member_name": 5}]},
    {"photos": [None, "x", {"name": 3, "sha256": SHA}]}, {"start_date": 20260131},
    {"id_number": 11010519491231002}, {"tags": [None, True]}, {"grade": ["a"]},
    {"household_size": 10**30}, {"income": "1e400"},
])
def test_bad_input_never_raises(values):
    result = validate_intake(EVERY_TYPE, values, TODAY)
    assert isinstance(result.errors, dict)
    assert all(isinstance(m, str) for ms in result.errors.values() for m in ms)


def test_unknown_keys_are_ignored():
    result = validate_intake(EVERY_TYPE, {"csrf_token": "x", "name": "张三"}, TODAY)
    assert result.values == {"name": "张三"} and result.errors == {}


def test_every_shipped_form_validates_an_empty_submission_without_raising():
    for matter in CATALOG.matters.values():
        result = validate_intake(matter, {}, TODAY)
        assert {f.id for f in matter.fields if f.required} <= set(result.errors)


def test_the_intake_engine_imports_neither_flask_nor_peewee():
    code = (
        "import sys; import daiban.intake.validation, daiban.intake.eligibility, daiban.intake.notice; "
        "print(sorted(m for m in ('flask', 'peewee', 'flask_admin') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


# --- ID numbers: region, birth date, check digit ------------------------------------------------

def not_a_county(code: str) -> str:
    """The message for a region code GB/T 2260 never assigned in 内蒙古."""
    return f"公民身份号码前 6 位 {code} 不是内蒙古自治区的县级行政区划代码（已核对历年代码），请核对号码"


@pytest.mark.parametrize("first17, message", [
    ("99222319400101001", "公民身份号码前两位 99 不是省级行政区划代码，请核对号码"),
    ("71222319400101001", "公民身份号码前两位 71 不是省级行政区划代码，请核对号码"),
    ("15002319400101001", not_a_county("150023")),
    ("15852319400101001", not_a_county("158523")),
    # 扎赉特旗 is 152223; 152299 was never assigned.
    ("15229919400101001", not_a_county("152299")),
    ("81012319400101001", "公民身份号码前 6 位应为 810000（香港特别行政区居民居住证），请核对号码"),
    ("15222320300101001", "公民身份号码中的出生日期 2030-01-01 晚于今天，请核对号码"),
])
def test_an_id_number_from_no_real_division_or_born_in_the_future_is_refused_with_the_reason(
        first17, message):
    number = with_check_digit(first17)  # a right check digit: only the stated reason is wrong
    assert idnumbers.id_number_problem(number, today=datetime.date(2026, 6, 1)) == message
    matter = CATALOG.matters["YLFW-0001"]
    assert validate_intake(matter, {"id_number": number}, datetime.date(2026, 6, 1)).errors["id_number"] \
        == [message]


def test_real_division_codes_pass_the_region_check():
    for first17 in ("15222319400101001", "11010519491231002", "65900119800101001",
                    "83000019800101001", "46900119800101001"):
        assert idnumbers.id_number_problem(with_check_digit(first17)) is None, first17


def test_a_county_code_since_abolished_or_younger_than_its_holder_still_passes():
    # 419001 was 义马市 from 1986 to 1989 (now 济源市 since 1997); 150102 新城区 dates from 1983, and
    # someone born in 1940 there was issued a number decades later with that code.
    for first17 in ("41900119870101001", "15010219400101001"):
        assert idnumbers.id_number_problem(with_check_digit(first17)) is None, first17


def test_a_birth_date_after_the_day_of_the_form_is_refused_naming_the_field():
    matter = CATALOG.matters["YLFW-0001"]
    born = with_check_digit("15222320260602001")  # born tomorrow, seen from 2026-06-01
    result = validate_intake(matter, {"agent_id_number": born, "applicant_type": "agent"},
                             datetime.date(2026, 6, 1))
    assert result.errors["agent_id_number"] == [
        "“办理人公民身份号码”中的出生日期 2026-06-02 晚于今天，请核对号码"]
    assert "agent_id_number.age" not in result.derived


def test_a_wrong_check_digit_does_not_say_which_digit_is_right():
    right = with_check_digit("15222319400101001")
    wrong = right[:17] + ("0" if right[17] != "0" else "1")
    message = idnumbers.id_number_problem(wrong)
    assert message == "公民身份号码校验位不对：最后一位与前 17 位对不上，请对照证件逐位核对"
    assert right[17] not in message.replace("17", "")
