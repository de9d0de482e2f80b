"""The admin platform: Flask-Admin in Chinese, every screen on the scoped base view."""

from __future__ import annotations

from pathlib import Path

import flask_admin
from flask import Flask, redirect, request, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.theme import Bootstrap4Theme
from flask_login import current_user
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader

from daiban.admin.alerts_view import AlertsView
from daiban.admin.case_view import CaseView
from daiban.admin.catalog_view import MatterCatalogView
from daiban.admin.error_summary import wtforms_links
from daiban.admin.intake_view import IntakeView
from daiban.admin.ledger_view import LedgerView
from daiban.admin.organisation_view import OrganisationView, RolesView
from daiban.admin.overview_view import OverviewView
from daiban.admin.rating_view import RatingView, RectificationView
from daiban.admin.report_view import ReportView
from daiban.admin.standard_view import StandardView
from daiban.admin.views import VIEWS
from daiban.models import model_label
from daiban.web.headers import csp_nonce


class DashboardView(AdminIndexView):
    """The admin home page: who is signed in, with which roles and scope."""

    def is_accessible(self):
        """Signed-in users only."""
        return current_user.is_authenticated

    def inaccessible_callback(self, name, **kwargs):
        """Send strangers to the login page."""
        return redirect(url_for("auth.login", next=request.full_path))

    @expose("/")
    def index(self):
        """Render the dashboard."""
        return self.render("admin/dashboard.html", principal=current_user.principal)


def _expose_upstream_templates(app: Flask, theme_folder: str) -> None:
    """Make Flask-Admin's own templates reachable as `flask_admin/admin/…`, so that our
    `admin/model/row_actions.html` and the like can import the originals and replace one macro."""
    upstream = Path(flask_admin.__file__).parent / "templates" / theme_folder
    app.jinja_loader = ChoiceLoader([app.jinja_loader,
                                     PrefixLoader({"flask_admin": FileSystemLoader(upstream)})])


def init_admin(app: Flask) -> Admin:
    """Register the admin and one generated screen per model."""
    admin = Admin(
        app, name="帮办代办管理平台", url="/admin",
        index_view=DashboardView(name="首页", url="/admin"),
        theme=Bootstrap4Theme(base_template="admin/daiban_base.html", fluid=True),
        csp_nonce_generator=csp_nonce,
    )
    _expose_upstream_templates(app, admin.theme.folder)
    app.add_template_global(wtforms_links, "form_error_links")  # admin/lib.html's error summary
    admin.add_view(CaseView(name="工作台", category="帮办代办", endpoint="cases", url="/admin/cases"))
    admin.add_view(IntakeView(name="受理", category="帮办代办", endpoint="intake", url="/admin/intake"))
    admin.add_view(RatingView(name="服务评价", category="帮办代办", endpoint="ratings", url="/admin/ratings"))
    admin.add_view(OverviewView(name="工作概况", category="督查考评", endpoint="overview",
                                url="/admin/overview"))
    admin.add_view(RectificationView(name="差评整改", category="督查考评", endpoint="rectifications",
                                     url="/admin/rectifications"))
    admin.add_view(StandardView(name="八有一能", category="督查考评", endpoint="standard",
                                url="/admin/standard"))
    admin.add_view(AlertsView(name="时限预警", category="督查考评", endpoint="alerts", url="/admin/alerts"))
    admin.add_view(LedgerView(name="工作台账", category="督查考评", endpoint="ledger", url="/admin/ledger"))
    admin.add_view(ReportView(name="季度报告", category="督查考评", endpoint="reports", url="/admin/reports"))
    admin.add_view(MatterCatalogView(name="事项目录管理", category="事项目录", endpoint="matters",
                                     url="/admin/matters"))
    admin.add_view(OrganisationView(name="组织架构", category="组织机构", endpoint="organisation",
                                    url="/admin/organisation"))
    for view_class, model, category in VIEWS:
        admin.add_view(view_class(model, name=model_label(model), category=category,
                                  endpoint=model._meta.table_name))
    admin.add_view(RolesView(name="角色", category="系统管理", endpoint="roles", url="/admin/roles"))
    return admin
