"""In real Chromium, with the demo data: axe-core (bundled by axe-playwright-python, no CDN) checks
every main page against the WCAG 2.0/2.1/2.2 A and AA rules at 1366 px and 390 px (issue 18).

The pages still violating are listed in KNOWN_VIOLATIONS with their node counts: a new violation,
or more nodes of a listed one, fails the test; so does a listed pair that no longer occurs, so the
list only shrinks and always shows what is left to fix."""

import json

import pytest

from case_screens import fill_with_demo
from conftest import ARTIFACTS, CONFIG, needs_chromium, quiet_server, screenshot, sign_in
from daiban.models import Case, User

pytestmark = [pytest.mark.browser, needs_chromium, *quiet_server]
PASSWORD = "Test-pass-2026"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
WIDTHS = {"1366": {"width": 1366, "height": 900}, "390": {"width": 390, "height": 844}}

# (page, width) -> {axe rule id: nodes}: what is left of issue 18, to be emptied.
KNOWN_VIOLATIONS: dict[tuple[str, str], dict[str, int]] = {}


def case_of(username: str) -> Case:
    """A case the user can open: the newest one of the user's own center."""
    user = User.get(User.username == username)
    return Case.select().where(Case.center == user.center).order_by(Case.id.desc()).first()


def pages() -> list[tuple[str, str | None, str]]:
    """(name, who signs in or None, path) for every page the suite checks."""
    case = case_of("village_agent")
    return [
        ("catalog", None, "/"),
        ("guide", None, "/matters/YLFW-0001"),
        ("notice", None, "/matters/YLFW-0001/notice"),
        ("login", None, "/login"),
        ("workbench", "village_agent", "/admin/cases/"),
        ("intake-YLFW-0001", "village_agent", "/admin/intake/YLFW-0001/"),
        ("intake-SHJZ-0001", "village_agent", "/admin/intake/SHJZ-0001/"),
        ("case", "village_agent", f"/admin/cases/{case.id}/"),
        ("queue", "liaison", "/admin/cases/queue/"),
        ("overview", "bureau", "/admin/overview/"),
        ("ledger", "bureau", "/admin/ledger/"),
        ("catalog-editor", "bureau", "/admin/matters/edit/YLFW-0001/"),
    ]


def violations(page, details: list) -> dict[str, int]:
    """Run axe on the page: {rule id: number of failing nodes} for the WCAG A/AA rules; each
    failing node's selector and axe's reason are appended to `details`."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    results = Axe().run(page, options=options)
    for rule in results.response["violations"]:
        for node in rule["nodes"]:
            details.append({"rule": rule["id"], "target": node["target"],
                            "why": node.get("failureSummary", "")})
    return {v["id"]: len(v["nodes"]) for v in results.response["violations"]}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_main_page_passes_axe_at_both_widths(db_url, db, serve, page):
    from daiban.web import create_app

    assert fill_with_demo(PASSWORD) > 50
    base = serve(create_app({"DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG)}))
    found: dict[tuple[str, str], dict[str, int]] = {}
    details: dict[str, list] = {}
    signed_in_as = None
    for name, username, path in pages():
        if username != signed_in_as:
            page.context.clear_cookies()
            if username:
                sign_in(page, base, username)
            signed_in_as = username
        for width, size in WIDTHS.items():
            page.set_viewport_size(size)
            response = page.goto(base + path)
            assert response.status == 200, (name, response.status)
            screenshot(page, f"a11y-{name}-{width}")
            nodes: list = []
            result = violations(page, nodes)
            if result:
                found[(name, width)] = result
                details[f"{name} {width}"] = nodes
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "a11y-violations.json").write_text(json.dumps(details, ensure_ascii=False, indent=1))
    new = {key: {rule: count for rule, count in rules.items()
                 if count > KNOWN_VIOLATIONS.get(key, {}).get(rule, 0)}
           for key, rules in found.items()}
    new = {key: rules for key, rules in new.items() if rules}
    assert not new, f"new accessibility violations (page, width): {new}"
    gone = {key: rules for key, rules in KNOWN_VIOLATIONS.items() if found.get(key) != rules}
    assert not gone, f"fixed or fewer: update KNOWN_VIOLATIONS to what is left: {gone}"
