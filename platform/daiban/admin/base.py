"""The one base view every admin screen inherits: permissions and data scope at every entry point.

Flask-Admin's peewee backend reaches records by several doors: list and count (`get_query`),
details/edit/delete by id (`get_one`), bulk actions (`action_delete`), ajax lookups
(`_create_ajax_loader`), inline edits (`ajax_update`) and export. Each is overridden here to go
through `daiban.access.scoped`, so a record outside the user's scope is simply not found.

An edit is saved only over the record its form was made from (optimistic concurrency without a
version column): the edit form carries a hidden digest of the record's stored values, and the
save compares it with the row as it is inside the write transaction; another administrator's
save in between is refused with "已被他人修改", never silently overwritten.
"""

from __future__ import annotations

import hashlib
import json
import logging

import peewee
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext
from flask_admin.contrib.peewee import ModelView
from flask_admin.contrib.peewee.ajax import QueryAjaxModelLoader
from flask_admin.model.fields import AjaxSelectField
from flask_login import current_user
from flask_wtf import FlaskForm
from playhouse.shortcuts import model_to_dict
from wtforms import HiddenField

from daiban import audit
from daiban.access import scoped
from daiban.db import MAX_ID, database, is_postgres, parse_id
from daiban.models import model_label
from daiban.web.sessions import return_path

AUDIT_FAILED = "保存失败：审计记录未能写入，本次修改没有保存，请稍后重试"
EDIT_CONFLICT = "该记录已被他人修改，您的修改没有保存：请重新打开该记录，核对后再修改"
VERSION_FIELD = "row_version"  # the edit form's hidden digest of the record it was made from

log = logging.getLogger(__name__)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Flask-Admin's list builds its links with get_url(endpoint, export_type=…, **request.args): a
# query parameter named like one of get_url's or url_for's own arguments (`_method`, `_scheme` …)
# would be passed twice or change the link, and raise.
LINK_ARGUMENTS = ("endpoint", "export_type")


def _link_argument(name: str) -> bool:
    return name in LINK_ARGUMENTS or name.startswith("_")


def current_principal():
    """The signed-in user's Principal, or None outside a signed-in request."""
    if current_user and current_user.is_authenticated:
        return current_user.principal
    return None


def in_scope_or_404(model, record_id: int):
    """The record of `model` with this id if the signed-in user's scope covers it; 404 otherwise
    (never 403: that would tell the user the record exists)."""
    record_id = parse_id(record_id)
    if record_id is None:
        abort(404)
    record = scoped(model.select(), model, current_principal()).where(model.id == record_id).first()
    if record is None:
        abort(404)
    return record


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """Ajax lookups that only offer records inside the user's scope."""

    def get_one(self, pk):
        """The record with this key, if in scope (a garbled key finds nothing)."""
        pk = parse_id(pk)
        if pk is None:
            return None
        return scoped(self.model.select(), self.model, current_principal()).where(
            getattr(self.model, self.pk) == pk).first()

    def get_list(self, term, offset=0, limit=10):
        """Matching records inside the user's scope."""
        query = scoped(self.model.select(), self.model, current_principal())
        if term:
            condition = None
            for field in self._cached_fields:
                clause = field ** f"%{term}%"
                condition = clause if condition is None else condition | clause
            query = query.where(condition)
        return list(query.offset(offset or 0).limit(limit))


class RoleGuard:
    """Mixin for admin views: access follows the roles' permissions on one resource."""

    resource: str = ""  # the permission resource of config/roles/
    read_only = False

    def allowed(self, action: str) -> bool:
        """True when the signed-in user's roles allow `action` on this view's resource."""
        principal = current_principal()
        if principal is None:
            return False
        if self.read_only and action not in ("view", "export"):
            return False
        return principal.can(self.resource, action)

    def is_accessible(self):
        """Only signed-in users whose roles may view this resource see the screen."""
        return self.allowed("view")

    def inaccessible_callback(self, name, **kwargs):
        """Send strangers to the login page; refuse signed-in users with 403."""
        if current_principal() is None:
            return redirect(url_for("auth.login", next=return_path()))
        abort(403)


class EditConflict(Exception):
    """The record changed since its edit form was made."""


class ScopedModelView(RoleGuard, ModelView):
    """A model view whose every entry point honours roles and data scope."""

    form_base_class = FlaskForm  # CSRF on every form, action and delete
    can_view_details = True
    can_set_page_size = False
    page_size = 20
    simple_list_pager = True  # no COUNT(*) over large tables
    export_max_rows = 5000
    export_types = ["csv"]
    masked_columns: tuple[str, ...] = ("phone",)
    # Tables that grow without bound must sort and filter on indexed columns only
    # (a test checks); small reference tables (departments, matter versions) may not.
    grows = True
    # Columns that change by themselves (sign-ins, lockouts), left out of the edit digest.
    concurrency_ignored: tuple[str, ...] = ("failed_logins", "locked_until", "last_login_at",
                                            "session_version")

    # ---- permissions --------------------------------------------------------------------
    @property
    def can_create(self):  # noqa: D102 - Flask-Admin reads these as attributes
        return self.allowed("create")

    @property
    def can_edit(self):  # noqa: D102
        return self.allowed("edit")

    @property
    def can_delete(self):  # noqa: D102
        return self.allowed("delete")

    @property
    def can_export(self):  # noqa: D102
        return self.allowed("export")

    def _handle_view(self, name, **kwargs):
        """Refuse a return address (`url`) holding control characters: Flask-Admin would redirect
        to it (its safety check strips CR/LF before looking), and Werkzeug refuses the header."""
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        target = request.values.get("url")
        if target and any(ord(c) < 32 or ord(c) == 127 for c in target):
            return render_template("error.html", title="请求无效",
                                   message="请求中的返回地址（url）无效，请从菜单重新打开此页面。"), 400
        return None

    @expose("/")
    def index_view(self):
        """The list; a query parameter that would clash with its links' own arguments is dropped."""
        if any(_link_argument(name) for name in request.args):
            kept = {k: v for k, v in request.args.to_dict(flat=False).items() if not _link_argument(k)}
            return redirect(self.get_url(".index_view", **kept))
        return super().index_view()

    def _get_list_extra_args(self):
        """The list's page, sort, search and filters from the query; a page before the first or
        past any possible end is the first page (a huge offset overflows the driver, a negative
        one PostgreSQL refuses)."""
        view_args = super()._get_list_extra_args()
        if not 0 <= view_args.page <= MAX_ID // self.page_size:
            view_args.page = 0
        return view_args

    def _get_column_by_idx(self, idx):
        """The list column `?sort=` names, only if it is sortable: Flask-Admin looks up any list
        column's index and fails (KeyError) on one outside column_sortable_list."""
        column = super()._get_column_by_idx(idx)
        return column if column is not None and column[0] in self._sortable_columns else None

    # ---- scope --------------------------------------------------------------------------
    def get_query(self):
        """The records the user may see."""
        return scoped(self.model.select(), self.model, current_principal())

    def get_one(self, id):
        """A record by primary key, only if it is in the user's scope; a repeated or garbled id
        (`?id=3&id=3`, `?id=abc`) is not found: 404, the same page as a record out of scope."""
        record_id = parse_id(id)
        if record_id is None:
            abort(404)
        pk = getattr(self.model, self._primary_key)
        return self.get_query().where(pk == record_id).first()

    def validate_form(self, form):
        """Validate, and refuse a reference to a record out of scope: the scoped ajax loader does
        not find it, and Flask-Admin would quietly store a blank instead (moving, say, an agent
        out of the user's own scope)."""
        ok = super().validate_form(form)
        for field in form:
            sent = (field.raw_data or [""])[0] if isinstance(field, AjaxSelectField) else ""
            if sent not in ("", "__None") and field.data is None:
                field.errors = [*field.errors, "该记录不存在，或不在您的数据范围内"]
                ok = False
        return ok

    def _create_ajax_loader(self, name, options):
        remote = getattr(self.model, name).rel_model
        return ScopedAjaxLoader(name, remote, **options)

    # ---- changes ------------------------------------------------------------------------
    def _masked(self, data):
        """A record's dict for the audit log with every sealed column masked (never in clear)."""
        if not isinstance(data, dict):
            return data
        from daiban.cases.personal import mask_phone
        from daiban.security.fields import SealedCharField

        sealed = {name for name, f in self.model._meta.fields.items() if isinstance(f, SealedCharField)}
        return {k: (mask_phone(v) if k in sealed and isinstance(v, str) else v) for k, v in data.items()}

    def _audit(self, action: str, record, before=None, after=None, summary: str = ""):
        principal = current_principal()
        before, after = self._masked(before), self._masked(after)
        audit.record(
            action, principal.username if principal else "-",
            roles=",".join(r.id for r in principal.roles) if principal else "",
            ip=request.remote_addr or "", object_type=self.model._meta.table_name,
            object_id=getattr(record, "id", ""), summary=summary or str(record),
            before=before, after=after,
        )

    def create_model(self, form):
        """Create and audit in one transaction: no record without its audit row."""
        try:
            with database.atomic():
                record = super().create_model(form)
                if record:
                    self._audit("create", record, after=model_to_dict(record, recurse=False))
        except (peewee.DatabaseError, OSError):
            current_app.logger.exception("audited create of %s failed", self.model.__name__)
            flash(AUDIT_FAILED, "error")
            return False
        return record

    # ---- optimistic concurrency -----------------------------------------------------------
    def row_version(self, record) -> str:
        """A digest of the record's stored values (without the columns that change by themselves)."""
        values = {k: v for k, v in model_to_dict(record, recurse=False).items()
                  if k not in self.concurrency_ignored}
        text = json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get_edit_form(self):
        """The edit form, with the hidden digest of the record it is made from."""
        form_class = super().get_edit_form()
        return type(form_class.__name__, (form_class,), {VERSION_FIELD: HiddenField()})

    def edit_form(self, obj=None):
        """The edit form; a fresh one carries the record's digest, a posted one the digest it was
        made from."""
        form = super().edit_form(obj)
        field = form._fields.get(VERSION_FIELD)
        if field is not None and obj is not None and not field.data:
            field.data = self.row_version(obj)
        return form

    def _refuse_if_changed(self, form, model) -> None:
        """Inside the write transaction: refuse when the row is no longer what the form was made from."""
        field = form._fields.get(VERSION_FIELD)
        if field is None or not field.data:
            return
        pk = getattr(self.model, self._primary_key)
        query = self.model.select().where(pk == model.id)
        if is_postgres(database):
            query = query.for_update()
        stored = query.first()
        if stored is None or self.row_version(stored) != field.data:
            raise EditConflict

    def update_model(self, form, model):
        """Update (only records in scope reach here) and audit, with before and after, in one
        transaction; refused when another save came in since the form was made."""
        before = model_to_dict(model, recurse=False)
        try:
            with database.atomic(**({} if is_postgres(database) else {"lock_type": "IMMEDIATE"})):
                self._refuse_if_changed(form, model)
                ok = super().update_model(form, model)
                if ok:
                    self._audit("update", model, before=before,
                                after=model_to_dict(model, recurse=False))
        except EditConflict:
            flash(EDIT_CONFLICT, "error")
            return False
        except (peewee.DatabaseError, OSError):
            current_app.logger.exception("audited update of %s failed", self.model.__name__)
            flash(AUDIT_FAILED, "error")
            return False
        return ok

    def delete_model(self, model):
        """Delete a record nothing refers to; deactivate one that history points to."""
        if not self.can_delete or self.get_one(model.id) is None:
            flash("没有删除该记录的权限", "error")
            return False
        before = model_to_dict(model, recurse=False)
        try:
            with database.atomic():
                model.delete_instance(recursive=False)  # never cascade into history
        except peewee.IntegrityError:
            return self._deactivate(model, before)
        self._audit("delete", model, before=before)
        return True

    def _deactivate(self, model, before) -> bool:
        if "active" in self.model._meta.fields:
            self.model.update(active=False).where(self.model.id == model.id).execute()
        elif "status" in self.model._meta.fields:
            self.model.update(status="inactive").where(self.model.id == model.id).execute()
        else:
            flash("该记录已被其他记录引用，不能删除", "error")
            return False
        self._audit("deactivate", model, before=before, summary=f"{model}（被引用，改为停用）")
        flash(f"“{model}” 已被其他记录引用，不能删除，已改为停用", "warning")
        return True

    @action("delete", lazy_gettext("Delete"),
            lazy_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids):
        """Bulk delete: each record goes through the scoped, non-cascading delete."""
        if not self.can_delete:
            abort(403)
        done = 0
        for record_id in ids:
            record = self.get_one(record_id) if parse_id(record_id) is not None else None
            if record is not None and self.delete_model(record):
                done += 1
        flash(f"已处理 {done} 条记录", "success")

    def ajax_update(self):
        """Inline edit: needs the edit permission, and the record must be in scope."""
        if not self.can_edit:
            abort(403)
        return super().ajax_update()

    def handle_view_exception(self, exc):
        """Never show database text to users: log it, flash a plain message."""
        if isinstance(exc, peewee.DatabaseError):
            log.exception("database error in %s", self.endpoint)
            flash("保存失败：数据不符合要求或与其他记录冲突，请检查后重试", "error")
            return True
        return super().handle_view_exception(exc)

    # ---- export -------------------------------------------------------------------------
    def get_export_value(self, model, name):
        """Export masked personal data and defuse spreadsheet formulas."""
        value = super().get_export_value(model, name)
        text = "" if value is None else str(value)
        if name in self.masked_columns and text:
            text = mask(text)
        if text.startswith(FORMULA_STARTS):
            text = "'" + text
        return text

    def _export_data(self):
        count, data = super()._export_data()
        self._audit("export", None, summary=f"导出{model_label(self.model)} {len(data)} 条")
        return count, data

    # ---- labels -------------------------------------------------------------------------
    def search_placeholder(self):
        """Say which columns the search box looks in."""
        names = [self.get_column_name(c) for c in self.column_searchable_list or ()]
        return f"搜索：{'、'.join(names)}" if names else None

    def get_column_name(self, field):
        """Column headers come from the model's verbose names."""
        if self.column_labels and field in self.column_labels:
            return self.column_labels[field]
        model_field = self.model._meta.fields.get(field)
        if model_field is not None and model_field.verbose_name:
            return model_field.verbose_name
        return super().get_column_name(field)


def mask(text: str) -> str:
    """Mask the middle of a phone or ID number: 152223********1234."""
    if len(text) <= 7:
        return text[:1] + "*" * (len(text) - 1)
    keep = 3 if len(text) <= 11 else 6
    return text[:keep] + "*" * (len(text) - keep - 4) + text[-4:]
