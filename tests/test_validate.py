"""`daiban catalog validate`: every problem of every file, each with its file, line and pointer."""

import shutil
import textwrap

import pytest
from click.testing import CliRunner

from conftest import CONFIG, TODAY, matter_doc, write_matter
from daiban.catalog.loader import load_catalog
from daiban.cli import main


def problems_of(config_dir):
    return load_catalog(config_dir, today=TODAY).errors


def only_problem(config_dir):
    found = problems_of(config_dir)
    assert len(found) == 1, [p.format() for p in found]
    return found[0]


def write_text(config_dir, name, text):
    path = config_dir / "matters" / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_shipped_config_is_valid():
    result = load_catalog(CONFIG, today=TODAY)
    assert result.errors == [], [p.format() for p in result.errors]
    matters = result.catalog.matters.values()
    assert len(result.catalog.matters) >= 24
    assert len({m.domain for m in matters}) == 10


def test_a_valid_folder_passes(config_dir):
    write_matter(config_dir)
    result = load_catalog(config_dir, today=TODAY)
    assert result.ok
    assert list(result.catalog.matters) == ["TEST-0001"]


def test_wrong_type_points_at_the_value(config_dir):
    write_text(config_dir, "a.yaml", """\
        code: TEST-0001
        version: "1"
        name: 测试
        domain: elderly_care
        matter_type: public_service
        levels: [village]
        responsible_unit: banner-civil-affairs-bureau
        effective_from: "2025-01-01"
        """)
    problem = only_problem(config_dir)
    assert (problem.line, problem.pointer) == (2, "/version")
    assert "整数" in problem.message
    assert problem.path.endswith("matters/a.yaml")


def test_a_list_where_a_mapping_belongs(config_dir):
    write_text(config_dir, "a.yaml", "- code: TEST-0001\n- name: 测试\n")
    problem = only_problem(config_dir)
    assert problem.line == 1
    assert "映射" in problem.message and "列表" in problem.message


def test_missing_required_keys_are_each_reported(config_dir):
    write_text(config_dir, "a.yaml", "code: TEST-0001\nversion: 1\n")
    messages = [p.message for p in problems_of(config_dir)]
    for key in ("name", "domain", "matter_type", "levels", "responsible_unit", "effective_from"):
        assert f"缺少必填项 “{key}”" in messages


def test_unknown_key_with_a_suggestion(config_dir):
    write_matter(config_dir, promissed_limit={"amount": 3, "unit": "working_days"})
    problem = only_problem(config_dir)
    assert problem.pointer == "/promissed_limit"
    assert "是不是 “promised_limit”" in problem.message


def test_unknown_field_type_and_a_choice_without_options(config_dir):
    doc = matter_doc()
    doc["fields"].append({"id": "kind", "label": "类别", "type": "choise"})
    doc["fields"].append({"id": "sex", "label": "性别", "type": "choice"})
    path = write_matter(config_dir, doc)
    found = {p.pointer: p for p in problems_of(config_dir)}
    assert "是不是 “choice”" in found["/fields/2/type"].message
    assert "缺少必填项 “options”" in found["/fields/3"].message
    lines = path.read_text(encoding="utf-8").splitlines()
    assert "choise" in lines[found["/fields/2/type"].line - 1]


def test_invalid_date(config_dir):
    write_matter(config_dir, effective_from="2026-02-30")
    assert "不是有效的日期" in only_problem(config_dir).message


def test_rule_with_unknown_field_and_unknown_function(config_dir):
    doc = matter_doc(conditions=[
        {"id": "age", "text": "年满80周岁", "rule": "age(id_numbr) >= 80"},
        {"id": "hukou", "text": "本旗户籍", "rule": "is_local(hukou)"},
    ])
    write_matter(config_dir, doc)
    found = {(p.pointer, p.message) for p in problems_of(config_dir)}
    assert any(ptr == "/conditions/0/rule" and "“id_numbr”" in msg for ptr, msg in found)
    assert any(ptr == "/conditions/1/rule" and "未知的函数 “is_local”" in msg for ptr, msg in found)


def test_rule_that_does_not_parse(config_dir):
    write_matter(config_dir, exclusions=[{"id": "x", "text": "在校学生", "rule": "in_school &&"}])
    problem = only_problem(config_dir)
    assert problem.pointer == "/exclusions/0/rule"
    assert "规则无法解析" in problem.message


def test_group_rules_see_the_group_fields(config_dir):
    doc = matter_doc()
    doc["fields"].append({
        "id": "members", "label": "家庭成员", "type": "group",
        "fields": [
            {"id": "relation", "label": "关系", "type": "text"},
            {"id": "income", "label": "收入", "type": "decimal", "visible_when": "relation != ''"},
        ],
    })
    doc["conditions"].append(
        {"id": "spouse", "text": "有配偶", "rule": "members.exists(m, m.relation == 'spouse')"}
    )
    write_matter(config_dir, doc)
    assert problems_of(config_dir) == []


def test_a_group_names_its_entries_with_item_label(config_dir):
    doc = matter_doc()
    doc["fields"].append({"id": "members", "label": "家庭成员", "type": "group",
                          "item_label": "第 {n} 位家庭成员",
                          "fields": [{"id": "relation", "label": "关系", "type": "text"}]})
    doc["fields"].append({"id": "houses", "label": "房产", "type": "group",
                          "fields": [{"id": "place", "label": "坐落", "type": "text"}]})
    write_matter(config_dir, doc)
    result = load_catalog(config_dir, today=TODAY)
    assert result.errors == []
    matter = result.catalog.matters["TEST-0001"]
    assert matter.field("members").item_name(1) == "第 2 位家庭成员"
    assert matter.field("houses").item_name(0) == "房产 第 1 项"  # the default


def test_an_item_label_without_its_number_or_outside_a_group_is_refused(config_dir):
    doc = matter_doc()
    doc["fields"].append({"id": "members", "label": "家庭成员", "type": "group", "item_label": "家庭成员",
                          "fields": [{"id": "relation", "label": "关系", "type": "text"}]})
    write_matter(config_dir, doc)
    problem = only_problem(config_dir)
    assert problem.pointer == "/fields/2/item_label" and "须含“{n}”" in problem.message
    doc["fields"][2]["item_label"] = "第 {n} 位"
    doc["fields"][0]["item_label"] = "第 {n} 位"
    write_matter(config_dir, doc)
    problem = only_problem(config_dir)
    assert problem.pointer == "/fields/0" and "item_label" in problem.message


def test_every_shipped_group_names_its_entries():
    catalog = load_catalog(CONFIG, today=TODAY).catalog
    groups = [(m.code, f) for m in catalog.matters.values() for f in m.fields if f.type == "group"]
    assert len(groups) >= 5
    for code, group in groups:
        assert group.item_label and "{n}" in group.item_label, code


def test_promised_limit_longer_than_statutory(config_dir):
    write_matter(config_dir, promised_limit={"amount": 30, "unit": "working_days"})
    problem = only_problem(config_dir)
    assert problem.pointer == "/promised_limit/amount"
    assert "不能长于法定时限" in problem.message


def test_on_the_spot_takes_no_amount(config_dir):
    write_matter(config_dir, promised_limit={"unit": "on_the_spot", "amount": 1})
    assert "“amount”" in only_problem(config_dir).message


def test_unknown_department_domain_and_step_actor(config_dir):
    write_matter(
        config_dir, responsible_unit="banner-nowhere", domain="space_travel",
        guide={"steps": [{"name": "受理", "by": "somebody"}]},
    )
    found = {p.pointer: p.message for p in problems_of(config_dir)}
    assert "banner-nowhere" in found["/responsible_unit"]
    assert "space_travel" in found["/domain"]
    assert "somebody" in found["/guide/steps/0/by"]


def test_duplicate_codes_across_files(config_dir):
    write_matter(config_dir, filename="one.yaml")
    write_matter(config_dir, filename="two.yaml")
    problem = only_problem(config_dir)
    assert problem.path.endswith("two.yaml") and problem.pointer == "/code"
    assert "one.yaml" in problem.message


def test_duplicate_ids_inside_a_matter(config_dir):
    doc = matter_doc()
    doc["fields"].append({"id": "name", "label": "又一个姓名", "type": "text"})
    doc["materials"].append({"id": "id_card", "name": "身份证复印件", "copies": 1})
    write_matter(config_dir, doc)
    pointers = {p.pointer for p in problems_of(config_dir)}
    assert {"/fields/2/id", "/materials/1/id"} <= pointers


def test_materials_by_applicant_type_need_the_choice_field(config_dir):
    doc = matter_doc(materials=[
        {"id": "guardian_proof", "name": "监护关系证明", "applicant_types": ["guardian"]},
    ])
    write_matter(config_dir, doc)
    assert "applicant_type" in only_problem(config_dir).message
    doc["fields"].append({
        "id": "applicant_type", "label": "申请人", "type": "choice",
        "options": [{"value": "self", "label": "本人"}, {"value": "agent", "label": "代理人"}],
    })
    write_matter(config_dir, doc)
    problem = only_problem(config_dir)
    assert problem.pointer == "/materials/0/applicant_types/0"


def test_contradictory_material(config_dir):
    write_matter(config_dir, materials=[
        {"id": "record", "name": "参保记录", "verified_by_department": True, "copies": 1},
    ])
    assert "无需提交" in only_problem(config_dir).message


def test_every_problem_is_reported_at_once(config_dir):
    write_text(config_dir, "broken.yaml", "code: [\n")
    write_text(config_dir, "empty.yaml", "")
    write_matter(config_dir, filename="bad-rule.yaml", conditions=[{"id": "a", "text": "t", "rule": "x > 1"}])
    write_matter(config_dir, doc=matter_doc(code="TEST-0002", levels=["county"]))
    found = problems_of(config_dir)
    assert {p.path.rsplit("/", 1)[-1] for p in found} == {
        "broken.yaml", "empty.yaml", "bad-rule.yaml", "TEST-0002.yaml",
    }


def test_broken_org_and_role_files_are_located(config_dir):
    (config_dir / "roles" / "broken.yaml").write_text(
        "id: broken\nname: 坏角色\nscope: galaxy\npermissions:\n  matter: [view, fly]\n",
        encoding="utf-8",
    )
    found = {(p.path.rsplit("/", 1)[-1], p.pointer, p.line) for p in problems_of(config_dir)}
    assert ("broken.yaml", "/scope", 3) in found
    assert ("broken.yaml", "/permissions/matter/1", 5) in found


def test_service_center_of_an_unknown_unit(config_dir):
    write_matter(config_dir)
    (config_dir / "org" / "extra.yaml").write_text(
        "service_centers:\n  - {id: ghost-station, name: 幽灵站, level: village, unit: ghost}\n",
        encoding="utf-8",
    )
    problem = only_problem(config_dir)
    assert problem.pointer == "/service_centers/0/unit"


def test_missing_calendar_of_next_year_is_a_warning(config_dir):
    write_matter(config_dir)
    result = load_catalog(config_dir, today=TODAY)
    assert [w.path.rsplit("/", 1)[-1] for w in result.warnings] == ["2027.yaml"]
    assert "暂定" in result.warnings[0].message
    assert load_catalog(config_dir, today=TODAY.replace(year=2025)).warnings == []


def test_calendar_problem_is_located(config_dir):
    write_matter(config_dir)
    path = config_dir / "calendar" / "2026.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("year: 2026", "year: 2025"), "utf-8")
    problem = only_problem(config_dir)
    assert problem.pointer == "/year"


def test_cli_prints_one_line_per_problem_and_exits_1(config_dir):
    write_matter(config_dir, version=0, levels=["county"])
    result = CliRunner().invoke(main, ["catalog", "validate", str(config_dir), "--no-db",
                                       "--today", "2026-11-28"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "TEST-0001.yaml" in line]
    assert len(lines) == 2
    for line in lines:
        path, line_no, column, pointer, message = line.split(":", 4)
        assert line_no.isdigit() and column.isdigit()
        assert pointer.strip().startswith("/")
    assert "Traceback" not in result.output


def test_cli_summary_when_valid(config_dir, tmp_path):
    shutil.rmtree(config_dir / "matters")
    shutil.copytree(CONFIG / "matters", config_dir / "matters")
    result = CliRunner().invoke(main, ["catalog", "validate", str(config_dir), "--no-db"])
    assert result.exit_code == 0, result.output
    assert "配置有效" in result.output and "10 个领域" in result.output


def test_cli_on_a_missing_folder(tmp_path):
    result = CliRunner().invoke(main, ["catalog", "validate", str(tmp_path / "nope"), "--no-db"])
    assert result.exit_code == 1
    assert "配置目录不存在" in result.output


@pytest.mark.parametrize("kind", ["matter", "role", "org", "calendar", "domains"])
def test_schemas_are_valid_json_schema(kind):
    from jsonschema import Draft202012Validator

    from daiban.catalog.schemas import load_schema

    schema, _ = load_schema(kind)
    Draft202012Validator.check_schema(schema)


def test_field_ids_must_not_be_reserved_words(config_dir):
    doc = matter_doc()
    doc["fields"].append({"id": "today", "label": "今天", "type": "date"})
    doc["fields"].append({
        "id": "members", "label": "家庭成员", "type": "group",
        "fields": [{"id": "name", "label": "姓名", "type": "text"},
                   {"id": "string", "label": "备注", "type": "text"}],
    })
    write_matter(config_dir, doc)
    found = {p.pointer: p.message for p in problems_of(config_dir)}
    assert "保留字" in found["/fields/2/id"]
    assert "保留字" in found["/fields/3/fields/1/id"]
    # A member's name repeating the applicant's field id is natural and allowed.
    assert "/fields/3/fields/0/id" not in found


def test_a_broken_file_still_claims_its_code(config_dir):
    write_matter(config_dir, filename="a.yaml", levels=["county"])
    write_matter(config_dir, filename="b.yaml")
    pointers = {(p.path.rsplit("/", 1)[-1], p.pointer) for p in problems_of(config_dir)}
    assert ("b.yaml", "/code") in pointers


def test_file_named_unlike_its_code_is_a_warning(config_dir):
    write_matter(config_dir, filename="elderly.yaml")
    result = load_catalog(config_dir, today=TODAY)
    assert result.ok
    assert any("与事项编码 TEST-0001 不一致" in w.message for w in result.warnings)


def test_monthly_window_keys_on_a_yearly_window(config_dir):
    write_matter(config_dir, application_windows=[
        {"every": "year", "from": "09-01", "to": "12-31", "from_day": 1},
    ])
    assert only_problem(config_dir).pointer == "/application_windows/0/from_day"
