"""The agent's generated intake form: find a matter, fill its form, see eligibility as you type.

The form is built at run time from the matter version in force. Visibility, requirement and
eligibility are decided on the server by the intake engine (one interpreter): the page posts the
form to `check` as the agent types, and a plain post does the same without JavaScript.

Nothing typed is lost: whatever stops 受理并建档 or 只是咨询 (a wrong field, the 办理人 block, an
ineligible applicant, a case already in progress, a busy database, a page gone stale) answers
the same form again with every value and every group row as posted and each message beside its
field, never a redirect to an empty form.
"""

from __future__ import annotations

import dataclasses
import datetime

import peewee
from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from daiban import audit
from daiban.admin.base import RoleGuard, current_principal
from daiban.admin.error_summary import intake_links
from daiban.cases.applicant import with_acting
from daiban.catalog.model import CHANNEL_LABELS, Matter
from daiban.db import database
from daiban.intake import acting as acting_block
from daiban.intake.eligibility import Eligibility, check_eligibility
from daiban.intake.schema import is_blank
from daiban.intake.validation import IntakeResult, validate_intake
from daiban.models import CASE_CHANNELS, Agent, Consultation
from daiban.ops.busy import is_busy
from daiban.publishing import compiled, search_catalog, version_in_force

LEVEL_NAMES = {"village": "嘎查村", "township": "苏木乡镇", "banner": "旗级"}


def agent_level() -> str | None:
    """The level of the signed-in user's service center (None for department staff)."""
    center = current_user.user.center
    return center.level if center is not None else None


def version_for_agent(code: str):
    """The version in force of a matter the signed-in agent's level accepts; 404 otherwise."""
    row = version_in_force(code)
    level = agent_level()
    if row is None or (level is not None and level not in row.level_list):
        abort(404)
    return row


def form_values(matter: Matter, form) -> dict:
    """Raw values of the generated form: group entries from `group-INDEX-field` names."""
    values: dict = {}
    for field in matter.fields:
        if field.type == "group":
            entries: dict[int, dict] = {}
            prefix = f"{field.id}-"
            for name in form:
                if name.startswith(prefix):
                    index, _, inner = name[len(prefix):].partition("-")
                    if _row_index(index) is not None and inner:
                        entry = entries.setdefault(_row_index(index), {})
                        entry[inner] = _one(form, name, field.fields, inner)
            # A row left wholly blank (the empty row the table always offers) is no entry.
            values[field.id] = [entries[i] for i in sorted(entries)
                                if not all(is_blank(v) for v in entries[i].values())]
        elif field.id in form:
            values[field.id] = _one(form, field.id, matter.fields, field.id)
    return values


def _row_index(text: str) -> int | None:
    """A group row's index from a field name: up to three ASCII digits ("²" is a digit to
    str.isdigit but not to int, and a 5000-digit number is past int()'s limit)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else None


def _one(form, name: str, fields, field_id: str):
    field = next((f for f in fields if f.id == field_id), None)
    if field is not None and field.type == "multi_choice":
        return form.getlist(name)
    value = form.get(name, "")
    if field is not None and field.type == "boolean":
        return {"true": True, "false": False}.get(value)
    return value


NOTE_MAX = 200  # a consultation's one-line note
STALE_MESSAGE = ("页面已过期（可能在别处重新登录过，CSRF 校验未通过），本次没有保存。"
                 "您填写的内容都保留着，请核对后再提交一次。")
BUSY_MESSAGE = "系统繁忙，本次没有建档。您填写的内容都保留着，请稍候几秒再点“受理并建档”。"
FAILED_MESSAGE = "建档失败：审计记录或办件未能写入，办件没有建立。您填写的内容都保留着，请稍后重试。"


def agent_identity() -> acting_block.AgentIdentity:
    """The signed-in agent as the 委托代理人 of a proxy case: name and ID number from their account
    and its agent profile (代办员), not retyped."""
    user = current_user.user
    profile = (Agent.select().where((Agent.user == user.id) & (Agent.status == "active"))
               .order_by(Agent.id).first())
    return acting_block.AgentIdentity(user.display_name, user.username,
                                      profile.id_number if profile is not None else None)


# Matter fields that name the agent acting, with what of the account fills each when left blank.
FROM_ACCOUNT = {"agent_name": "name", "agent_id_number": "id_number"}


def fill_from_account(matter: Matter, values: dict, identity: acting_block.AgentIdentity) -> dict:
    """Where the matter's own form asks for the agent's name or ID number and the agent acts, take
    them from the agent's account when they were left blank."""
    if values.get("applicant_type") != "agent":
        return values
    filled = dict(values)
    for field_id, attribute in FROM_ACCOUNT.items():
        known = getattr(identity, attribute)
        if matter.field(field_id) is not None and known and not str(values.get(field_id) or "").strip():
            filled[field_id] = known
    return filled


@dataclasses.dataclass
class FormState:
    """One look at a posted intake form: the matter's fields, the 办理人 block, eligibility, and
    every message by the path of its field (`acting.role`, `members.0.id_number` …)."""

    matter: Matter
    values: dict
    intake: IntakeResult
    eligibility: Eligibility
    raw_acting: dict
    acting: acting_block.Acting | None
    errors: dict = dataclasses.field(default_factory=dict)
    mode: str = "assist"
    channel: str = ""

    @property
    def ok(self) -> bool:
        """True when nothing needs correcting."""
        return not self.errors

    def add(self, path: str, message: str) -> None:
        """Put one more message beside a field."""
        self.errors.setdefault(path, []).append(message)


def assess(matter: Matter, form) -> FormState:
    """Read and check a posted intake form on today's date."""
    today = datetime.date.today()
    identity = agent_identity()
    values = fill_from_account(matter, form_values(matter, form), identity)
    mode = form.get("mode", "assist")
    intake = validate_intake(matter, values, today)
    eligibility = check_eligibility(matter, values, today, set(form.getlist("confirmed")))
    raw = acting_block.raw_acting(form)
    checked, acting_errors = acting_block.check_acting(matter, intake.values, raw, mode, today, identity)
    return FormState(matter, values, intake, eligibility, raw, checked,
                     {**intake.errors, **acting_errors}, mode, form.get("channel", ""))


def applicant_path(matter: Matter) -> str:
    """The path of the applicant's ID number field, where messages about the applicant go."""
    found = next((f for f in matter.fields if f.type == "id_number"), None)
    return found.id if found is not None else "acting.role"


def render_form(view, matter: Matter, state: FormState | None, *, checked: bool,
                notice: str | None = None, existing=None, status: int = 200):
    """The intake form, filled with what was posted (empty when `state` is None)."""
    if state is None:
        state = _empty_state(matter)
    ref = current_app.extensions["daiban"]
    op = request.form.get("op", "") if request.method == "POST" else ""
    age = acting_block.applicant_age(matter, state.intake.values, datetime.date.today())
    role = state.raw_acting.get("role") or acting_block.default_role(matter, state.values, state.mode)
    incapable = state.raw_acting.get("incapable", "").lower() in acting_block.TRUE_WORDS
    rows = {f.id: max(1, len(state.values.get(f.id) or [])) for f in matter.fields if f.type == "group"}
    # 添加一行 is no check: the new row takes the focus, and nothing is marked wrong yet.
    added = {f.id: rows[f.id] for f in matter.fields if f.type == "group" and op == f"add:{f.id}"}
    checked = checked and not added
    errors = state.errors if checked else {}
    page = view.render(
        "admin/intake/form.html", matter=matter, values=state.values, intake=state.intake,
        errors=errors, summary=intake_links(matter, errors), eligibility=state.eligibility, checked=checked,
        organisation=ref.organisation, channel_labels=CHANNEL_LABELS, notice=notice,
        existing=existing, mode=state.mode, channel=state.channel,
        acting=state.raw_acting, acting_role=role, acting_roles=acting_block.ACTING_ROLES,
        relations=acting_block.GUARDIAN_RELATIONS, applicant_age=age, adult_age=acting_block.ADULT_AGE,
        show_guardian=acting_block.needs_guardian(role, age, incapable) and matter.guardian_allowed,
        agent=agent_identity(), note=request.form.get("consult-note", request.form.get("note", "")),
        group_rows={group: count + (1 if group in added else 0) for group, count in rows.items()},
        added=added,
    )
    return page, status


def _empty_state(matter: Matter) -> FormState:
    today = datetime.date.today()
    intake = validate_intake(matter, {}, today)
    return FormState(matter, {}, intake, check_eligibility(matter, {}, today, set()), {}, None)


def open_from_form(view, code: str):
    """受理并建档: open a case from the posted form, or answer the form again, as typed, saying why."""
    from daiban.cases.service import CaseError, DuplicateCase, open_case  # cases build on intake

    row = version_for_agent(code)
    matter = compiled(row)
    state = assess(matter, request.form)
    posted = request.form.get("version", "")
    if posted and posted != str(matter.version):
        return render_form(view, matter, state, checked=True, notice=(
            f"本事项已更新为第 {matter.version} 版（您打开页面时是第 {posted} 版），本次没有建档。"
            "您填写的内容都保留着，已按新版本检查，请核对后再提交。"))
    if not state.ok:
        return render_form(view, matter, state, checked=True,
                           notice="本次没有建档：已在各栏旁标出，您填写的内容都保留着。")
    if state.eligibility.verdict != "eligible":
        reasons = state.eligibility.unmet + state.eligibility.applies
        message = ("不符合受理条件：" + "；".join(reasons)) if reasons else "还有条件待核实，请逐项确认"
        return render_form(view, matter, state, checked=True, notice=message + "。本次没有建档。")
    from daiban.admin.case_view import applicant_from  # the case screens build on this module

    user = current_user.user
    today = datetime.date.today()
    ref = current_app.extensions["daiban"]
    try:
        case = open_case(matter, row, with_acting(state.intake.values, state.acting), state.mode,
                         state.channel or "window", user, user.center, today, ref.calendar,
                         workflow=ref.workflow, applicant=applicant_from(matter, state.intake.values))
    except DuplicateCase as exc:  # a second post of the form, or the applicant already has one
        principal = current_principal()
        message = exc.message_for(principal)  # the case's number and link only within the scope
        state.add(applicant_path(matter), message)
        return render_form(view, matter, state, checked=True,
                           existing=exc.existing if exc.visible_to(principal) else None,
                           notice=f"{message}。本次没有建档，您填写的内容都保留着。")
    except CaseError as exc:
        return render_form(view, matter, state, checked=True,
                           notice=f"未能建档：{exc}。您填写的内容都保留着。")
    except (peewee.DatabaseError, OSError) as exc:
        current_app.logger.exception("opening a case of %s failed", code)
        busy = isinstance(exc, peewee.DatabaseError) and is_busy(exc)
        return render_form(view, matter, state, checked=True, notice=BUSY_MESSAGE if busy else FAILED_MESSAGE,
                           status=503 if busy else 500)
    flash(f"已建档：办件编号 {case.number}", "success")
    return redirect(url_for("cases.details", case_id=case.id))


def consult_from_form(view, code: str):
    """只是咨询，不建档: record a consultation with its one-line note, or answer the form again."""
    if not current_principal().can("consultation", "create"):
        abort(403)
    row = version_in_force(code)
    if row is None:
        abort(404)
    channel = request.form.get("channel", "window")
    note = " ".join(request.form.get("consult-note", request.form.get("note", "")).split())
    problems = {}
    if channel not in CASE_CHANNELS:  # the column holds a channel's id (PostgreSQL: 16 characters)
        problems["channel"] = "请选择受理渠道（窗口办理、上门办等）"
    if not note:
        problems["consult-note"] = "请写一句咨询了什么（如“问高龄津贴怎么申请”），再记为咨询"
    elif len(note) > NOTE_MAX:
        problems["consult-note"] = f"咨询内容写一句即可，最多 {NOTE_MAX} 个字"
    if problems:
        matter = compiled(row)
        state = assess(matter, request.form)
        state.errors = {path: [message] for path, message in problems.items()}
        return render_form(view, matter, state, checked=True,
                           notice="没有记为咨询：" + "；".join(problems.values()))
    user = current_user.user
    with database.atomic():  # no consultation without its audit row
        record = Consultation.create(agent=user, center=user.center, matter_code=code, channel=channel,
                                     note=note)
        audit.record("create", user.username, roles=user.roles, ip=request.remote_addr or "",
                     object_type="consultation", object_id=record.id, summary=f"咨询 {code}")
    flash("已记录为咨询（未建档）", "success")
    return redirect(url_for("cases.index"))


class IntakeView(RoleGuard, BaseView):
    """受理: the agent's matter search and the generated intake form."""

    resource = "case"

    def is_accessible(self):
        """Agents who may create cases."""
        return self.allowed("create")

    def create_blueprint(self, admin):
        """The view's blueprint, with a page gone stale (CSRF) answered by the form as typed."""
        blueprint = super().create_blueprint(admin)
        blueprint.register_error_handler(CSRFError, self._stale)
        return blueprint

    def _stale(self, error):
        code = (request.view_args or {}).get("code")
        row = version_in_force(code) if code is not None else None
        if row is None or not current_user.is_authenticated or not self.allowed("create"):
            message = "页面已过期或请求来源不明（CSRF 校验失败），请刷新页面后重试。"
            return render_template("error.html", title="请求被拒绝", message=message), 400
        matter = compiled(row)
        return render_form(self, matter, assess(matter, request.form), checked=True,
                           notice=STALE_MESSAGE, status=400)

    def _matter(self, code: str) -> Matter:
        return compiled(version_for_agent(code))

    @expose("/")
    def index(self):
        """Find a matter by name, code or pinyin, among those the agent's level accepts."""
        query = request.args.get("q", "")
        level = agent_level()
        rows = search_catalog(query, level)
        return self.render("admin/intake/search.html", rows=rows, query=query,
                           level_name=LEVEL_NAMES.get(level or "", "全部层级"))

    @expose("/<code>/", methods=("GET", "POST"))
    def form(self, code: str):
        """The intake form generated from the matter version in force; 检查 posts it here."""
        matter = self._matter(code)
        if request.method != "POST":
            return render_form(self, matter, None, checked=False)
        return render_form(self, matter, assess(matter, request.form), checked=True)

    @expose("/<code>/open", methods=("POST",))
    def open(self, code: str):
        """受理并建档 from this form."""
        return open_from_form(self, code)

    @expose("/<code>/consult", methods=("POST",))
    def consult(self, code: str):
        """只是咨询，不建档, from this form."""
        return consult_from_form(self, code)

    @expose("/<code>/check", methods=("POST",))
    def check(self, code: str):
        """JSON for the live form: visible and required fields, errors, eligibility, 办理人."""
        matter = self._matter(code)
        state = assess(matter, request.form)
        intake, eligibility = state.intake, state.eligibility
        age = acting_block.applicant_age(matter, intake.values, datetime.date.today())
        role = state.raw_acting.get("role") or acting_block.default_role(matter, state.values, state.mode)
        incapable = state.raw_acting.get("incapable", "").lower() in acting_block.TRUE_WORDS
        return jsonify({
            "visible": sorted(intake.visible),
            "required": sorted(intake.required),
            "errors": intake.errors,
            "derived": intake.derived,
            "verdict": eligibility.verdict,
            "unmet": eligibility.unmet,
            "applies": eligibility.applies,
            "checklist": [{"id": c.id, "text": c.text, "confirmed": c.confirmed}
                          for c in eligibility.checklist],
            "acting": {
                "errors": {k: v for k, v in state.errors.items() if k.startswith("acting.")},
                "guardian": acting_block.needs_guardian(role, age, incapable) and matter.guardian_allowed,
            },
        })
