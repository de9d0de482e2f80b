"""In real Chromium, with the demo data: axe-core (bundled by axe-playwright-python, no CDN) checks
every page a citizen or a member of staff reaches (public pages, agent screens, the liaison's queue,
supervision, the catalog editor, organisation and roles), with the error states they show, against
the WCAG 2.0/2.1/2.2 A and AA rules at 1366 px and 390 px, and the public pages in 长辈版 too
(issue 18). One browser; each user signs in once, in a context of their own.

The pages still violating are listed in KNOWN_VIOLATIONS with their node counts: a new violation,
or more nodes of a listed one, fails the test; so does a listed pair that no longer occurs, so the
list only shrinks and always shows what is left to fix."""

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from case_screens import CATALOG, fill_with_demo, with_result
from conftest import ARTIFACTS, CONFIG, needs_chromium, quiet_server, screenshot, sign_in
from daiban.models import Case, Handoff, ServiceCenter, User

pytestmark = [pytest.mark.browser, needs_chromium, *quiet_server]
PASSWORD = "Test-pass-2026"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
WIDTHS = {"1366": {"width": 1366, "height": 900}, "390": {"width": 390, "height": 844}}

# (page, width) -> {axe rule id: nodes}: what is left of issue 18, to be emptied.
KNOWN_VIOLATIONS: dict[tuple[str, str], dict[str, int]] = {}


def case_of(username: str, status: str | None = None, mode: str | None = None) -> Case:
    """A case the user can open: the newest of the user's own center, in `status` and `mode` if given."""
    user = User.get(User.username == username)
    query = Case.select().where(Case.center == user.center)
    if status:
        query = query.where(Case.status == status)
    if mode:
        query = query.where(Case.mode == mode)
    return query.order_by(Case.id.desc()).first()


@dataclass(frozen=True)
class Screen:
    """A page as its user reaches it: who is signed in (None: a citizen), the address, the status it
    answers with, and what the user does there before axe looks (`then`, e.g. a form sent with errors)."""

    name: str
    user: str | None
    path: str
    status: int = 200
    then: Callable | None = None
    shows: str = ""  # text the page shows once `then` is done: proof the state was reached
    elder: bool = False  # the public pages again, in 长辈版


def fill_and_submit(fields: dict[str, str], button: str) -> Callable:
    """A `then` that fills the fields (selector -> text) and presses the button named `button`."""
    def act(page):
        for selector, text in fields.items():
            page.fill(selector, text)
        with page.expect_navigation():
            page.get_by_role("button", name=button, exact=True).first.click()
    return act


def press(button: str) -> Callable:
    """A `then` that presses the button named `button` and waits for the page it leads to."""
    return fill_and_submit({}, button)


@dataclass(frozen=True)
class World:
    """The records the screens open, made on top of the demo data."""

    new_case: Case
    proxy_case: Case
    closed_case: Case
    terminated_case: Case
    department_case: Case
    result_case: Case
    rating_token: str
    thanks_token: str
    elder_thanks_token: str
    draft_id: int
    rectification_id: int
    center_id: int


def make_world() -> World:
    """Demo data, plus two rating links for the citizen's pages, a case waiting for its rating and a
    matter draft in review."""
    from daiban.accounts import create_user
    from daiban.catalog_editing import Actor, save_draft, start_draft, submit
    from daiban.supervision.models import Rating, Rectification
    from daiban.supervision.ratings import issue_link
    from daiban.web import load_reference

    assert fill_with_demo(PASSWORD) > 50
    ref = load_reference(str(CONFIG))
    today = datetime.date.today()
    unrated = [c for c in Case.select().where(Case.status == "consultation").order_by(Case.id)
               if not Rating.select().where(Rating.case == c.id).exists()]
    new_case = case_of("village_agent", "consultation")
    others = [c for c in unrated if c.id != new_case.id]
    result_case = with_result(next(c for c in others if c.center_id == new_case.center_id))
    agent = User.get(User.username == "village_agent")
    tokens = [issue_link(with_result(c), agent, today, ref.supervision)[0]
              for c in [c for c in others if c.id != result_case.id][:3]]
    assert len(tokens) == 3, "the demo needs four cases still open to rate"

    author = Actor("bureau2", "bureau")
    draft = start_draft("SHBX-0002", author)
    document = dict(draft.document, name=draft.document["name"] + "（修订）")
    draft = save_draft(draft, document, author)
    draft = submit(draft, author, CATALOG)
    # The liaison of whichever department has a leg waiting (the demo sends them at random).
    waiting_leg = Handoff.select().where(Handoff.to_department.is_null(False)
                                         & (Handoff.status != "done")).first()
    create_user("dept_liaison", "钱联络员", PASSWORD, ["department_liaison"],
                department=waiting_leg.to_department)
    return World(
        new_case=new_case, proxy_case=case_of("village_agent", "closed", "proxy"),
        closed_case=case_of("village_agent", "closed", "assist") or case_of("village_agent", "closed"),
        terminated_case=case_of("township_agent", "terminated"),
        department_case=waiting_leg.case,
        result_case=result_case, rating_token=tokens[0], thanks_token=tokens[1],
        elder_thanks_token=tokens[2], draft_id=draft.id,
        rectification_id=Rectification.select().order_by(Rectification.id).first().id,
        center_id=ServiceCenter.get(ServiceCenter.code == "yinde-er-hongxing-station").id,
    )


def pages(world: World) -> list[Screen]:
    """Every screen the suite checks, grouped by who reaches it."""
    w = world
    public = [
        Screen("catalog", None, "/"),
        Screen("catalog-search", None, "/?q=gljt&level=village"),
        Screen("catalog-nothing", None, "/?q=没有这个事项"),
        Screen("guide", None, "/matters/YLFW-0001"),
        Screen("guide-SHJZ-0001", None, "/matters/SHJZ-0001"),
        Screen("notice", None, "/matters/YLFW-0001/notice"),
        Screen("login", None, "/login"),
        Screen("login-failed", None, "/login", then=fill_and_submit(
            {"input[name=username]": "nobody", "input[name=password]": "wrong-password"}, "登录"),
               shows="用户名或密码不正确"),
        Screen("rate", None, f"/rate/{w.rating_token}"),
        Screen("rate-thanks", None, f"/rate/{w.thanks_token}", then=rate_and_send, shows="感谢您的评价"),
        Screen("rate-invalid", None, "/rate/not-a-token", status=404),
        Screen("not-found", None, "/no-such-page", status=404),
        Screen("bad-request", None, "/?q=%00", status=400),
        Screen("csrf-expired", None, "/login", then=expired_form, shows="登录页面停留过久已失效"),
        Screen("matter-not-found", None, "/matters/NOPE-0001", status=404),
    ]
    elder = [Screen(f"elder-{s.name}", None, s.path, s.status, s.then, s.shows, elder=True) for s in public
             if s.name in ("catalog", "guide", "notice", "login-failed", "rate", "rate-invalid", "not-found")]
    elder.append(Screen("elder-rate-thanks", None, f"/rate/{w.elder_thanks_token}", then=rate_and_send,
                        shows="感谢您的评价", elder=True))
    agent = [
        Screen("home", "village_agent", "/admin/"),
        Screen("workbench", "village_agent", "/admin/cases/"),
        Screen("workbench-search", "village_agent", "/admin/cases/", then=fill_and_submit(
            {"#case-q": w.new_case.applicant_name[:1]}, "查找"), shows="查找结果"),
        Screen("intake-search", "village_agent", "/admin/intake/?q=gljt"),
        Screen("intake-YLFW-0001", "village_agent", "/admin/intake/YLFW-0001/"),
        Screen("intake-YLFW-0001-errors", "village_agent", "/admin/intake/YLFW-0001/", then=press("检查"),
               shows="请填写"),
        Screen("intake-SHJZ-0001", "village_agent", "/admin/intake/SHJZ-0001/"),
        Screen("case-new", "village_agent", f"/admin/cases/{w.new_case.id}/"),
        Screen("case-checklist", "village_agent", f"/admin/cases/{w.new_case.id}/",
               then=press("生成材料清单"), shows="收取"),
        Screen("case-proxy-closed", "village_agent", f"/admin/cases/{w.proxy_case.id}/"),
        Screen("case-closed", "village_agent", f"/admin/cases/{w.closed_case.id}/"),
        Screen("case-result", "village_agent", f"/admin/cases/{w.result_case.id}/"),
        Screen("rating-link", "village_agent", f"/admin/cases/{w.result_case.id}/",
               then=press("生成评价二维码"), shows="请扫码评价"),
        Screen("register", "village_agent", "/admin/cases/register/YLFW-0001/"),
        Screen("messages", "village_agent", "/admin/alerts/messages"),
        Screen("alerts-village", "village_agent", "/admin/alerts/"),
        Screen("password", "village_agent", "/account/password"),
        Screen("password-errors", "village_agent", "/account/password", then=fill_and_submit(
            {"#current": "wrong", "#new": "short", "#again": "other"}, "修改密码"), shows="不一致"),
        Screen("admin-not-found", "village_agent", "/admin/cases/99999999/", status=404),
        Screen("forbidden", "village_agent", "/admin/roles/", status=403),
        Screen("case-terminated", "township_agent", f"/admin/cases/{w.terminated_case.id}/"),
        Screen("queue", "dept_liaison", "/admin/cases/queue/"),
        Screen("case-in-department", "dept_liaison", f"/admin/cases/{w.department_case.id}/"),
        Screen("messages-liaison", "liaison", "/admin/alerts/messages"),
    ]
    supervision = [
        Screen("overview", "bureau", "/admin/overview/"),
        Screen("overview-24", "bureau", "/admin/overview/?months=24"),
        Screen("ledger", "bureau", "/admin/ledger/"),
        Screen("alerts", "bureau", "/admin/alerts/"),
        Screen("report", "bureau", "/admin/reports/"),
        Screen("report-print", "bureau", "/admin/reports/print"),
        Screen("standard", "bureau", "/admin/standard/"),
        Screen("standard-center", "bureau", f"/admin/standard/{w.center_id}/"),
        Screen("rectifications", "bureau", "/admin/rectifications/"),
        Screen("rectification", "bureau", f"/admin/rectifications/{w.rectification_id}/"),
        Screen("overview-township", "township_agent", "/admin/overview/"),
        Screen("overview-inspector", "inspector", "/admin/overview/"),
    ]
    catalog_editor = [
        Screen("catalog-editor-index", "bureau", "/admin/matters/"),
        Screen("catalog-editor", "bureau", "/admin/matters/edit/YLFW-0001/"),
        Screen("catalog-editor-yaml-errors", "bureau", "/admin/matters/edit/YLFW-0001/?tab=yaml",
               then=fill_and_submit({"textarea[name=yaml_text]": "code: YLFW-0001\nname: [\n"}, "保存草稿"),
               shows="有 1 处需要修改"),
        Screen("catalog-editor-new", "bureau", "/admin/matters/new/"),
        Screen("catalog-history", "bureau", "/admin/matters/history/YLFW-0001/"),
        Screen("catalog-review", "bureau", f"/admin/matters/draft/{w.draft_id}/review/"),
    ]
    system = [
        Screen("organisation", "admin", "/admin/organisation/"),
        Screen("roles", "admin", "/admin/roles/"),
        Screen("users", "admin", "/admin/app_user/"),
        Screen("user-new", "admin", "/admin/app_user/new/"),
        Screen("centers", "admin", "/admin/service_center/"),
        Screen("agents", "admin", "/admin/agent/"),
        Screen("audit-log", "admin", "/admin/audit_log/"),
    ]
    return public + elder + agent + supervision + catalog_editor + system


def expired_form(page) -> None:
    """The sign-in form sent with a token that no longer holds, as after a long pause: the
    login page again, saying so (web/sessions.py)."""
    page.locator("input[name=csrf_token]").evaluate("input => { input.value = 'expired'; }")
    fill_and_submit({"input[name=username]": "village_agent", "input[name=password]": PASSWORD}, "登录")(page)


def rate_and_send(page) -> None:
    """The citizen picks 满意 and sends the rating."""
    page.get_by_label("满意", exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="提交评价").click()


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


class Visitors:
    """One browser context per user, each signed in once and kept for all of that user's screens."""

    def __init__(self, browser, page, base: str):
        self.browser, self.first, self.base, self.pages = browser, page, base, {}

    def page_for(self, screen: Screen):
        """The page of the screen's user (a citizen's in 长辈版 for an elder screen)."""
        key = (screen.user, screen.elder)
        if key not in self.pages:
            page = self.first if key == (None, False) else self.browser.new_context(
                viewport=WIDTHS["1366"], locale="zh-CN").new_page()
            if screen.elder:
                page.context.add_cookies([{"name": "daiban_view", "value": "elder", "url": self.base}])
            if screen.user:
                sign_in(page, self.base, screen.user)
            self.pages[key] = page
        return self.pages[key]

    def close(self) -> None:
        """Close the contexts made here (the first page's belongs to its fixture)."""
        for page in self.pages.values():
            if page is not self.first:
                page.context.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_page_passes_axe_at_both_widths(db_url, db, serve, browser, page):
    from daiban.web import create_app

    world = make_world()
    base = serve(create_app({"DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG)}))
    visitors = Visitors(browser, page, base)
    found: dict[tuple[str, str], dict[str, int]] = {}
    details: dict[str, list] = {}
    answered: dict[str, int | str] = {}
    for screen in pages(world):
        tab = visitors.page_for(screen)
        # Each screen is loaded (and acted on) once at 1366 px, then narrowed to 390 px: the same
        # page reflowed by the phone layout, which also lets a one-time screen (a used rating link)
        # be checked at both widths.
        tab.set_viewport_size(WIDTHS["1366"])
        response = tab.goto(base + screen.path)
        if response.status != screen.status:
            answered[screen.name] = response.status
        if screen.then:
            screen.then(tab)
        if screen.shows not in tab.inner_text("body"):
            answered[screen.name] = f"does not show {screen.shows}"
        if screen.elder and not tab.evaluate("() => document.documentElement.classList.contains('elder')"):
            answered[screen.name] = "not in 长辈版"
        for width, size in WIDTHS.items():
            tab.set_viewport_size(size)
            screenshot(tab, f"a11y-{screen.name}-{width}")
            nodes: list = []
            result = violations(tab, nodes)
            if result:
                found[(screen.name, width)] = result
                details[f"{screen.name} {width}"] = nodes
    visitors.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "a11y-violations.json").write_text(json.dumps(details, ensure_ascii=False, indent=1))
    assert not answered, f"screens not as expected: {answered}"
    new = {key: {rule: count for rule, count in rules.items()
                 if count > KNOWN_VIOLATIONS.get(key, {}).get(rule, 0)}
           for key, rules in found.items()}
    new = {key: rules for key, rules in new.items() if rules}
    assert not new, f"new accessibility violations (page, width): {new}"
    gone = {key: rules for key, rules in KNOWN_VIOLATIONS.items() if found.get(key) != rules}
    assert not gone, f"fixed or fewer: update KNOWN_VIOLATIONS to what is left: {gone}"
