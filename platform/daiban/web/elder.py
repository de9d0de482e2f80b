"""长辈版 (elder mode) of the public pages, after the 工信部 适老化 specifications for websites and
apps (2021): body text of at least 18 pt (24 px), contrast well above 4.5:1, one column, main
controls at least 60 × 60 px, secondary text left out, switched from a visible link in the header.

The choice is one non-personal cookie (`daiban_view=elder`); nothing else is kept in the browser.
The switch is a plain link that sets the cookie and sends the reader back (no JavaScript needed);
`static/elder.js` follows the same link with fetch and switches the page in place. Staff screens
(the admin) never change: 长辈版 is for citizens reading the catalog, guides and rating pages.
"""

from __future__ import annotations

import datetime

from flask import Blueprint, Response, abort, current_app, g, redirect, request, url_for

bp = Blueprint("elder", __name__)

COOKIE = "daiban_view"
ELDER = "elder"
MODES = ("elder", "standard")
REMEMBER = datetime.timedelta(days=365)
FETCHED = "fetch"  # the X-Requested-With value static/elder.js sends


def is_elder() -> bool:
    """True when this reader chose 长辈版 (the page then varies by cookie)."""
    g.view_mode_read = True
    return request.cookies.get(COOKIE) == ELDER


def back_to(target: str | None) -> str:
    """Where to send the reader after switching: a path on this site, never another site."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(c) < 32 for c in target)):
        return url_for("catalog.index")
    return target


def here() -> str:
    """The current page's path and query, to come back to after switching."""
    return request.full_path.rstrip("?")


@bp.route("/view/<mode>")
def switch(mode: str):
    """Switch the public pages to 长辈版 (`elder`) or 标准版 (`standard`), remember it in a
    cookie, and go back to the page the reader was on (or answer 204 to elder.js)."""
    if mode not in MODES:
        abort(404)
    if request.headers.get("X-Requested-With") == FETCHED:
        response = Response(status=204)
    else:
        response = redirect(back_to(request.args.get("next")))
    if mode == ELDER:
        response.set_cookie(COOKIE, ELDER, max_age=int(REMEMBER.total_seconds()), path="/",
                            secure=bool(current_app.config.get("HTTPS")), httponly=True, samesite="Lax")
    else:
        response.delete_cookie(COOKIE, path="/", secure=bool(current_app.config.get("HTTPS")),
                               httponly=True, samesite="Lax")
    return response


@bp.app_context_processor
def _view_mode() -> dict:
    def switch_urls() -> dict[str, str]:
        """The switch's two addresses, each coming back to this page."""
        return {mode: url_for("elder.switch", mode=mode, next=here()) for mode in MODES}

    return {"elder_mode": is_elder, "view_switch_urls": switch_urls}


@bp.after_app_request
def _vary_by_cookie(response: Response) -> Response:
    """A page drawn for one mode must not be served from a cache to a reader of the other."""
    if g.get("view_mode_read"):
        response.vary.add("Cookie")
    return response
