"""What changed between two versions of a matter, in terms an administrator reads."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from daiban.catalog.model import UNIT_LABELS

LISTS = {
    "fields": ("字段", "label"),
    "conditions": ("受理条件", "text"),
    "exclusions": ("不予受理情形", "text"),
    "materials": ("申请材料", "name"),
    "fees": ("收费项目", "name"),
}
SCALARS = {
    "name": "事项名称",
    "everyday_name": "俗称",
    "status": "状态",
    "domain": "领域",
    "matter_type": "事项类型",
    "levels": "受理层级",
    "responsible_unit": "责任单位",
    "joint_units": "联办单位",
    "channels": "办理渠道",
    "visits_required": "到现场次数",
    "special_groups": "服务的特殊群体",
    "proxy_allowed": "可委托代办",
    "guardian_allowed": "可由监护人或家属办理",
    "statutory_limit": "法定办结时限",
    "promised_limit": "承诺办结时限",
    "application_windows": "受理时段",
    "effective_from": "生效日期",
    "effective_until": "失效日期",
    "legal_basis": "设定依据",
    "service_objects": "服务对象",
    "basic_code": "基本编码",
    "implementation_code": "实施编码",
    "aliases": "别名",
    "guide": "办事指南",
    "notes": "备注",
}


KIND_WORDS = {"added": "新增", "removed": "删除", "changed": "修改"}


@lru_cache(maxsize=1)
def property_titles() -> dict[str, str]:
    """The matter schema's own titles of list items' properties (`copies` → 复印件份数)."""
    from daiban.catalog.schemas import load_schema

    schema, _ = load_schema("matter")
    titles: dict[str, str] = {}

    def walk(node):
        if isinstance(node, dict):
            for key, sub in node.get("properties", {}).items():
                if isinstance(sub, dict) and sub.get("title"):
                    titles.setdefault(key, sub["title"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema.get("$defs", {}))
    return titles


@dataclass(frozen=True)
class Change:
    """One difference: `kind` is added, removed or changed; `readable` is the same in words only
    (item names and property titles, no identifiers), for the reviewer's summary."""

    kind: str
    what: str
    detail: str
    readable: str = ""

    def format(self) -> str:
        """One line, marked + (added), - (removed) or ~ (changed)."""
        mark = {"added": "+", "removed": "-", "changed": "~"}[self.kind]
        return f"{mark} {self.what}：{self.detail}"

    def sentence(self) -> str:
        """The change as a reviewer reads it: 新增申请材料：本人银行卡（折）."""
        return f"{KIND_WORDS[self.kind]}{self.what}：{self.readable or self.detail}"


def _show(value) -> str:
    if value is None:
        return "（无）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict) and "unit" in value:
        if value["unit"] == "on_the_spot":
            return "即办"
        return f"{value.get('amount')}{UNIT_LABELS.get(value['unit'], value['unit'])}"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "、".join(value) or "（无）"
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _guide_parts(before, after) -> str:
    titles = property_titles()
    before, after = before or {}, after or {}
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    return "、".join(titles.get(k, k) for k in keys) + " 有修改" if keys else "内容有修改"


def _keyed(items: list, key: str) -> dict:
    return {item.get("id", item.get(key)): item for item in items}


def diff_matters(old: dict | None, new: dict | None) -> list[Change]:
    """Compare two default-filled matter documents; either may be None (new or removed)."""
    if old is None and new is None:
        return []
    if old is None:
        return [Change("added", "事项", f"{new['code']} {new['name']}（第 {new['version']} 版）")]
    if new is None:
        return [Change("removed", "事项", f"{old['code']} {old['name']}")]
    changes: list[Change] = []
    for key, label in SCALARS.items():
        before, after = old.get(key), new.get(key)
        if before != after:
            if key == "guide":
                changes.append(Change("changed", label, "内容有修改", _guide_parts(before, after)))
            else:
                changes.append(Change("changed", label, f"{_show(before)} → {_show(after)}"))
    for key, (label, title) in LISTS.items():
        before, after = _keyed(old.get(key, []), title), _keyed(new.get(key, []), title)
        titles = property_titles()
        for item_id, item in after.items():
            if item_id not in before:
                changes.append(Change("added", label, f"{item_id}（{item.get(title, '')}）",
                                      str(item.get(title) or item_id)))
        for item_id, item in before.items():
            if item_id not in after:
                changes.append(Change("removed", label, f"{item_id}（{item.get(title, '')}）",
                                      str(item.get(title) or item_id)))
        for item_id, item in after.items():
            if item_id in before and before[item_id] != item:
                parts, words = [], []
                for prop in sorted(set(before[item_id]) | set(item)):
                    if before[item_id].get(prop) != item.get(prop):
                        was, now = before[item_id].get(prop), item.get(prop)
                        parts.append(f"{prop} {_show(was)} → {_show(now)}")
                        words.append(f"{titles.get(prop, prop)} {_show(was)} → {_show(now)}")
                changes.append(
                    Change("changed", label, f"{item_id}（{item.get(title, '')}）：" + "；".join(parts),
                           f"{item.get(title) or item_id}：" + "；".join(words))
                )
        if list(before) != list(after) and set(before) == set(after):
            changes.append(Change("changed", label, "顺序调整"))
    return changes
