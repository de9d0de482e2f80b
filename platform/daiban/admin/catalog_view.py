"""The catalog in the browser: matters with status, the editor (form and YAML), review, history, export.

Every step goes through `daiban.catalog_editing`, so the browser follows the same rules as the
CLI; this module only turns requests into those calls and their results into pages.
"""

from __future__ import annotations

import datetime
import difflib
import io
import zipfile

from flask import abort, current_app, flash, redirect, request, send_file
from flask_admin import BaseView, expose
from flask_login import current_user

from daiban import audit
from daiban.accounts import people_labels
from daiban.admin.base import RoleGuard, current_principal
from daiban.admin.error_summary import ErrorLink, schema_links
from daiban.catalog.diff import diff_matters
from daiban.catalog.loader import Catalog
from daiban.catalog.schemas import fill_defaults
from daiban.catalog.yamltext import dump_document
from daiban.catalog_editing import (
    STATUS_LABELS,
    Actor,
    DraftIncomplete,
    EditingRefused,
    approve_and_publish,
    check_document,
    check_yaml,
    export_catalog,
    missing_required,
    open_draft,
    save_draft,
    send_back,
    start_draft,
    start_withdrawal,
    submit,
)
from daiban.models import MatterDraft, MatterVersion
from daiban.publishing import history, version_in_force

NEW_MATTER = {
    "code": "", "version": 1, "name": "", "domain": "", "matter_type": "public_service",
    "levels": ["village", "township"], "responsible_unit": "", "effective_from": "",
    "fields": [], "conditions": [], "exclusions": [], "materials": [],
}


def _reference_catalog() -> Catalog:
    ref = current_app.extensions["daiban"]
    return Catalog(current_app.config["CONFIG_DIR"], organisation=ref.organisation, roles=ref.roles,
                   domains=ref.domains, calendar=ref.calendar)


def _actor() -> Actor:
    principal = current_principal()
    return Actor(principal.username, ",".join(r.id for r in principal.roles), request.remote_addr or "")


def _schema_form():
    from daiban.admin.schema_form import matter_form

    return matter_form()


class MatterCatalogView(RoleGuard, BaseView):
    """事项目录管理: list, edit, review, publish, withdraw, history and export."""

    resource = "matter"

    def _require(self, action: str) -> None:
        if not self.allowed(action):
            abort(403)

    def _in_scope(self, responsible_unit: str) -> bool:
        principal = current_principal()
        return principal.scope != "department" or responsible_unit == principal.department_code

    def _draft(self, draft_id: int) -> MatterDraft:
        draft = MatterDraft.get_or_none(MatterDraft.id == draft_id)
        if draft is None or not self._in_scope(draft.responsible_unit):
            abort(404)
        return draft

    # ---- list ---------------------------------------------------------------------------
    @expose("/")
    def index(self):
        """Every matter with its status, version in force and open draft."""
        ref = current_app.extensions["daiban"]
        domain = request.args.get("domain", "")
        level = request.args.get("level", "")
        today = datetime.date.today()
        latest: dict[str, MatterVersion] = {}
        for row in MatterVersion.select().order_by(MatterVersion.code, MatterVersion.version):
            latest[row.code] = row
        drafts = {d.code: d for d in MatterDraft.select().where(
            MatterDraft.status.in_(("draft", "in_review", "returned"))).order_by(MatterDraft.id)}
        rows = []
        for code in sorted(set(latest) | set(drafts)):
            last, draft = latest.get(code), drafts.get(code)
            unit = last.responsible_unit if last else draft.responsible_unit
            if not self._in_scope(unit):
                continue
            if domain and (last is None or last.domain != domain):
                continue
            if level and (last is None or level not in last.level_list):
                continue
            rows.append({
                "code": code, "name": (last or draft).name, "last": last, "draft": draft,
                "in_force": version_in_force(code, today),
                "status": STATUS_LABELS[draft.status] if draft else STATUS_LABELS[last.status],
            })
        return self.render("admin/catalog/index.html", rows=rows, domains=ref.domains,
                           domain=domain, level=level, can_edit=self.allowed("edit"),
                           people=people_labels(r["draft"].author for r in rows if r["draft"]),
                           can_export=self.allowed("export"))

    # ---- editor -------------------------------------------------------------------------
    @expose("/new/", methods=("GET", "POST"))
    def new(self):
        """Start a new matter: the editor on an empty document."""
        self._require("create")
        if request.method == "POST":
            document = _schema_form().parse(request.form)
            code = str(document.get("code") or "").strip()
            problems = check_document(document, _reference_catalog())
            if not code:
                flash("请填写事项编码", "error")
            elif missing_required(problems):
                flash(str(DraftIncomplete(missing_required(problems))), "error")
            else:
                try:
                    draft = start_draft(code, _actor(), document)
                except EditingRefused as exc:
                    flash(str(exc), "error")
                else:
                    return redirect(self.get_url(".edit", code=draft.code))
            return self._editor(None, document, problems)
        return self._editor(None, dict(NEW_MATTER), [])

    @expose("/edit/<code>/", methods=("GET", "POST"))
    def edit(self, code: str):
        """The editor: the schema-generated form, or the raw YAML tab."""
        self._require("edit")
        latest = history(code)
        unit = latest[-1].responsible_unit if latest else None
        if unit is not None and not self._in_scope(unit):
            abort(404)
        try:
            draft = open_draft(code) or start_draft(code, _actor())
        except EditingRefused as exc:
            flash(str(exc), "error")
            return redirect(self.get_url(".index"))
        catalog = _reference_catalog()
        if request.method == "GET":
            return self._editor(draft, draft.document, check_document(draft.document, catalog))
        tab = request.form.get("tab", "form")
        if tab == "yaml":
            document, problems = check_yaml(request.form.get("yaml_text", ""), catalog)
            if document is None or not isinstance(document, dict):
                return self._editor(draft, draft.document, problems, tab="yaml",
                                    yaml_text=request.form.get("yaml_text", ""))
        else:
            form = _schema_form()
            document = form.parse(request.form)
            op = request.form.get("op")
            if op:
                from daiban.admin.schema_form import apply_operation

                document = apply_operation(document, op)
                return self._editor(draft, document, check_document(document, catalog))
            problems = check_document(document, catalog)
        try:
            draft = save_draft(draft, document, _actor(), catalog)
        except DraftIncomplete as exc:
            flash(str(exc), "error")
            return self._editor(draft, document, problems, tab=tab,
                                yaml_text=request.form.get("yaml_text") if tab == "yaml" else None)
        except EditingRefused as exc:
            flash(str(exc), "error")
            return self._editor(draft, document, problems, tab=tab)
        if problems:
            flash(f"草稿已保存，但还有 {len(problems)} 个问题需要修正（见各项旁的提示）", "warning")
        else:
            flash("草稿已保存，检查通过，可以提交审核", "success")
        return self._editor(draft, document, problems, tab=tab,
                            yaml_text=request.form.get("yaml_text") if tab == "yaml" else None)

    def _editor(self, draft, document, problems, tab="form", yaml_text=None):
        errors: dict[str, list[str]] = {}
        for problem in problems:
            errors.setdefault(problem.pointer, []).append(problem.message)
        ref = current_app.extensions["daiban"]
        choices = {
            "/domain": [(d.id, d.name) for d in ref.domains.values()],
            "/responsible_unit": [(d.id, d.name) for d in ref.organisation.departments.values()],
        }
        form = _schema_form()
        summary = schema_links(form, document, [(p.pointer, p.message) for p in problems])
        yaml_summary = [ErrorLink("yaml-text", (f"第 {p.line} 行：" if p.line > 1 else "") + link.text)
                        for p, link in zip(problems, summary, strict=True)]
        return self.render(
            "admin/catalog/edit.html", draft=draft, document=document, problems=problems,
            summary=summary, yaml_summary=yaml_summary, form_html=form.render(document, errors, choices),
            tab=tab,
            yaml_text=yaml_text if yaml_text is not None else dump_document(document),
            can_submit=self.allowed("submit"), status_labels=STATUS_LABELS,
            people=people_labels([draft.author, draft.reviewer] if draft else []),
        )

    # ---- workflow -----------------------------------------------------------------------
    @expose("/draft/<int:draft_id>/submit/", methods=("POST",))
    def submit_draft(self, draft_id: int):
        """Send a draft for review."""
        self._require("submit")
        draft = self._draft(draft_id)
        try:
            submit(draft, _actor(), _reference_catalog())
            flash("已提交审核，请等待另一位审核人员审核发布", "success")
        except EditingRefused as exc:
            flash(str(exc), "error")
            return redirect(self.get_url(".edit", code=draft.code))
        return redirect(self.get_url(".index"))

    @expose("/draft/<int:draft_id>/review/", methods=("GET", "POST"))
    def review(self, draft_id: int):
        """Review a draft: the changes against the latest version, then publish or send back."""
        self._require("approve")
        draft = self._draft(draft_id)
        if request.method == "POST":
            try:
                if request.form.get("decision") == "return":
                    send_back(draft, _actor(), request.form.get("comment", ""))
                    flash("已退回修改", "info")
                else:
                    self._require("publish")
                    effective = datetime.date.fromisoformat(request.form.get("effective_from", ""))
                    row = approve_and_publish(draft, _actor(), effective, _reference_catalog())
                    flash(f"已发布 {row.code} 第 {row.version} 版，{row.effective_from} 起生效", "success")
                return redirect(self.get_url(".index"))
            except ValueError:
                flash("请填写有效的生效日期（YYYY-MM-DD）", "error")
            except EditingRefused as exc:
                flash(str(exc), "error")
        versions = history(draft.code)
        before = fill_defaults("matter", versions[-1].document) if versions else None
        after = fill_defaults("matter", draft.document) if not check_document(
            draft.document, _reference_catalog()) else draft.document
        return self.render(
            "admin/catalog/review.html", draft=draft, changes=diff_matters(before, after),
            side_by_side=_side_by_side(versions[-1].document if versions else {}, draft.document,
                                       "已发布版本", "草稿"),
            today=datetime.date.today(), status_labels=STATUS_LABELS,
            is_author=draft.author == current_principal().username,
            people=people_labels([draft.author, draft.reviewer]),
        )

    @expose("/withdraw/<code>/", methods=("POST",))
    def withdraw(self, code: str):
        """Open a withdrawal draft, reviewed like any change."""
        self._require("edit")
        versions = history(code)
        if not versions or not self._in_scope(versions[-1].responsible_unit):
            abort(404)
        try:
            start_withdrawal(code, _actor())
            flash("已生成撤销草稿，请提交审核", "info")
        except EditingRefused as exc:
            flash(str(exc), "error")
        return redirect(self.get_url(".edit", code=code))

    # ---- history and export -------------------------------------------------------------
    @expose("/history/<code>/")
    def versions(self, code: str):
        """A matter's versions, and any two side by side."""
        rows = history(code)
        if not rows or not self._in_scope(rows[-1].responsible_unit):
            abort(404)
        by_version = {r.version: r for r in rows}
        a = request.args.get("a", type=int) or (rows[-2].version if len(rows) > 1 else rows[-1].version)
        b = request.args.get("b", type=int) or rows[-1].version
        if a not in by_version or b not in by_version:
            abort(404)
        old, new = by_version[a], by_version[b]
        changes = diff_matters(fill_defaults("matter", old.document), fill_defaults("matter", new.document))
        return self.render(
            "admin/catalog/history.html", code=code, rows=rows, a=a, b=b,
            current=version_in_force(code), today=datetime.date.today(),
            changes=changes, people=people_labels(r.published_by for r in rows),
            side_by_side=_side_by_side(old.document, new.document, f"第 {a} 版", f"第 {b} 版"),
        )

    @expose("/export/")
    def export(self):
        """Download the published catalog as a zip of YAML files, in the hand-written format."""
        self._require("export")
        files = export_catalog()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for relative, text in files.items():
                archive.writestr(relative, text)
        buffer.seek(0)
        audit.record("export", current_user.principal.username, ip=request.remote_addr or "",
                     object_type="matter_version", summary=f"导出事项目录 {len(files)} 个文件")
        name = f"catalog-{datetime.date.today().isoformat()}.zip"
        return send_file(buffer, mimetype="application/zip", as_attachment=True, download_name=name)


def _side_by_side(old: dict, new: dict, old_title: str, new_title: str) -> str:
    """An HTML table of the two documents' YAML, side by side, changes highlighted."""
    return difflib.HtmlDiff(wrapcolumn=70).make_table(
        dump_document(old).splitlines(), dump_document(new).splitlines(), old_title, new_title,
        context=True, numlines=3,
    )
