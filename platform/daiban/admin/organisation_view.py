"""The administrator's read-only overviews: the organisation as a tree with its centers, and the
roles of config/roles/ with their scope and permissions in words."""

from __future__ import annotations

from collections import defaultdict

from flask import current_app
from flask_admin import BaseView, expose

from daiban.admin.base import RoleGuard
from daiban.models import Agent, OrgUnit, ServiceCenter

LEVEL_NAMES = {"banner": "旗", "township": "苏木乡镇", "village": "嘎查村（社区）"}
KIND_NAMES = {"town": "镇", "township": "乡", "sumu": "苏木", "subdistrict": "街道",
              "village": "村", "gacha": "嘎查", "community": "社区", "banner": "旗"}
SCOPE_NAMES = {"all": "全旗", "township": "本苏木乡镇及所辖嘎查村", "center": "本服务中心（站）",
               "own_cases": "本人首问的办件", "department": "本部门"}
RESOURCE_NAMES = {
    "matter": "事项目录", "matter_version": "事项版本", "org_unit": "行政区划",
    "service_center": "服务中心（站）", "department": "部门", "agent": "代办员", "user": "用户",
    "role": "角色", "case": "办件", "consultation": "咨询记录", "commission": "委托书",
    "material": "办件材料", "handoff": "转办交接", "follow_up": "回访", "rating": "服务评价",
    "rectification": "差评整改", "ledger": "工作台账", "report": "季度报告",
    "center_standard": "八有一能", "audit_log": "审计日志", "calendar": "工作日历",
}
ACTION_NAMES = {"view": "查看", "create": "新建", "edit": "修改", "delete": "删除", "export": "导出",
                "submit": "提交", "approve": "审核", "publish": "发布"}


class OrganisationView(RoleGuard, BaseView):
    """组织架构: 旗 → 苏木乡镇 → 嘎查村（社区）, each unit with its centers and active agents."""

    resource = "org_unit"

    @expose("/")
    def index(self):
        """The tree, read from the organisation tables."""
        units = list(OrgUnit.select().order_by(OrgUnit.code))
        children = defaultdict(list)
        for unit in units:
            children[unit.parent_id].append(unit)
        centers = defaultdict(list)
        for center in ServiceCenter.select().order_by(ServiceCenter.code):
            centers[center.unit_id].append(center)
        agents = defaultdict(int)
        for center_id, in Agent.select(Agent.center).where(
                (Agent.status == "active") & Agent.center.is_null(False)).tuples():
            agents[center_id] += 1
        known = {u.id for u in units}
        roots = [u for u in units if u.parent_id is None or u.parent_id not in known]
        return self.render("admin/system/organisation.html", roots=roots, children=children,
                           centers=centers, agents=agents, level_names=LEVEL_NAMES,
                           kind_names=KIND_NAMES, count=len(units))


class RolesView(RoleGuard, BaseView):
    """角色: each role's Chinese name, scope and permissions in words; roles live in config/roles/."""

    resource = "role"

    @expose("/")
    def index(self):
        """Every configured role, read-only."""
        rows = []
        for role in current_app.extensions["daiban"].roles.values():
            permissions = [
                (RESOURCE_NAMES.get(resource, resource),
                 "、".join(ACTION_NAMES.get(a, a) for a in ACTION_NAMES if a in actions))
                for resource, actions in role.permissions.items() if actions
            ]
            rows.append({"role": role, "scope": SCOPE_NAMES.get(role.scope, role.scope),
                         "levels": "、".join(LEVEL_NAMES.get(level, level) for level in role.levels),
                         "permissions": permissions})
        return self.render("admin/system/roles.html", rows=rows)
