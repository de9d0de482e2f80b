"""The generated admin screens, one declarative class per model, all on ScopedModelView."""

from __future__ import annotations

from flask import abort, current_app, flash, g, request
from flask_admin.actions import action
from flask_admin.contrib.peewee.filters import FilterEqual
from markupsafe import Markup, escape
from werkzeug.security import generate_password_hash
from wtforms import PasswordField, SelectMultipleField
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from daiban.accounts import (
    PasswordTooWeak,
    check_new_password,
    check_password_strength,
    people_labels,
    remember_password,
    revoke_sessions,
)
from daiban.admin.base import ScopedModelView, mask
from daiban.admin.filters import (
    DayFilter,
    FromDayFilter,
    LiveFilters,
    RoleFilter,
    UntilDayFilter,
    account_choices,
)
from daiban.audit import ACTION_LABELS as AUDIT_ACTIONS
from daiban.audit import OUTCOME_LABELS as AUDIT_OUTCOMES
from daiban.catalog import idnumbers
from daiban.db import database, parse_id
from daiban.models import (
    Agent,
    AuditLog,
    Department,
    MatterVersion,
    OrgUnit,
    ServiceCenter,
    User,
    model_label,
)

LEVEL_CHOICES = [("banner", "旗"), ("township", "苏木乡镇"), ("village", "嘎查村（社区）")]
LEVEL_NAMES = dict(LEVEL_CHOICES)
KIND_CHOICES = [("banner", "旗"), ("town", "镇"), ("township", "乡"), ("sumu", "苏木"),
                ("subdistrict", "街道"), ("village", "村"), ("gacha", "嘎查"), ("community", "社区")]
OBJECT_TYPES = {model._meta.table_name: model_label(model)
                for model in (Agent, AuditLog, Department, MatterVersion, OrgUnit, ServiceCenter, User)}
OBJECT_TYPES.update({"user": "用户", "case": "办件", "matter_draft": "事项草稿", "handoff": "转办交接",
                     "consultation": "咨询记录", "rating": "服务评价", "rating_link": "评价链接",
                     "rectification": "差评整改", "ledger": "工作台账", "report_submission": "季度报告",
                     "center_assessment": "八有一能评估"})
MIN_AGENTS = 2  # the policy asks for at least 2–3 agents per township center and village station


def _level(view, context, model, name):
    return LEVEL_NAMES.get(getattr(model, name), getattr(model, name))


def _masked(view, context, model, name):
    value = getattr(model, name)
    return mask(value) if value else ""


def _yes_no(view, context, model, name):
    return "是" if getattr(model, name) else "否"


def _seconds(view, context, model, name):
    value = getattr(model, name)
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def person_of(username: str) -> str:
    """"名（单位）" of an account, read once per request."""
    cache = g.setdefault("daiban_people", {})
    if username not in cache:
        cache.update(people_labels([username]))
        cache.setdefault(username, username)
    return cache[username]


def _role_list(text: str) -> str:
    roles = current_app.extensions["daiban"].roles
    return "、".join(roles[r].name if r in roles else r for r in (text or "").split(",") if r)


def add_error(field, message: str) -> None:
    """Put a message beside a form field (WTForms keeps a tuple until the form is validated)."""
    field.errors = [*field.errors, message]


class CheckedForm:
    """Mixin: a value another record already holds in a unique column is refused beside its field,
    before the database would refuse it (and the page could only say that saving failed)."""

    def _editing_id(self):
        """The id of the record being edited (None when creating, or for a garbled id)."""
        if not (request.endpoint or "").endswith(".edit_view"):
            return None
        return parse_id(request.args.get("id"))

    def validate_form(self, form):
        """Validate, then check the unique columns against the other records."""
        ok = super().validate_form(form)
        editing = self._editing_id()
        for name, column in self.model._meta.fields.items():
            field = getattr(form, name, None)
            if not column.unique or field is None or field.data in (None, ""):
                continue
            clash = self.model.select(self.model.id).where(column == field.data)
            if editing is not None:
                clash = clash.where(self.model.id != editing)
            if clash.exists():
                add_error(field, f"已有{column.verbose_name}为“{field.data}”的记录，请换一个")
                ok = False
        return ok


class OrgUnitView(CheckedForm, ScopedModelView):
    """行政区划: the banner, townships and villages (the tree is the 组织架构 screen)."""

    resource = "org_unit"
    column_list = ("code", "name", "level", "kind", "parent", "active")
    column_sortable_list = ("code", "level")
    column_searchable_list = ("code",)
    column_filters = (FilterEqual(OrgUnit.level, "层级", options=LEVEL_CHOICES), "active")
    column_default_sort = "code"
    column_formatters = {"level": _level, "active": _yes_no,
                         "kind": lambda v, c, m, n: dict(KIND_CHOICES).get(m.kind, m.kind)}
    column_formatters_detail = column_formatters
    form_choices = {"level": LEVEL_CHOICES, "kind": KIND_CHOICES}
    form_ajax_refs = {"parent": {"fields": ("name", "code"), "placeholder": "请选择上级单位"}}


def _active_agents(view, context, model, name):
    count = Agent.select().where((Agent.center == model) & (Agent.status == "active")).count()
    if model.level in ("township", "village") and count < MIN_AGENTS:
        hint = "每个乡镇中心和村级站至少 2–3 名代办员"
        return Markup(f'{count} <span class="badge badge-danger" title="{hint}">不足 {MIN_AGENTS} 名</span>')
    return str(count)


class ServiceCenterView(CheckedForm, ScopedModelView):
    """服务中心（站）, with their active agents and the 2-agent minimum flagged."""

    resource = "service_center"
    column_list = ("code", "name", "level", "unit", "phone", "active_agents", "active")
    column_sortable_list = ("code", "name", "level")
    column_labels = {"active_agents": "在岗代办员"}
    column_searchable_list = ("code",)
    column_filters = (FilterEqual(ServiceCenter.level, "层级", options=LEVEL_CHOICES), "active")
    column_default_sort = "code"
    column_formatters = {"level": _level, "active_agents": _active_agents, "active": _yes_no}
    column_details_list = ("code", "name", "level", "unit", "address", "phone", "hours", "active",
                           "agent_list")
    column_formatters_detail = {"agent_list": lambda v, c, m, n: Markup("<br>".join(
        escape(f"{a.name}（{mask(a.phone) if a.phone else '无电话'}）")
        for a in Agent.select().where((Agent.center == m) & (Agent.status == "active"))
    ) or "（无）")}
    form_choices = {"level": LEVEL_CHOICES}
    form_ajax_refs = {"unit": {"fields": ("name", "code"), "placeholder": "请选择行政区划"}}


class DepartmentView(CheckedForm, ScopedModelView):
    """部门 (责任单位)."""

    resource = "department"
    grows = False
    column_list = ("code", "name", "short_name", "in_hall", "phone", "active")
    column_sortable_list = ("code",)
    column_searchable_list = ("code",)
    column_filters = ("in_hall", "active")
    column_default_sort = "code"
    column_formatters = {"in_hall": _yes_no, "active": _yes_no}


def _agent_level(view, context, model, name):
    return LEVEL_NAMES.get(model.center.level, "") if model.center_id else "部门"


class AgentView(CheckedForm, ScopedModelView):
    """代办员 with their duties list (代办员责任清单)."""

    resource = "agent"
    column_list = ("name", "center", "level", "department", "phone", "status")
    column_sortable_list = ("name", "status")
    column_labels = {"level": "层级"}
    column_searchable_list = ("name",)
    column_filters = (FilterEqual(Agent.status, "状态", options=[("active", "在岗"), ("inactive", "停用")]),)
    column_default_sort = "name"
    column_formatters = {
        "phone": _masked,
        "id_number": _masked,
        "level": _agent_level,
        "status": lambda v, c, m, n: {"active": "在岗", "inactive": "停用"}.get(m.status, m.status),
    }
    column_formatters_detail = column_formatters
    masked_columns = ("phone", "id_number")
    form_args = {"id_number": {"description": "代办员作为委托代理人时，办件和委托书上写明的本人证件号码"}}
    form_choices = {"status": [("active", "在岗"), ("inactive", "停用")]}
    form_excluded_columns = ("created_at",)
    form_ajax_refs = {
        "center": {"fields": ("name", "code"), "placeholder": "请选择服务中心（站）"},
        "department": {"fields": ("name", "code"), "placeholder": "请选择部门"},
        "user": {"fields": ("username", "display_name"), "placeholder": "请选择登录账号"},
    }

    def validate_form(self, form):
        """Validate, then refuse an ID number that is not a valid one, saying why beside it."""
        ok = super().validate_form(form)
        field = getattr(form, "id_number", None)
        if field is not None and field.data:
            field.data = "".join(str(field.data).split()).upper()
            problem = idnumbers.id_number_problem(field.data)
            if problem:
                add_error(field, problem)
                ok = False
        return ok


def _role_names(view, context, model, name):
    return _role_list(model.roles)


class UserView(LiveFilters, CheckedForm, ScopedModelView):
    """用户: accounts, their roles and place in the organisation."""

    resource = "user"
    column_list = ("display_name", "username", "center", "department", "roles", "active",
                   "last_login_at")
    column_sortable_list = ("username", "display_name")
    column_searchable_list = ("username", "display_name")
    column_filters = (RoleFilter(), "active")
    column_default_sort = "display_name"
    column_formatters = {"roles": _role_names, "active": _yes_no, "last_login_at": _seconds,
                         "locked_until": _seconds, "created_at": _seconds}
    column_formatters_detail = column_formatters
    column_details_list = ("display_name", "username", "center", "department", "roles", "active",
                           "last_login_at", "locked_until", "created_at")
    form_ajax_refs = {
        "center": {"fields": ("name", "code"), "placeholder": "请选择服务中心（站）"},
        "department": {"fields": ("name", "code"), "placeholder": "请选择部门"},
    }
    form_columns = ("display_name", "username", "center", "department", "active")
    form_widget_args = {"role_ids": {"class": "list-unstyled role-picker mb-0"}}
    column_export_exclude_list = ("password_hash",)

    def scaffold_form(self):
        """The generated form plus role choices from config and a new-password field."""
        form_class = super().scaffold_form()
        form_class.role_ids = SelectMultipleField(
            "角色", choices=[], validate_choice=False, widget=ListWidget(prefix_label=False),
            option_widget=CheckboxInput(), description="可选多个；各角色的权限见“系统管理 › 角色”")
        form_class.new_password = PasswordField(
            "新密码", validators=[Optional()],
            description="至少 10 位，含大写字母、小写字母、数字、符号中的至少三种；不修改请留空",
        )
        return form_class

    def _fill_choices(self, form, obj=None):
        roles = current_app.extensions["daiban"].roles
        form.role_ids.choices = [(r.id, r.name) for r in roles.values()]
        if obj is not None and request.method != "POST":  # a post with every role unticked has none
            form.role_ids.data = obj.role_ids
        return form

    def create_form(self, obj=None):
        """Create form with role choices."""
        return self._fill_choices(super().create_form(obj))

    def edit_form(self, obj=None):
        """Edit form with role choices and the user's current roles."""
        return self._fill_choices(super().edit_form(obj), obj)

    def validate_form(self, form):
        """Roles and the new password are checked beside their fields, before anything is saved."""
        ok = super().validate_form(form)
        if not hasattr(form, "role_ids") or request.method != "POST":  # delete and action forms; a GET
            return ok
        roles = current_app.extensions["daiban"].roles
        chosen = form.role_ids.data or []
        if not chosen or any(r not in roles for r in chosen):
            add_error(form.role_ids, "请选择至少一个已配置的角色")
            ok = False
        editing = self._editing_id()
        password = form.new_password.data
        if editing is None and not password:
            add_error(form.new_password, "新用户必须设置密码")
            ok = False
        elif password:
            settings = current_app.extensions["daiban"].security
            account = self.get_one(editing) if editing is not None else None
            try:
                if account is None:
                    check_password_strength(password, form.username.data, settings)
                else:
                    check_new_password(account, password, settings)
            except PasswordTooWeak as exc:
                add_error(form.new_password, str(exc))
                ok = False
        return ok

    def on_model_change(self, form, model, is_created):
        """Store roles and hash a new password; a new account needs one (checked again here, as
        every path that saves passes through)."""
        roles = current_app.extensions["daiban"].roles
        unknown = [r for r in form.role_ids.data or [] if r not in roles]
        if unknown or not form.role_ids.data:
            raise ValueError("请选择至少一个已配置的角色")
        model.role_ids = form.role_ids.data
        password = form.new_password.data
        if is_created and not password:
            raise ValueError("新用户必须设置密码")
        if password:
            settings = current_app.extensions["daiban"].security
            try:
                if is_created:
                    check_password_strength(password, model.username, settings)
                else:
                    check_new_password(model, password, settings)
            except PasswordTooWeak as exc:
                raise ValueError(str(exc)) from None
            if not is_created:
                remember_password(model)  # in the view's transaction, with the update itself
            model.password_hash = generate_password_hash(password)
            model.session_version = (model.session_version or 0) + 1  # sessions with the old one end
        if not is_created and not model.active:
            model.session_version = (model.session_version or 0) + 1  # a disabled account is signed out

    @action("sign_out", "强制下线", "确定要让选中的用户在所有设备上退出登录吗？")
    def action_sign_out(self, ids):
        """Sign the selected accounts out everywhere (every session issued before ends)."""
        if not self.can_edit:
            abort(403)
        done = 0
        for record_id in ids:
            record = self.get_one(record_id)
            if record is not None:
                with database.atomic():
                    revoke_sessions(record)
                    self._audit("update", record, summary=f"{record}：强制下线（所有会话失效）")
                done += 1
        flash(f"已让 {done} 个用户在所有设备上退出登录", "success")

    def handle_view_exception(self, exc):
        """Show our own validation messages as they are."""
        if isinstance(exc, ValueError):
            flash(str(exc), "error")
            return True
        return super().handle_view_exception(exc)


class MatterVersionView(ScopedModelView):
    """事项版本: published versions, read-only."""

    resource = "matter_version"
    read_only = True
    grows = False
    column_list = ("code", "version", "name", "domain", "status", "effective_from",
                   "effective_until", "published_by", "published_at")
    column_sortable_list = ("code", "domain", "effective_from")
    column_searchable_list = ("code",)
    column_filters = ("domain", "status", "effective_from")
    column_default_sort = [("code", False), ("version", True)]
    column_details_exclude_list = ("content", "search_initials", "search_pinyin")
    column_formatters = {
        "status": lambda v, c, m, n: "已撤销" if m.status == "withdrawn" else "有效",
        "published_by": lambda v, c, m, n: person_of(m.published_by),
        "published_at": _seconds,
    }
    column_formatters_detail = column_formatters


class AuditLogView(LiveFilters, ScopedModelView):
    """审计日志: read-only; nothing in the app edits or deletes an audit record. Times to the second,
    people by name and unit, roles and events in words, filters by user, event and date."""

    resource = "audit_log"
    read_only = True
    column_list = ("at", "actor", "roles", "ip", "action", "object_type", "object_id", "summary",
                   "outcome")
    column_labels = {"outcome": "结果", "action": "事件"}
    column_sortable_list = ("at", "actor", "action")
    column_searchable_list = ("actor", "summary")
    column_filters = (
        FilterEqual(AuditLog.actor, "操作人", options=account_choices),
        FilterEqual(AuditLog.action, "事件", options=list(AUDIT_ACTIONS.items())),
        FilterEqual(AuditLog.outcome, "结果", options=list(AUDIT_OUTCOMES.items())),
        DayFilter(AuditLog.at, "日期"),
        FromDayFilter(AuditLog.at, "日期"),
        UntilDayFilter(AuditLog.at, "日期"),
        FilterEqual(AuditLog.object_type, "对象类型", options=list(OBJECT_TYPES.items())),
    )
    column_default_sort = ("at", True)
    column_formatters = {
        "at": _seconds,
        "actor": lambda v, c, m, n: person_of(m.actor),
        "roles": lambda v, c, m, n: _role_list(m.roles),
        "action": lambda v, c, m, n: AUDIT_ACTIONS.get(m.action, m.action),
        "outcome": lambda v, c, m, n: AUDIT_OUTCOMES.get(m.outcome, m.outcome),
        "object_type": lambda v, c, m, n: OBJECT_TYPES.get(m.object_type, m.object_type),
    }
    column_formatters_detail = column_formatters


VIEWS = (
    (OrgUnitView, OrgUnit, "组织机构"),
    (ServiceCenterView, ServiceCenter, "组织机构"),
    (DepartmentView, Department, "组织机构"),
    (AgentView, Agent, "组织机构"),
    (UserView, User, "系统管理"),
    (MatterVersionView, MatterVersion, "事项目录"),
    (AuditLogView, AuditLog, "系统管理"),
)
