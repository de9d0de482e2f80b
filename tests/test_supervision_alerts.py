"""Time-limit alerts (时限预警): queues per scope, escalation in working days, the outbox (once per
key, SMS failures kept), the messages page, and the `daiban alerts run` command."""

from __future__ import annotations

import datetime
import itertools

import pytest
from click.testing import CliRunner

from case_screens import ELDERLY, PASSWORD, elderly_form, make_site, signed_in
from conftest import CONFIG
from daiban.access import principal_for
from daiban.accounts import create_user
from daiban.cases import materials, relay
from daiban.cases.service import Result, open_case, transition
from daiban.catalog.settings import Escalation, SupervisionSettings
from daiban.cli import main
from daiban.models import Agent, Case, Department, ServiceCenter, User
from daiban.supervision.alerts import (
    Queues,
    assess,
    candidate_cases,
    compute_notifications,
    deferred_materials,
    deferred_reminders,
    queue_counts,
    queue_summary,
    queues,
)
from daiban.supervision.models import Notification
from daiban.supervision.outbox import (
    MAX_ATTEMPTS,
    Delivery,
    InAppSender,
    RecordingGateway,
    SmsSender,
    deliver_pending,
    enqueue,
)
from daiban.web import load_reference
from test_cases_service import applicant_id

REF = load_reference(str(CONFIG))
CALENDAR, WORKFLOW, SETTINGS = REF.calendar, REF.workflow, REF.supervision
D = datetime.date
OPENED = D(2026, 9, 16)  # 10 working days later, across 中秋 (25–27 Sept), it is due 30 Sept
DUE = D(2026, 9, 30)  # then 国庆 (1–7 Oct) and the adjusted working day Saturday 10 Oct


@pytest.fixture
def site(db_url, db, tmp_path):
    """The app with the catalog published; agents village (红星村), township (音德尔镇), other (河西村),
    a bureau user, liaisons of 民政局 (decides the elderly allowance) and 卫健委, a deactivated agent."""
    app = make_site(db_url, tmp_path / "uploads")
    centers = {c.code: c for c in ServiceCenter.select()}
    departments = {d.code: d for d in Department.select()}
    create_user("bureau", "督查员", PASSWORD, ["bureau"], center=centers["banner-center"])
    create_user("civil", "民政联络员", PASSWORD, ["department_liaison"],
                department=departments["banner-civil-affairs-bureau"])
    create_user("health", "卫健联络员", PASSWORD, ["department_liaison"],
                department=departments["banner-health-commission"])
    create_user("admin", "系统管理员", PASSWORD, ["system_admin"], center=centers["banner-center"])
    retired = create_user("retired", "已调离代办员", PASSWORD, ["village_agent"],
                          center=centers["yinde-er-hongxing-station"])
    User.update(active=False).where(User.id == retired.id).execute()
    return app


def user(username: str) -> User:
    return User.get(User.username == username)


def principal(username: str):
    return principal_for(user(username), REF.roles)


_serials = itertools.count(2)


def new_case(username: str = "village", opened: D = OPENED) -> Case:
    agent = user(username)
    values = {k: v for k, v in elderly_form().items() if k not in ("mode", "channel", "confirmed")}
    values["id_number"] = applicant_id(next(_serials))  # one in-progress case per applicant
    return open_case(ELDERLY, ELDERLY.version, values, "assist", "window", agent, agent.center, opened,
                     CALENDAR, workflow=WORKFLOW)


def step(case: Case, name: str, username: str, day: D, note: str = "说明") -> Case:
    case = Case.get_by_id(case.id)
    return transition(case, name, user(username), note, case.lock_version, day, CALENDAR, workflow=WORKFLOW,
                      result=Result("approved", "民〔2026〕1号"))


def to_department(case: Case, day: D) -> Case:
    """Materials received, accepted, submitted and received by 民政局 on `day`."""
    agent = user("village")
    for row in materials.build_checklist(case, ELDERLY, day, actor=agent):
        if materials.blocks(row):
            materials.receive(row, row.originals_required, row.copies_required, agent, today=day)
    for name, who in (("accept", "village"), ("collect_materials", "village"), ("submit", "village"),
                      ("receive", "civil")):
        case = step(case, name, who, day)
    return case


def to_health(case: Case, username: str) -> list:
    """The case collected by `username` and sent to 卫健委 (the 报送 step) on the day it was opened."""
    agent, day = user(username), case.accepted_on
    for row in materials.build_checklist(case, ELDERLY, day, actor=agent):
        if materials.blocks(row):
            materials.receive(row, row.originals_required, row.copies_required, agent, today=day)
    for name in ("accept", "collect_materials"):
        case = step(case, name, username, day)
    return relay.send_to_departments(case, [Department.get(Department.code == "banner-health-commission")],
                                     agent, workflow=WORKFLOW, calendar=CALENDAR, today=day)


def numbers(alerts) -> set[str]:
    return {a.case.number for a in alerts}


def inbox(username: str) -> list[Notification]:
    return list(Notification.select().where(Notification.recipient == user(username).id)
                .order_by(Notification.id))


# --- queues ----------------------------------------------------------------------------------------

def test_escalation_counts_working_days_across_holidays_and_the_adjusted_saturday(site):
    case = new_case()
    assert case.due_on == DUE

    def on(day):
        return assess(Case.get_by_id(case.id), day, SETTINGS, CALENDAR)

    assert on(D(2026, 9, 24)) is None  # 25 Sept is 中秋: three working days left, not two
    soon = on(D(2026, 9, 28))
    assert (soon.is_overdue, soon.days_left) == (False, 2)
    assert on(DUE).days_left == 0
    holiday = on(D(2026, 10, 7))  # a week late in the calendar, but not one working day
    assert holiday.is_overdue and holiday.overdue_days == 0 and holiday.escalation is None
    first = on(D(2026, 10, 8))
    assert (first.overdue_days, first.escalation.label) == (1, "一级督办")
    assert on(D(2026, 10, 12)).escalation.label == "一级督办"  # 4 working days: 8, 9, 10 (Sat), 12
    second = on(D(2026, 10, 13))
    assert (second.overdue_days, second.escalation.label) == (5, "二级督办")
    found = queues(principal("village"), D(2026, 10, 13), SETTINGS, CALENDAR, WORKFLOW)
    assert [a.level for a in found.overdue] == [2] and found.due_soon == []


def by_assessing_each(username: str, day: D):
    """The queues worked out case by case with `assess`: what the summary must agree with."""
    due_soon, late = [], []
    for case in candidate_cases(day, SETTINGS, CALENDAR, WORKFLOW, principal(username)):
        alert = assess(case, day, SETTINGS, CALENDAR)
        if alert is not None:
            (late if alert.is_overdue else due_soon).append(alert)
    late.sort(key=lambda a: (-a.overdue_days, a.case.due_on, a.case.id))
    due_soon.sort(key=lambda a: (a.days_left, a.case.id))
    return Queues(due_soon, late)


def test_queues_follow_each_scope(site):
    ours = new_case("village")
    theirs = new_case("other")
    leg = to_health(theirs, "other")[0]
    finished = step(new_case("village"), "terminate", "village", OPENED, note="申请人撤回")
    later = new_case("village", opened=D(2026, 10, 8))  # due in ten working days: not yet alerted
    assert finished.status == "terminated" and later.due_on > D(2026, 10, 12)

    def overdue_of(username):
        found = by_assessing_each(username, D(2026, 10, 8))
        assert queues(principal(username), D(2026, 10, 8), SETTINGS, CALENDAR, WORKFLOW) == found
        assert found.due_soon == []
        # The dashboard's SQL counts agree with the lists.
        counted = queue_counts(principal(username), D(2026, 10, 8), SETTINGS, CALENDAR, WORKFLOW)
        assert counted == (len(found.due_soon), len(found.overdue))
        summary = queue_summary(principal(username), D(2026, 10, 8), SETTINGS, CALENDAR, WORKFLOW)
        assert (summary.due_soon_count, summary.overdue_count) == counted
        assert summary.queues == found  # the same alerts in the same order
        return numbers(found.overdue)

    assert overdue_of("village") == {ours.number}  # 红星村 station
    assert overdue_of("township") == {ours.number}  # 音德尔镇 and its villages
    assert overdue_of("other") == {theirs.number}  # 河西村, 新林镇
    assert overdue_of("bureau") == {ours.number, theirs.number}
    assert overdue_of("civil") == {ours.number, theirs.number}  # 民政局 decides the matter
    assert overdue_of("health") == {theirs.number}  # only what was relayed to 卫健委
    relay.finish(leg, user("health"), Result("approved", "卫〔2026〕2号"), workflow=WORKFLOW,
                 calendar=CALENDAR, today=D(2026, 10, 8))
    assert overdue_of("health") == set()
    assert overdue_of("bureau") == {ours.number}  # its decision fed the result back: out of every queue
    assert Case.get_by_id(theirs.id).status == "result_received"


def test_a_stopped_clock_is_not_reminded_but_stays_overdue_if_it_was(site):
    case = to_department(new_case(), OPENED)
    assert queue_counts(principal("village"), D(2026, 9, 28), SETTINGS, CALENDAR, WORKFLOW) == (1, 0)
    step(case, "suspend", "civil", D(2026, 9, 28), note="入户核实")
    assert queues(principal("village"), D(2026, 9, 29), SETTINGS, CALENDAR, WORKFLOW).due_soon == []
    assert queue_counts(principal("village"), D(2026, 9, 29), SETTINGS, CALENDAR, WORKFLOW) == (0, 0)
    late = to_department(new_case(), OPENED)
    step(late, "suspend", "civil", D(2026, 10, 8), note="入户核实")
    found = queues(principal("village"), D(2026, 10, 20), SETTINGS, CALENDAR, WORKFLOW)
    assert [(a.case.number, a.overdue_days, a.level) for a in found.overdue] == [(late.number, 1, 1)]


# --- notifications ---------------------------------------------------------------------------------

def run(day: D, settings: SupervisionSettings = SETTINGS, **kwargs):
    return compute_notifications(day, settings, CALENDAR, WORKFLOW, **kwargs)


def test_each_level_reaches_whom_it_names_and_a_second_run_sends_nothing(site):
    case = new_case()
    assert run(D(2026, 9, 28)).due_soon == 1
    assert [n.kind for n in inbox("village")] == ["due_soon"]
    assert run(D(2026, 9, 29)).total == 0  # the same reminder, already queued

    first = run(D(2026, 10, 8))
    assert first.overdue == 2 and run(D(2026, 10, 8)).total == 0
    assert inbox("township")[0].title == f"一级督办：办件 {case.number} 已超期 1 个工作日"
    assert inbox("township")[0].key == f"overdue:{case.id}:1:{DUE}"
    assert inbox("retired") == [] and inbox("other") == [] and inbox("bureau") == []

    assert run(D(2026, 10, 13)).overdue == 3  # 二级督办: the bureau too
    assert [n.level for n in inbox("bureau")] == [2]
    assert "高龄津贴" in inbox("bureau")[0].body and "周代办" in inbox("bureau")[0].body
    assert run(D(2026, 10, 14)).total == 0
    assert Notification.select().count() == 6


def test_the_department_word_reaches_liaisons_of_open_legs(site):
    case = new_case("other")
    to_health(case, "other")
    settings = SupervisionSettings(escalations=(Escalation(1, "一级督办", 1, ("department",)),))
    assert run(D(2026, 10, 8), settings).overdue == 2
    assert [n.level for n in inbox("health")] == [1] and inbox("civil") == []


def test_a_moved_due_date_alerts_again(site):
    case = to_department(new_case(), OPENED)
    assert run(D(2026, 10, 8)).overdue == 2
    step(case, "suspend", "civil", D(2026, 10, 8), note="组织专家评审")
    assert run(D(2026, 10, 12)).total == 0  # stopped while overdue: the same alert
    moved = step(case, "resume", "civil", D(2026, 10, 13))
    assert moved.due_on == D(2026, 10, 12)  # four working days of stop added
    assert run(D(2026, 10, 13)).overdue == 2
    assert [n.key for n in inbox("village")] == [f"overdue:{case.id}:1:{DUE}",
                                                 f"overdue:{case.id}:1:{moved.due_on}"]


def test_enqueue_is_idempotent_on_its_key(site):
    args = ("test:1", "overdue", user("village"), "标题")
    assert enqueue(*args) is True
    assert enqueue(*args) is False and enqueue(*args, channel="sms") is True
    assert Notification.select().count() == 2


def test_sms_failures_are_recorded_and_retried(site):
    Agent.create(name="周代办", center=user("village").center, user=user("village"), phone="13900000009")
    case = new_case()
    assert run(D(2026, 10, 8), channels=("in_app", "sms")).overdue == 4
    down = RecordingGateway(error="短信网关超时")
    assert deliver_pending([SmsSender(down)]) == Delivery(sent=0, failed=2)
    sms = Notification.select().where(Notification.channel == "sms")
    assert {(n.attempts, n.last_error, n.sent_at) for n in sms} == {
        (1, "短信网关超时", None), (1, "孙代办（音德尔镇便民服务中心） 没有登记手机号，短信未发送", None)}

    gateway = RecordingGateway()
    assert deliver_pending([InAppSender(), SmsSender(gateway)]) == Delivery(sent=3, failed=1)
    assert gateway.sent == [("13900000009", f"【帮办代办】一级督办：办件 {case.number} 已超期 1 个工作日")]
    no_phone = Notification.get((Notification.channel == "sms")
                                & (Notification.recipient == user("township")))
    assert no_phone.sent_at is None and no_phone.attempts == 2 and "没有登记手机号" in no_phone.last_error
    for _ in range(MAX_ATTEMPTS + 2):
        deliver_pending([SmsSender(gateway)])
    assert Notification.get_by_id(no_phone.id).attempts == MAX_ATTEMPTS  # then left for a person
    assert len(gateway.sent) == 1  # the delivered text never went twice


# --- screens ---------------------------------------------------------------------------------------

def _opened_due_in(working_days: int) -> D:
    """An opening day, not after today, from which the elderly allowance falls due in so many days."""
    today = datetime.date.today()
    for back in range(60):
        day = today - datetime.timedelta(days=back)
        due = CALENDAR.add_working_days(day, 10).on
        if due >= today and CALENDAR.working_days_between(today, due) == working_days:
            return day
    raise AssertionError("no opening day found")


def test_alerts_page_shows_the_queue_of_the_scope_with_badges(site):
    late = new_case("village", opened=datetime.date.today() - datetime.timedelta(days=60))
    soon = new_case("village", opened=_opened_due_in(1))
    elsewhere = new_case("other", opened=datetime.date.today() - datetime.timedelta(days=60))

    page = signed_in(site, "village").get("/admin/alerts/").get_data(as_text=True)
    assert late.number in page and soon.number in page and elsewhere.number not in page
    assert "二级督办" in page and f'href="/admin/cases/{late.id}/"' in page
    assert "还剩 1 个工作日" in page and "首问负责人：周代办" in page

    page = signed_in(site, "township").get("/admin/alerts/").get_data(as_text=True)
    assert late.number in page and "红星村便民服务站" in page and elsewhere.number not in page
    page = signed_in(site, "bureau").get("/admin/alerts/").get_data(as_text=True)
    assert elsewhere.number in page and late.number in page

    admin = signed_in(site, "admin")
    assert admin.get("/admin/alerts/").status_code == 403  # no case permission
    assert admin.get("/admin/alerts/messages").status_code == 200  # but messages of their own


def test_messages_page_shows_only_own_messages_newest_first(site):
    ours = new_case("village")
    theirs = new_case("other")
    run(D(2026, 9, 28))
    run(D(2026, 10, 8))
    deliver_pending([InAppSender()])
    client = signed_in(site, "village")
    page = client.get("/admin/alerts/messages").get_data(as_text=True)
    assert ours.number in page and theirs.number not in page
    assert page.index("一级督办") < page.index("临期提醒")  # newest first
    assert page.count('<strong class="message-title">') == 2 and "2 条未读" in page

    mine = inbox("village")[-1]
    other = inbox("other")[0]
    assert client.post(f"/admin/alerts/messages/{other.id}/read").status_code == 404
    assert Notification.get_by_id(other.id).read_at is None
    assert client.post(f"/admin/alerts/messages/{mine.id}/read").status_code == 302
    assert Notification.get_by_id(mine.id).read_at is not None
    page = client.get("/admin/alerts/messages").get_data(as_text=True)
    assert page.count('<strong class="message-title">') == 1
    client.post("/admin/alerts/messages/read-all")
    assert all(n.read_at for n in inbox("village")) and inbox("other")[0].read_at is None


def test_an_undelivered_message_is_not_shown(site):
    new_case("village")
    run(D(2026, 10, 8))
    page = signed_in(site, "village").get("/admin/alerts/messages").get_data(as_text=True)
    assert "暂无消息" in page


# --- command ---------------------------------------------------------------------------------------

def test_the_command_queues_and_delivers_once(site, db_url):
    new_case("village")

    def invoke(*args):
        return CliRunner().invoke(main, ["--database", db_url, "alerts", "run", *args])

    first = invoke("--today", "2026-10-08", "--config", str(CONFIG))
    assert first.exit_code == 0, first.output
    assert "新增消息 2 条" in first.output and "已送达 2 条" in first.output
    again = invoke("--today", "2026-10-08", "--config", str(CONFIG))
    assert "新增消息 0 条" in again.output and "已送达 0 条" in again.output
    assert Notification.select().where(Notification.sent_at.is_null(False)).count() == 2

    wrong = invoke("--today", "2026-13-01")
    assert wrong.exit_code != 0 and "不是有效日期" in wrong.output


def test_open_rectifications_are_reminded_near_and_after_their_deadline(site):
    from case_screens import with_result
    from daiban.supervision.alerts import rectification_reminders
    from daiban.supervision.ratings import Given, record_rating

    case = with_result(new_case("village"), D(2026, 9, 29))  # rated at the follow-up, after its result
    agent = user("village")
    # Rated 不满意 on Wed 30 Sep: due Tue 13 Oct (after the National Day holiday).
    record_rating(case, Given(2), "follow_up_call", agent, D(2026, 9, 30), REF.supervision, CALENDAR)
    Notification.delete().execute()  # the message of the rating itself is not under test here
    # Fri 9 Oct: 3 working days left (Sat 10 Oct is one); Mon 12 Oct: 1 left, within the 2 of the setting.
    assert rectification_reminders(D(2026, 10, 9), REF.supervision, CALENDAR).rectifications == 0
    near = rectification_reminders(D(2026, 10, 12), REF.supervision, CALENDAR)
    assert near.rectifications == 1 and Notification.get().recipient_id == agent.id
    assert rectification_reminders(D(2026, 10, 13), REF.supervision, CALENDAR).rectifications == 0  # once
    late = rectification_reminders(D(2026, 10, 14), REF.supervision, CALENDAR)
    assert late.rectifications == 2  # the agent and the bureau
    assert {n.recipient.username for n in Notification.select().where(
        Notification.title.contains("已超过整改期限"))} == {"village", "bureau"}


def test_the_summary_counts_every_case_and_lists_the_most_urgent(site):
    early = new_case("village", opened=D(2026, 9, 1))
    later = new_case("village", opened=D(2026, 9, 16))
    soon = new_case("village", opened=D(2026, 9, 30))
    day = D(2026, 10, 15)
    full = queues(principal("bureau"), day, SETTINGS, CALENDAR, WORKFLOW)
    summary = queue_summary(principal("bureau"), day, SETTINGS, CALENDAR, WORKFLOW, listed=1)
    assert summary.overdue_count == len(full.overdue) == 2
    assert [a.case.id for a in summary.queues.overdue] == [early.id]  # the most overdue only
    assert summary.levels == {1: 0, 2: 2} and soon.due_on > day and later.id != early.id



# --- deferred materials (容缺) ----------------------------------------------------------------------

def deferred_in_department(day: D = OPENED):
    """A case at 民政局 with its deferrable material deferred on `day` (promised 5 working days on)."""
    case = new_case("village", day)
    agent = user("village")
    rows = materials.build_checklist(case, ELDERLY, day, actor=agent)
    deferrable = next(r for r in rows if r.deferrable_unit)
    deferred = materials.defer(deferrable, agent, None, day, CALENDAR)
    for row in materials.checklist(case):
        if materials.blocks(row):
            materials.receive(row, row.originals_required, row.copies_required, agent, today=day)
    for name, who in (("accept", "village"), ("collect_materials", "village"), ("submit", "village"),
                      ("receive", "civil")):
        case = step(case, name, who, day)
    return Case.get_by_id(case.id), deferred


def test_deferred_materials_due_and_overdue_are_listed_per_scope(site):
    case, deferred = deferred_in_department()
    assert deferred.promised_on == D(2026, 9, 22)  # 5 working days after 16 Sept (Sunday 20th works)
    assert deferred_materials(OPENED, SETTINGS, CALENDAR, WORKFLOW) == []  # not near yet
    [due] = deferred_materials(D(2026, 9, 21), SETTINGS, CALENDAR, WORKFLOW, principal("village"))
    assert (due.material.id, due.days_left, due.is_overdue) == (deferred.id, 1, False)
    assert deferred_materials(D(2026, 9, 21), SETTINGS, CALENDAR, WORKFLOW, principal("other")) == []
    [late] = deferred_materials(D(2026, 9, 24), SETTINGS, CALENDAR, WORKFLOW, principal("village"))
    assert (late.is_overdue, late.overdue_days, late.level) == (True, 2, 1)  # 一级督办
    [later] = deferred_materials(D(2026, 9, 30), SETTINGS, CALENDAR, WORKFLOW)
    assert (later.overdue_days, later.level) == (5, 2)  # 中秋 25 Sept not counted: 二级督办
    materials.supply(materials.checklist(case)[[r.id for r in materials.checklist(case)].index(deferred.id)],
                     user("village"), D(2026, 9, 30))
    assert deferred_materials(D(2026, 9, 30), SETTINGS, CALENDAR, WORKFLOW) == []


def test_the_alerts_run_reminds_escalates_and_returns_the_case_to_correction_once(site):
    case, deferred = deferred_in_department()
    run = deferred_reminders(D(2026, 9, 21), SETTINGS, CALENDAR, WORKFLOW)
    assert run.deferred == 1 and run.returned == 0
    [reminder] = inbox("village")
    assert reminder.title == f"容缺补交提醒：办件 {case.number} 的“{deferred.name}”还有 1 个工作日到期"
    assert Case.get_by_id(case.id).status == "in_department"
    # Past the promise: 一级督办 to the center and the township, and the case goes back to 补正.
    run = deferred_reminders(D(2026, 9, 24), SETTINGS, CALENDAR, WORKFLOW)
    assert run.returned == 1 and run.deferred >= 2
    titles = [n.title for n in inbox("village")]
    assert f"一级督办：办件 {case.number} 容缺材料“{deferred.name}”逾期 2 个工作日未补交" in titles
    assert any("容缺材料" in n.title for n in inbox("township")) and inbox("bureau") == []
    returned = Case.get_by_id(case.id)
    assert returned.status == "returned_for_correction" and returned.clock_stopped_on == D(2026, 9, 24)
    from daiban.cases.service import history
    from daiban.models import AuditLog

    last = history(returned)[-1]
    assert (last.transition, last.role) == ("return_for_correction", "system")
    assert last.actor_id == user("village").id  # the first agent answers for it (首问负责)
    assert f"容缺材料逾期未补交：{deferred.name}（承诺 2026-09-22 前补交）" == last.note
    by_system = AuditLog.select().where((AuditLog.actor == "system") & (AuditLog.object_id == case.number))
    assert by_system.count() == 1
    # A second run the same day adds nothing and returns nothing again.
    again = deferred_reminders(D(2026, 9, 24), SETTINGS, CALENDAR, WORKFLOW)
    assert (again.deferred, again.returned) == (0, 0)
    # Resubmitting is refused until the material is supplied.
    from daiban.cases.service import TransitionRefused

    with pytest.raises(TransitionRefused, match="容缺材料逾期未补交"):
        step(returned, "resubmit", "village", D(2026, 9, 24))


def test_the_workbench_shows_deferred_materials_due_and_overdue(site):
    case, deferred = deferred_in_department(D.today() - datetime.timedelta(days=30))
    client = signed_in(site, "village")
    page = client.get("/admin/cases/").get_data(as_text=True)
    assert "容缺待补交" in page and '<div class="h3 mb-0 deferred-count">1</div>' in page
    table = page.split('class="table table-sm deferred-materials"')[1].split("</table>")[0]
    assert case.number in table and deferred.name in table and "已逾期" in table
    other = signed_in(site, "other").get("/admin/cases/").get_data(as_text=True)
    assert '<div class="h3 mb-0 deferred-count">0</div>' in other


def test_the_command_follows_up_deferred_materials(site, db_url):
    case, _ = deferred_in_department()
    result = CliRunner().invoke(main, ["--database", db_url, "alerts", "run", "--today", "2026-09-24",
                                       "--config", str(CONFIG)])
    assert result.exit_code == 0, result.output
    assert "容缺逾期退回补正 1 件" in result.output
    assert Case.get_by_id(case.id).status == "returned_for_correction"
