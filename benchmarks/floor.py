"""The floor: the least a screen of the admin can cost, measured beside every benchmark figure.

A bare keyset page: twenty cases by one indexed query (`WHERE id < ? ORDER BY id DESC LIMIT 20`)
rendered inside the admin layout every screen uses (`admin/daiban_base.html`: menu, header,
unread-message count), for a signed-in user, through the same request machinery (session, CSRF,
security headers, audit hooks). No scope, no joins, no counting: what a screen costs above this
is what its own queries and templates cost. The view exists only in the benchmarks' app.
"""

from __future__ import annotations

from flask import Flask, request
from flask_admin import BaseView, expose
from flask_login import current_user
from jinja2 import ChoiceLoader, DictLoader

from daiban.db import MAX_ID, parse_id
from daiban.models import Case

URL = "/admin/bench-floor/"
PAGE = 20
TEMPLATE = """{% extends admin_base_template %}
{% block body %}
<table class="table table-sm">
  <thead><tr><th>办件编号</th><th>申请人</th><th>状态</th><th>受理日期</th></tr></thead>
  <tbody>
  {% for id, number, name, status, accepted_on in rows %}
  <tr><td>{{ number }}</td><td>{{ name }}</td><td>{{ status }}</td><td>{{ accepted_on }}</td></tr>
  {% endfor %}
  </tbody>
</table>
{% if rows %}<a href="?before={{ rows[-1][0] }}">下一页</a>{% endif %}
{% endblock %}
"""


class FloorView(BaseView):
    """Twenty cases below an id, newest first, in the admin layout."""

    def is_accessible(self):
        """Any signed-in user: the floor asks no permission beyond signing in."""
        return current_user.is_authenticated

    def is_visible(self):
        """Not in the menu: the menu should look as it does for the user."""
        return False

    @expose("/")
    def index(self):
        """One keyset page."""
        before = parse_id(request.args.get("before")) or MAX_ID
        rows = list(Case.select(Case.id, Case.number, Case.applicant_name, Case.status, Case.accepted_on)
                    .where(Case.id < before).order_by(Case.id.desc()).limit(PAGE).tuples())
        return self.render("bench/floor.html", rows=rows)


def install(app: Flask) -> None:
    """Add the floor's screen to the app (before its first request)."""
    app.jinja_loader = ChoiceLoader([DictLoader({"bench/floor.html": TEMPLATE}), app.jinja_loader])
    admin = app.extensions["admin"][0]
    admin.add_view(FloorView(name="floor", endpoint="bench_floor", url=URL.rstrip("/")))
