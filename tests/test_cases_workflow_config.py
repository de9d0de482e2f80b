"""The case workflow as config: config/workflow/case.yaml, its schema and its checks of meaning."""

import copy
import dataclasses
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner

from conftest import CONFIG, ROOT, TODAY
from daiban.catalog.loader import load_catalog
from daiban.cli import main

AGENTS = ["village_agent", "township_agent", "banner_agent"]
SHIPPED = [
    # id, from, to, roles, stops, resumes, records result, requires note
    ("accept", ["consultation"], "commission_accepted", AGENTS, False, False, False, False),
    ("collect_materials", ["commission_accepted"], "materials_collected", AGENTS, False, False, False, False),
    ("submit", ["materials_collected"], "submitted", AGENTS, False, False, False, False),
    ("receive", ["submitted"], "in_department", ["department_liaison", "banner_agent"],
     False, False, False, False),
    ("return_for_correction", ["submitted", "in_department"], "returned_for_correction",
     ["department_liaison", "banner_agent"], True, False, False, True),
    ("resubmit", ["returned_for_correction"], "submitted", AGENTS, False, True, False, False),
    ("suspend", ["in_department"], "suspended", ["department_liaison", "banner_agent"],
     True, False, False, True),
    ("resume", ["suspended"], "in_department", ["department_liaison", "banner_agent"],
     False, True, False, False),
    ("record_result", ["in_department"], "result_received", ["department_liaison", "banner_agent"],
     False, False, True, False),
    ("result_fed_back", ["submitted", "in_department"], "result_received", ["department_liaison"],
     False, False, True, False),
    ("result_fed_back_after_suspension", ["suspended"], "result_received", ["department_liaison"],
     False, True, True, False),
    ("return_materials", ["result_received"], "materials_returned", AGENTS, False, False, False, False),
    ("follow_up", ["materials_returned"], "followed_up", [*AGENTS, "bureau"], False, False, False, False),
    ("close", ["followed_up"], "closed", AGENTS, False, False, False, False),
    ("terminate", ["consultation", "commission_accepted", "materials_collected", "submitted",
                   "in_department", "returned_for_correction", "suspended"], "terminated",
     [*AGENTS, "department_liaison"], False, False, False, True),
]


def small_workflow() -> dict:
    """A valid workflow with a clock stop: consultation → in_department ⇄ suspended → closed."""
    return {
        "initial": "consultation",
        "opened_by": ["village_agent"],
        "states": [
            {"id": "consultation", "label": "咨询"},
            {"id": "in_department", "label": "部门办理中"},
            {"id": "suspended", "label": "中止"},
            {"id": "closed", "label": "已办结", "final": True},
        ],
        "transitions": [
            {"id": "submit", "label": "报送", "from": ["consultation"], "to": "in_department",
             "roles": ["village_agent"]},
            {"id": "suspend", "label": "中止", "from": ["in_department"], "to": "suspended",
             "roles": ["department_liaison"], "stops_clock": True},
            {"id": "resume", "label": "恢复", "from": ["suspended"], "to": "in_department",
             "roles": ["department_liaison"], "resumes_clock": True},
            {"id": "close", "label": "办结", "from": ["in_department"], "to": "closed",
             "roles": ["village_agent"]},
        ],
    }


def write_workflow(config_dir, doc) -> str:
    path = config_dir / "workflow" / "case.yaml"
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return text


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the `occurrence`-th line ending with `needle`."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if line.rstrip().endswith(needle)]
    return hits[occurrence - 1]


def workflow_errors(config_dir):
    result = load_catalog(config_dir, today=TODAY)
    return [p for p in result.errors if "/workflow" in p.path], result


def only_error(config_dir):
    found, _ = workflow_errors(config_dir)
    assert len(found) == 1, [p.format() for p in found]
    return found[0]


# --- the shipped workflow ----------------------------------------------------------------------

def test_the_shipped_workflow_is_valid_and_compiled():
    result = load_catalog(CONFIG, today=TODAY)
    assert result.errors == [], [p.format() for p in result.errors]
    workflow = result.catalog.workflow
    assert workflow is not None and workflow.initial == "consultation"
    assert [(s.id, s.label) for s in workflow.states] == [
        ("consultation", "已建档"), ("commission_accepted", "已受理"),
        ("materials_collected", "材料已收齐"), ("submitted", "已报送"), ("in_department", "部门办理中"),
        ("result_received", "已出结果"), ("materials_returned", "材料已归还归档"),
        ("followed_up", "已回访评价"), ("closed", "已办结"), ("returned_for_correction", "退回补正"),
        ("suspended", "中止"), ("terminated", "终止"),
    ]
    assert {s.id for s in workflow.states if s.final} == {"closed", "terminated"}
    shipped = [(t.id, list(t.from_states), t.to, list(t.roles), t.stops_clock, t.resumes_clock,
                t.records_result, t.requires_note) for t in workflow.transitions]
    assert shipped == SHIPPED
    assert all(t.label for t in workflow.transitions)
    assert set(workflow.opened_by) == set(AGENTS)
    roles = result.catalog.roles
    assert all(r in roles for t in workflow.transitions for r in t.roles)
    assert workflow.role_label("department_liaison") == roles["department_liaison"].name


def test_every_guard_word_of_the_schema_has_a_registry_entry_and_the_shipped_steps_name_theirs():
    from daiban.cases.guards import GUARDS
    from daiban.catalog.schemas import load_schema

    schema, _ = load_schema("workflow")
    words = schema["$defs"]["transition"]["properties"]["guards"]["items"]["enum"]
    assert set(words) == set(GUARDS)
    workflow = load_catalog(CONFIG, include_matters=False).catalog.workflow
    assert {t.id: t.guards for t in workflow.transitions if t.guards} == {
        "collect_materials": ("materials_complete",),
        "submit": ("materials_complete", "commission_in_force"),
        "resubmit": ("materials_complete", "commission_in_force"),
        "record_result": ("departments_decided",),
        "close": ("deferred_settled",),
    }


def test_the_shipped_steps_say_what_their_note_is_for_and_name_the_assist_acceptance():
    workflow = load_catalog(CONFIG, include_matters=False).catalog.workflow
    asks = {t.id: t.note_label for t in workflow.transitions if t.requires_note}
    assert asks["return_for_correction"].startswith("退回补正：请一次性写明需补正的材料或内容")
    assert asks["suspend"].startswith("中止：请写明中止原因")
    assert asks["terminate"].startswith("终止：请写明终止原因")
    assert len(set(asks.values())) == len(asks)  # each reason box says what it is for
    accept = workflow.transition("accept")
    assert (accept.label_for("assist"), accept.label_for("proxy")) == ("受理", "受理委托")
    system = [t for t in workflow.transitions if t.system]
    assert [(t.id, t.label, t.to) for t in system] == [
        ("result_fed_back", "结果已反馈", "result_received"),
        ("result_fed_back_after_suspension", "结果已反馈", "result_received")]
    assert system[0] not in workflow.available("in_department")
    assert system[1] not in workflow.available("suspended")


@pytest.mark.parametrize("bad", [{"system": "yes"}, {"mode_labels": {"citizen": "受理"}}, {"note_label": 3}])
def test_a_system_step_is_a_boolean_and_a_mode_label_names_a_known_mode(config_dir, bad):
    doc = small_workflow()
    doc["transitions"][0].update(bad)
    write_workflow(config_dir, doc)
    problem = only_error(config_dir)
    assert problem.pointer.startswith("/transitions/0/") and problem.line > 0, problem.format()


def test_an_unknown_guard_word_fails_when_the_config_is_loaded(config_dir):
    doc = small_workflow()
    doc["transitions"][0]["guards"] = ["materials_completed"]
    write_workflow(config_dir, doc)
    problem = only_error(config_dir)
    assert "是不是 “materials_complete”" in problem.message and problem.line > 0


def test_the_compiled_workflow_is_frozen():
    workflow = load_catalog(CONFIG, include_matters=False).catalog.workflow
    with pytest.raises(dataclasses.FrozenInstanceError):
        workflow.initial = "closed"
    with pytest.raises(dataclasses.FrozenInstanceError):
        workflow.transitions[0].roles = ("inspector",)
    with pytest.raises(TypeError):
        workflow.role_names["x"] = "y"


def test_workflow_questions():
    workflow = load_catalog(CONFIG, include_matters=False).catalog.workflow
    assert [t.id for t in workflow.available("in_department")] == [
        "return_for_correction", "suspend", "record_result", "terminate"]
    assert [t.id for t in workflow.available("in_department", ["village_agent"])] == ["terminate"]
    assert workflow.available("closed") == [] and workflow.is_final("closed")
    assert workflow.label("suspended") == "中止" and workflow.transition("nope") is None
    assert workflow.may_open(["inspector", "township_agent"]) == "township_agent"
    assert workflow.may_open(["department_liaison"]) is None


def test_validate_command_still_says_valid():
    result = CliRunner().invoke(main, ["catalog", "validate", str(CONFIG), "--no-db",
                                       "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "配置有效" in result.output


def test_the_workflow_module_is_pure():
    code = ("import sys; import daiban.catalog.workflow; "
            "print(sorted(m for m in ('flask', 'peewee', 'flask_admin') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": str(ROOT / "platform")})
    assert out.stdout.strip() == "[]"


def test_a_small_valid_workflow_passes(config_dir):
    write_workflow(config_dir, small_workflow())
    found, result = workflow_errors(config_dir)
    assert found == [], [p.format() for p in found]
    assert [t.id for t in result.catalog.workflow.transitions] == ["submit", "suspend", "resume", "close"]


# --- problems, each located ----------------------------------------------------------------------

def test_missing_workflow_folder(config_dir):
    (config_dir / "workflow" / "case.yaml").unlink()
    (config_dir / "workflow").rmdir()
    problem = only_error(config_dir)
    assert "没有找到 workflow/ 下的配置文件" in problem.message
    assert load_catalog(config_dir, today=TODAY).catalog.workflow is None


def test_an_unknown_file_in_the_workflow_folder(config_dir):
    (config_dir / "workflow" / "handoff.yaml").write_text("initial: x\n", encoding="utf-8")
    problem = only_error(config_dir)
    assert problem.path.endswith("workflow/handoff.yaml") and "case.yaml" in problem.message


def test_unknown_key_with_a_suggestion(config_dir):
    doc = small_workflow()
    doc["transitions"][1]["stop_clock"] = True
    text = write_workflow(config_dir, doc)
    problem = only_error(config_dir)
    assert problem.pointer == "/transitions/1/stop_clock"
    assert "是不是 “stops_clock”" in problem.message
    assert problem.line == line_of(text, "stop_clock: true")
    assert problem.path.endswith("workflow/case.yaml")


def test_missing_roles_is_a_schema_error(config_dir):
    doc = small_workflow()
    del doc["transitions"][0]["roles"]
    write_workflow(config_dir, doc)
    problem = only_error(config_dir)
    assert (problem.pointer, problem.message) == ("/transitions/0", "缺少必填项 “roles”")


def test_unknown_state_in_from_and_to(config_dir):
    doc = small_workflow()
    doc["transitions"][3]["from"] = ["in_departmnet"]
    doc["transitions"][0]["to"] = "in_dept"
    text = write_workflow(config_dir, doc)
    found, _ = workflow_errors(config_dir)
    by_pointer = {p.pointer: p for p in found}
    assert "状态 “in_departmnet” 不在 states 中" in by_pointer["/transitions/3/from/0"].message
    assert by_pointer["/transitions/3/from/0"].line == line_of(text, "- in_departmnet")
    assert "状态 “in_dept” 不在 states 中" in by_pointer["/transitions/0/to"].message
    assert by_pointer["/transitions/0/to"].line == line_of(text, "to: in_dept")


def test_unknown_role(config_dir):
    doc = small_workflow()
    doc["transitions"][2]["roles"] = ["department_liaison", "village_clerk"]
    text = write_workflow(config_dir, doc)
    problem = only_error(config_dir)
    assert problem.pointer == "/transitions/2/roles/1"
    assert problem.message == "角色 “village_clerk” 不在 config/roles/ 中"
    assert problem.line == line_of(text, "village_clerk")


def test_unknown_role_in_opened_by(config_dir):
    doc = small_workflow()
    doc["opened_by"] = ["agent"]
    write_workflow(config_dir, doc)
    problem = only_error(config_dir)
    assert problem.pointer == "/opened_by/0" and "“agent”" in problem.message


def test_unreachable_state(config_dir):
    doc = small_workflow()
    doc["states"].insert(2, {"id": "archived", "label": "已归档"})
    doc["transitions"].append({"id": "archive", "label": "归档", "from": ["archived"],
                               "to": "closed", "roles": ["village_agent"]})
    text = write_workflow(config_dir, doc)
    problem = only_error(config_dir)
    assert problem.pointer == "/states/2/id"
    assert "“archived”（已归档）从初始状态 “consultation” 无法到达" in problem.message
    assert problem.line == line_of(text, "id: archived")


def test_duplicate_state_and_transition_ids(config_dir):
    doc = small_workflow()
    doc["states"].append({"id": "suspended", "label": "暂停"})
    doc["transitions"].append(copy.deepcopy(dict(doc["transitions"][3], label="再办结")))
    text = write_workflow(config_dir, doc)
    found, _ = workflow_errors(config_dir)
    by_pointer = {p.pointer: p for p in found}
    assert set(by_pointer) == {"/states/4/id", "/transitions/4/id"}, [p.format() for p in found]
    assert "状态编号 “suspended” 重复" in by_pointer["/states/4/id"].message
    assert by_pointer["/states/4/id"].line == line_of(text, "id: suspended", 2)
    assert "流转编号 “close” 重复" in by_pointer["/transitions/4/id"].message
    assert by_pointer["/transitions/4/id"].line == line_of(text, "id: close", 2)


def test_no_transition_into_closed(config_dir):
    doc = small_workflow()
    doc["states"][3] = {"id": "closed", "label": "已办结", "final": True}
    doc["states"].append({"id": "done", "label": "完成", "final": True})
    doc["transitions"][3]["to"] = "done"
    write_workflow(config_dir, doc)
    found, _ = workflow_errors(config_dir)
    messages = {p.pointer: p.message for p in found}
    assert messages["/transitions"] == "没有任何流转进入 “closed”（已办结）：办件将无法办结"
    assert "“closed”（已办结）从初始状态 “consultation” 无法到达" in messages["/states/3/id"]


def test_closed_must_exist_and_be_final(config_dir):
    doc = small_workflow()
    doc["states"][3]["final"] = False
    write_workflow(config_dir, doc)
    found, _ = workflow_errors(config_dir)
    messages = {p.pointer: p.message for p in found}
    assert "应标为终结状态" in messages["/states/3"]
    doc["states"][3]["id"] = "finished"
    doc["states"][3]["final"] = True
    doc["transitions"][3]["to"] = "finished"
    write_workflow(config_dir, doc)
    assert only_error(config_dir).message == "缺少状态 “closed”（已办结）"


def test_dead_end_and_leaving_a_final_state(config_dir):
    doc = small_workflow()
    doc["states"].insert(3, {"id": "waiting", "label": "等待"})
    doc["transitions"].append({"id": "wait", "label": "等待", "from": ["in_department"],
                               "to": "waiting", "roles": ["village_agent"]})
    doc["transitions"].append({"id": "reopen", "label": "重新打开", "from": ["closed"],
                               "to": "in_department", "roles": ["village_agent"]})
    write_workflow(config_dir, doc)
    found, _ = workflow_errors(config_dir)
    messages = {p.pointer: p.message for p in found}
    assert "“waiting” 不是终结状态，却没有任何流转离开它" in messages["/states/3/id"]
    assert messages["/transitions/5/from/0"] == "“closed” 是终结状态，不能再流转"


def test_unknown_initial_state(config_dir):
    doc = small_workflow()
    doc["initial"] = "consulting"
    text = write_workflow(config_dir, doc)
    problem = only_error(config_dir)
    assert (problem.pointer, problem.line) == ("/initial", line_of(text, "initial: consulting"))
    assert "初始状态 “consulting” 不在 states 中" in problem.message


def test_clock_resumed_where_it_runs_or_stopped_twice(config_dir):
    doc = small_workflow()
    doc["transitions"][0]["resumes_clock"] = True  # from consultation, where the clock runs
    doc["transitions"].append({"id": "halt_again", "label": "再次中止", "from": ["suspended"],
                               "to": "in_department", "roles": ["department_liaison"],
                               "stops_clock": True})
    write_workflow(config_dir, doc)
    found, _ = workflow_errors(config_dir)
    messages = {p.pointer: p.message for p in found}
    assert "“consultation” 时计时可能并未停止，不能恢复计时" in messages["/transitions/0/resumes_clock"]
    assert "“suspended” 时计时可能已经停止，不能再停止计时" in messages["/transitions/4/stops_clock"]
    # in_department is now reached with the clock running (submit, resume) and stopped (halt_again)
    assert "有时计时中，有时已停止计时" in messages["/states/1/id"]


def test_a_transition_both_stopping_and_resuming(config_dir):
    doc = small_workflow()
    doc["transitions"][3]["stops_clock"] = True
    doc["transitions"][3]["resumes_clock"] = True
    write_workflow(config_dir, doc)
    found, _ = workflow_errors(config_dir)
    assert ("/transitions/3", "同一流转不能既停止计时（stops_clock）又恢复计时（resumes_clock）") in {
        (p.pointer, p.message) for p in found}


def test_open_is_reserved_and_self_loops_refused(config_dir):
    doc = small_workflow()
    doc["transitions"][0]["id"] = "open"
    doc["transitions"][3]["from"] = ["in_department", "closed"]
    doc["transitions"][3]["to"] = "in_department"
    doc["transitions"].append({"id": "close", "label": "办结", "from": ["in_department"],
                               "to": "closed", "roles": ["village_agent"]})
    write_workflow(config_dir, doc)
    found, _ = workflow_errors(config_dir)
    messages = {p.pointer: p.message for p in found}
    assert "保留给新建办件的记录" in messages["/transitions/0/id"]
    assert messages["/transitions/3/to"] == "流转不能回到出发的状态 “in_department”"
    assert messages["/transitions/3/from/1"] == "“closed” 是终结状态，不能再流转"


def test_a_broken_workflow_file_is_reported_by_validate(config_dir):
    doc = small_workflow()
    doc["transitions"][2]["roles"] = ["nobody"]
    text = write_workflow(config_dir, doc)
    result = CliRunner().invoke(main, ["catalog", "validate", str(config_dir), "--no-db",
                                       "--today", TODAY.isoformat()])
    assert result.exit_code == 1
    line = line_of(text, "- nobody")
    assert f"workflow/case.yaml:{line}:" in result.output
    assert "/transitions/2/roles/0: 角色 “nobody” 不在 config/roles/ 中" in result.output
