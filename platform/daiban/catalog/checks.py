"""Checks of meaning that a JSON Schema cannot express, each returning (pointer, message) pairs.

They run on schema-valid, default-filled documents, so every key they read is there.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from daiban.catalog.field_types import FIELD_TYPES
from daiban.catalog.rules import RESERVED_NAMES, check_rule
from daiban.catalog.sources import join_pointer
from daiban.catalog.workflow import CLOSED, OPEN_TRANSITION

LEVELS = ("village", "township", "banner")
Found = list[tuple[str, str]]


def _duplicates(items: Iterable[tuple[str, str]], what: str) -> Found:
    """Report each id seen before, at the pointer of its second appearance."""
    seen: dict[str, str] = {}
    found = []
    for pointer, value in items:
        if value in seen:
            found.append((pointer, f"{what} “{value}” 重复（第一次出现在 {seen[value]}）"))
        else:
            seen[value] = pointer
    return found


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _month_day_ok(text: str) -> bool:
    month, day = (int(x) for x in text.split("-"))
    try:
        datetime.date(2024, month, day)  # a leap year, so 02-29 is allowed
    except ValueError:
        return False
    return True


def _check_fields(fields: list, base: str, outer: set[str], found: Found) -> None:
    """Check a list of form fields; `outer` are the ids visible from enclosing levels."""
    ids = {f["id"] for f in fields}
    visible = outer | ids
    found.extend(_duplicates(
        ((join_pointer(join_pointer(base, i), "id"), f["id"]) for i, f in enumerate(fields)),
        "字段编号",
    ))
    for index, f in enumerate(fields):
        at = join_pointer(base, index)
        kind = FIELD_TYPES[f["type"]]
        # Inside a group the entry's own fields shadow outer fields of the same id, as
        # members' name and id_number naturally repeat the applicant's.
        if f["id"] in RESERVED_NAMES:
            found.append((join_pointer(at, "id"), f"“{f['id']}” 是规则语言的保留字，不能用作字段编号"))
        for key in ("visible_when", "required_when"):
            if key in f:
                found.extend((join_pointer(at, key), msg) for msg in check_rule(f[key], visible))
        if ("min" in f or "max" in f) and not kind.numeric:
            found.append((at, f"只有整数和小数字段能设置 min/max（此字段类型为 {f['type']}）"))
        if "min" in f and "max" in f and f["min"] > f["max"]:
            found.append((join_pointer(at, "min"), f"min（{f['min']}）大于 max（{f['max']}）"))
        if ("pattern" in f or "min_length" in f or "max_length" in f) and not kind.textual:
            found.append(
                (at, f"只有文本字段能设置 pattern/min_length/max_length（此字段类型为 {f['type']}）")
            )
        if "pattern" in f:
            try:
                re.compile(f["pattern"])
            except re.error as exc:
                found.append((join_pointer(at, "pattern"), f"正则表达式有误：{exc}"))
        if f.get("min_length", 0) > f.get("max_length", 10**9):
            found.append((join_pointer(at, "min_length"), "min_length 大于 max_length"))
        if "accept" in f and f["type"] != "file":
            found.append((join_pointer(at, "accept"), "只有附件字段能设置 accept"))
        if "options" in f:
            found.extend(_duplicates(
                ((join_pointer(join_pointer(join_pointer(at, "options"), i), "value"), o["value"])
                 for i, o in enumerate(f["options"])),
                "选项值",
            ))
        if f.get("min_items", 0) > f.get("max_items", 10**9):
            found.append((join_pointer(at, "min_items"), "min_items 大于 max_items"))
        if f["type"] == "group":
            _check_fields(f["fields"], join_pointer(at, "fields"), visible, found)


def _check_conditions(items: list, base: str, fields: set[str], found: Found) -> list:
    pairs = []
    for index, c in enumerate(items):
        at = join_pointer(base, index)
        pairs.append((join_pointer(at, "id"), c["id"]))
        if "rule" in c:
            found.extend((join_pointer(at, "rule"), msg) for msg in check_rule(c["rule"], fields))
        for alt_index, alt in enumerate(c.get("any_of", ())):
            alt_at = join_pointer(join_pointer(at, "any_of"), alt_index)
            pairs.append((join_pointer(alt_at, "id"), alt["id"]))
            if "rule" in alt:
                found.extend(
                    (join_pointer(alt_at, "rule"), msg) for msg in check_rule(alt["rule"], fields)
                )
    return pairs


def _check_limits(doc: dict, found: Found) -> None:
    promised, statutory = doc.get("promised_limit"), doc.get("statutory_limit")
    if not (promised and statutory):
        return
    if statutory["unit"] == "on_the_spot" and promised["unit"] != "on_the_spot":
        found.append(("/promised_limit", "法定时限为即办，承诺时限也只能是即办"))
    elif promised["unit"] == statutory["unit"] != "on_the_spot":
        if promised["amount"] > statutory["amount"]:
            found.append((
                "/promised_limit/amount",
                f"承诺时限（{promised['amount']}）不能长于法定时限（{statutory['amount']}）",
            ))


def _check_materials(doc: dict, fields: set[str], found: Found) -> None:
    by_id = {f["id"]: f for f in doc["fields"]}
    ids = []
    for index, m in enumerate(doc["materials"]):
        at = join_pointer("/materials", index)
        ids.append((join_pointer(at, "id"), m["id"]))
        for alt_index, alt in enumerate(m.get("alternatives", ())):
            ids.append((f"{at}/alternatives/{alt_index}/id", alt["id"]))
        if "fallback" in m:
            ids.append((f"{at}/fallback/id", m["fallback"]["id"]))
        if "required_when" in m:
            found.extend(
                (join_pointer(at, "required_when"), msg)
                for msg in check_rule(m["required_when"], fields)
            )
        if m["necessity"] == "optional" and ("deferrable" in m or "required_when" in m):
            found.append((join_pointer(at, "necessity"),
                          "非必要材料不需要设置容缺（deferrable）或 required_when"))
        if m["verified_by_department"] and (m["originals"] or m["copies"]):
            found.append((at, "由部门核验、无需提交的材料不应要求原件或复印件份数"))
        if m["verified_by_department"] and "deferrable" in m:
            found.append((join_pointer(at, "deferrable"), "无需提交的材料不能容缺"))
        if "applicant_types" in m:
            chooser = by_id.get("applicant_type")
            if chooser is None or chooser["type"] != "choice":
                found.append((join_pointer(at, "applicant_types"),
                              "按申请人类型区分材料时，表单须有单选字段 “applicant_type”"))
            else:
                values = {o["value"] for o in chooser["options"]}
                for t_index, value in enumerate(m["applicant_types"]):
                    if value not in values:
                        found.append((f"{at}/applicant_types/{t_index}",
                                      f"“{value}” 不是 applicant_type 字段的选项"))
        if m.get("alternatives") and m["necessity"] == "optional":
            found.append((join_pointer(at, "alternatives"), "非必要材料不需要替代材料"))
    found.extend(_duplicates(ids, "材料编号"))


def check_matter(doc: dict, departments: set[str], domains: set[str], roles: set[str]) -> Found:
    """Check one default-filled matter document against itself and the rest of the config."""
    found: Found = []
    if doc["domain"] not in domains:
        found.append(("/domain", f"领域 “{doc['domain']}” 未在 domains.yaml 中定义"))
    if doc["responsible_unit"] not in departments:
        found.append(("/responsible_unit",
                      f"责任单位 “{doc['responsible_unit']}” 不在 config/org/ 的部门中"))
    for index, unit in enumerate(doc["joint_units"]):
        if unit not in departments:
            found.append((f"/joint_units/{index}", f"联办单位 “{unit}” 不在 config/org/ 的部门中"))
        elif unit == doc["responsible_unit"]:
            found.append((f"/joint_units/{index}", "联办单位不应与责任单位相同"))
    start, until = _date(doc["effective_from"]), _date(doc.get("effective_until") or "")
    if start and until and until < start:
        found.append(("/effective_until", "失效日期早于生效日期"))
    _check_limits(doc, found)
    for index, w in enumerate(doc["application_windows"]):
        at = f"/application_windows/{index}"
        if w["every"] == "month" and w["from_day"] > w["to_day"]:
            found.append((at, "每月受理期的开始日晚于结束日"))
        wrong = ("from", "to") if w["every"] == "month" else ("from_day", "to_day")
        for key in wrong:
            if key in w:
                found.append((join_pointer(at, key),
                              f"{'每月' if w['every'] == 'month' else '每年'}受理期不使用 “{key}”"))
        for key in ("from", "to"):
            if w["every"] == "year" and not _month_day_ok(w[key]):
                found.append((join_pointer(at, key), f"“{w[key]}” 不是一年中真实存在的日期"))
    fields = {f["id"] for f in doc["fields"]}
    _check_fields(doc["fields"], "/fields", set(), found)
    pairs = _check_conditions(doc["conditions"], "/conditions", fields, found)
    pairs += _check_conditions(doc["exclusions"], "/exclusions", fields, found)
    found.extend(_duplicates(pairs, "条件编号"))
    _check_materials(doc, fields, found)
    known_actors = set(LEVELS) | departments | roles
    for index, step in enumerate((doc.get("guide") or {}).get("steps", ())):
        if "by" in step and step["by"] not in known_actors:
            found.append((f"/guide/steps/{index}/by",
                          f"“{step['by']}” 既不是层级，也不是部门或角色"))
    return found


def check_organisation(docs: list[tuple[object, dict]]) -> list[tuple[object, str, str]]:
    """Check the merged org files; return (source, pointer, message) triples."""
    found = []
    ids: dict[str, str] = {}
    level_of: dict[str, str] = {}
    banners = []

    def claim(source, pointer, unit_id, level):
        if unit_id in ids:
            found.append((source, pointer, f"编号 “{unit_id}” 重复（已用于 {ids[unit_id]}）"))
        else:
            ids[unit_id] = f"{source.path}:{source.position(pointer)[0]}"
            level_of[unit_id] = level

    for source, doc in docs:
        if "banner" in doc:
            banners.append(source)
            claim(source, "/banner/id", doc["banner"]["id"], "banner")
        for t_index, t in enumerate(doc.get("townships", ())):
            claim(source, f"/townships/{t_index}/id", t["id"], "township")
            for v_index, v in enumerate(t.get("villages", ())):
                claim(source, f"/townships/{t_index}/villages/{v_index}/id", v["id"], "village")
        for d_index, d in enumerate(doc.get("departments", ())):
            claim(source, f"/departments/{d_index}/id", d["id"], "department")
    for source, doc in docs:
        for c_index, c in enumerate(doc.get("service_centers", ())):
            at = f"/service_centers/{c_index}"
            claim(source, f"{at}/id", c["id"], "center")
            unit_level = level_of.get(c["unit"])
            if unit_level is None:
                found.append((source, f"{at}/unit", f"服务中心所属单位 “{c['unit']}” 不存在"))
            elif unit_level != c["level"]:
                found.append((source, f"{at}/level",
                              f"层级 {c['level']} 与所属单位 “{c['unit']}” 的层级 {unit_level} 不符"))
    if len(banners) > 1:
        for source in banners[1:]:
            found.append((source, "/banner", "只能有一个旗（banner），它已在别的文件中定义"))
    return found


def _workflow_clock(doc: dict, known: set[str], final: set[str]) -> Found:
    """Follow the clock from the initial state: stop only a running clock, resume only a stopped
    one, and reach every non-final state with the clock always running or always stopped."""
    found: Found = []
    clocks: dict[str, set[str]] = {doc["initial"]: {"running"}}
    changed = True
    while changed:
        changed = False
        for t in doc["transitions"]:
            if t["to"] not in known:
                continue
            for source in t["from"]:
                for clock in tuple(clocks.get(source, ())):
                    after = "stopped" if t["stops_clock"] else "running" if t["resumes_clock"] else clock
                    if after not in clocks.setdefault(t["to"], set()):
                        clocks[t["to"]].add(after)
                        changed = True
    words = {"running": "计时中", "stopped": "已停止计时"}
    for index, t in enumerate(doc["transitions"]):
        at = f"/transitions/{index}"
        for source in t["from"]:
            if t["stops_clock"] and "stopped" in clocks.get(source, ()):
                found.append((f"{at}/stops_clock",
                              f"到达 “{source}” 时计时可能已经停止，不能再停止计时"))
            if t["resumes_clock"] and "running" in clocks.get(source, ()):
                found.append((f"{at}/resumes_clock",
                              f"到达 “{source}” 时计时可能并未停止，不能恢复计时"))
    for index, s in enumerate(doc["states"]):
        seen = clocks.get(s["id"], set())
        if len(seen) > 1 and s["id"] not in final:
            found.append((f"/states/{index}/id",
                          f"状态 “{s['id']}” 经不同流转到达时，有时{words['running']}，有时"
                          f"{words['stopped']}；请拆分状态或调整 stops_clock/resumes_clock"))
    return list(dict.fromkeys(found))


def check_workflow(doc: dict, roles: set[str]) -> Found:
    """Check the default-filled case workflow against itself and the configured roles."""
    found: Found = []
    states, transitions = doc["states"], doc["transitions"]
    found.extend(_duplicates(((f"/states/{i}/id", s["id"]) for i, s in enumerate(states)), "状态编号"))
    found.extend(_duplicates(
        ((f"/transitions/{i}/id", t["id"]) for i, t in enumerate(transitions)), "流转编号"
    ))
    known = {s["id"] for s in states}
    final = {s["id"] for s in states if s["final"]}
    where = {s["id"]: i for i, s in reversed(list(enumerate(states)))}

    def role_problems(base: str, role_ids: list[str]) -> None:
        for index, role in enumerate(role_ids):
            if role not in roles:
                found.append((f"{base}/{index}", f"角色 “{role}” 不在 config/roles/ 中"))

    if doc["initial"] not in known:
        found.append(("/initial", f"初始状态 “{doc['initial']}” 不在 states 中"))
    elif doc["initial"] in final:
        found.append(("/initial", "初始状态不能是终结状态（final）"))
    role_problems("/opened_by", doc["opened_by"])
    for index, t in enumerate(transitions):
        at = f"/transitions/{index}"
        if t["id"] == OPEN_TRANSITION:
            found.append((f"{at}/id", f"“{OPEN_TRANSITION}” 保留给新建办件的记录，不能用作流转编号"))
        for f_index, source in enumerate(t["from"]):
            if source not in known:
                found.append((f"{at}/from/{f_index}", f"状态 “{source}” 不在 states 中"))
            elif source in final:
                found.append((f"{at}/from/{f_index}", f"“{source}” 是终结状态，不能再流转"))
        if t["to"] not in known:
            found.append((f"{at}/to", f"状态 “{t['to']}” 不在 states 中"))
        elif t["to"] in t["from"]:
            found.append((f"{at}/to", f"流转不能回到出发的状态 “{t['to']}”"))
        role_problems(f"{at}/roles", t["roles"])
        if t["stops_clock"] and t["resumes_clock"]:
            found.append((at, "同一流转不能既停止计时（stops_clock）又恢复计时（resumes_clock）"))

    if CLOSED not in known:
        found.append(("/states", f"缺少状态 “{CLOSED}”（已办结）"))
    else:
        if CLOSED not in final:
            found.append((f"/states/{where[CLOSED]}", f"状态 “{CLOSED}” 应标为终结状态（final: true）"))
        if not any(t["to"] == CLOSED for t in transitions):
            found.append(("/transitions", f"没有任何流转进入 “{CLOSED}”（已办结）：办件将无法办结"))

    # Reachable from the initial state, and able to reach a final state.
    reached = {doc["initial"]} & known
    frontier = list(reached)
    while frontier:
        state = frontier.pop()
        for t in transitions:
            if state in t["from"] and t["to"] in known and t["to"] not in reached:
                reached.add(t["to"])
                frontier.append(t["to"])
    ending = set(final)
    grew = True
    while grew:
        grew = False
        for t in transitions:
            if t["to"] in ending:
                for source in t["from"]:
                    if source in known and source not in ending:
                        ending.add(source)
                        grew = True
    leaving = {source for t in transitions for source in t["from"]}
    for index, s in enumerate(states):
        if where.get(s["id"]) != index:
            continue  # a duplicate, already reported
        if doc["initial"] in known and s["id"] not in reached:
            found.append((f"/states/{index}/id",
                          f"状态 “{s['id']}”（{s['label']}）从初始状态 “{doc['initial']}” 无法到达"))
        if s["final"]:
            continue
        if s["id"] not in leaving:
            found.append((f"/states/{index}/id",
                          f"状态 “{s['id']}” 不是终结状态，却没有任何流转离开它（可设 final: true）"))
        elif s["id"] not in ending:
            found.append((f"/states/{index}/id", f"从状态 “{s['id']}” 出发到达不了任何终结状态"))
    if doc["initial"] in known:
        found.extend(_workflow_clock(doc, known, final))
    return found
