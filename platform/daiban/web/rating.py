"""The citizen's rating page (好差评): opened from a per-case link or QR code, without signing in.

Only the link's token grants access, and only once; the page shows the matter, the case number
and the agent's name, never the applicant's personal data.
"""

from __future__ import annotations

import datetime

from flask import Blueprint, current_app, render_template, request

from daiban.cases.service import CaseError
from daiban.models import Case
from daiban.supervision.models import RATING_INDICATORS, RATING_LEVELS, Rectification
from daiban.supervision.ratings import Given, open_link, rate_by_link

bp = Blueprint("rating", __name__)


def _page(case=None, error=None, status=200):
    name = ""
    if case is not None:
        row = case.pinned_version()
        name = row.name if row else case.matter_code
    return render_template("rating/rate.html", case=case, error=error, matter_name=name,
                           levels=sorted(RATING_LEVELS.items(), reverse=True),
                           indicators=RATING_INDICATORS, form=request.form), status


@bp.route("/rate/<token>", methods=("GET", "POST"))
def rate(token: str):
    """Show the rating form for a valid link; record the rating once."""
    today = datetime.date.today()
    try:
        link = open_link(token, today)
    except CaseError as exc:
        return _page(error=str(exc), status=404 if "无效" in str(exc) else 410)
    case = Case.get_by_id(link.case_id)
    if request.method == "GET":
        return _page(case)
    ref = current_app.extensions["daiban"]
    try:
        rating = rate_by_link(token, Given.from_form(request.form), today, ref.supervision, ref.calendar)
    except CaseError as exc:
        return _page(case, error=str(exc), status=400)
    rectification = Rectification.get_or_none(Rectification.rating == rating.id)
    return render_template("rating/thanks.html", rating=rating,
                           due=rectification.due_on if rectification else None)
