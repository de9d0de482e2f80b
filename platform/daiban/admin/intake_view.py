"""The agent's generated intake form: find a matter, fill its form, see eligibility as you type.

The form is built at run time from the matter version in force. Visibility, requirement and
eligibility are decided on the server by the intake engine (one interpreter): the page posts the
form to `check` as the agent types, and a plain post does the same without JavaScript.
"""

from __future__ import annotations

import datetime

from flask import abort, current_app, jsonify, request
from flask_admin import BaseView, expose
from flask_login import current_user

from daiban.admin.base import RoleGuard
from daiban.catalog.model import CHANNEL_LABELS, Matter
from daiban.intake.eligibility import check_eligibility
from daiban.intake.validation import validate_intake
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
            values[field.id] = [entries[i] for i in sorted(entries)]
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


class IntakeView(RoleGuard, BaseView):
    """受理: the agent's matter search and the generated intake form."""

    resource = "case"

    def is_accessible(self):
        """Agents who may create cases."""
        return self.allowed("create")

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

    def _assess(self, matter: Matter, values: dict):
        today = datetime.date.today()
        intake = validate_intake(matter, values, today)
        confirmed = set(request.form.getlist("confirmed"))
        return intake, check_eligibility(matter, values, today, confirmed)

    @expose("/<code>/", methods=("GET", "POST"))
    def form(self, code: str):
        """The intake form generated from the matter version in force."""
        matter = self._matter(code)
        values = form_values(matter, request.form) if request.method == "POST" else {}
        intake, eligibility = self._assess(matter, values)
        checked = request.method == "POST"
        ref = current_app.extensions["daiban"]
        return self.render(
            "admin/intake/form.html", matter=matter, values=values, intake=intake,
            eligibility=eligibility, checked=checked, organisation=ref.organisation,
            channel_labels=CHANNEL_LABELS,
            group_rows={f.id: max(1, len(values.get(f.id) or [])) + (1 if request.form.get("op") ==
                                                                     f"add:{f.id}" else 0)
                        for f in matter.fields if f.type == "group"},
        )

    @expose("/<code>/check", methods=("POST",))
    def check(self, code: str):
        """JSON for the live form: visible and required fields, errors, eligibility."""
        matter = self._matter(code)
        intake, eligibility = self._assess(matter, form_values(matter, request.form))
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
        })
