"""Ratings (好差评): one per case per visit, the citizen's link, and the rectification a bad one opens."""

from __future__ import annotations

import datetime

import pytest

from case_screens import with_result
from conftest import CONFIG, TODAY
from daiban.cases.service import open_case
from daiban.catalog.loader import load_catalog
from daiban.models import AuditLog, ImmutableRecordError, ServiceCenter, User
from daiban.orgsync import sync_organisation
from daiban.supervision import rectification as rect
from daiban.supervision.models import Rating, RatingLink, Rectification
from daiban.supervision.ratings import (
    Given,
    RatingRefused,
    issue_link,
    open_link,
    rate_by_link,
    record_rating,
)

CATALOG = load_catalog(CONFIG, today=TODAY).catalog
SETTINGS, CALENDAR = CATALOG.supervision, CATALOG.calendar
ELDERLY = CATALOG.matters["YLFW-0001"]
D = datetime.date


@pytest.fixture
def people(db):
    sync_organisation(CATALOG.organisation)
    station = ServiceCenter.get(ServiceCenter.code == "xinlin-hexi-station")
    agent = User.create(username="agent", display_name="河西代办", password_hash="-", roles="village_agent",
                        center=station)
    bureau = User.create(username="bureau", display_name="政务局", password_hash="-", roles="bureau")
    return agent, bureau


OPENED = D(2026, 9, 21)


def a_case(agent, day=OPENED, result=True):
    """An assisted case; with its result in (a case is rated only after the result) unless not."""
    values = {"name": "巴特尔", "id_number": "15222319450101002X", "living_place": "home"}
    case = open_case(ELDERLY, ELDERLY.version, values, "assist", "window", agent, agent.center, day,
                     CALENDAR, workflow=CATALOG.workflow)
    return with_result(case, day) if result else case


def test_no_rating_and_no_link_before_the_result(people):
    agent, _ = people
    case = a_case(agent, result=False)
    with pytest.raises(RatingRefused, match="还没有办理结果，不能评价"):
        record_rating(case, Given(5), "on_site", agent, D(2026, 9, 22), SETTINGS, CALENDAR)
    with pytest.raises(RatingRefused, match="还没有办理结果"):
        issue_link(case, agent, D(2026, 9, 22), SETTINGS)
    assert Rating.select().count() == 0 and RatingLink.select().count() == 0
    rating = record_rating(with_result(case, D(2026, 9, 22)), Given(5), "on_site", agent, D(2026, 9, 22),
                           SETTINGS, CALENDAR)
    assert rating.visit == 1


def test_a_good_rating_is_kept_once_per_visit(people):
    agent, _ = people
    case = a_case(agent)
    rating = record_rating(case, Given(5, 5, 4, 5, "很耐心"), "on_site", agent, D(2026, 9, 22),
                           SETTINGS, CALENDAR)
    assert (rating.level_label, rating.visit, rating.bad) == ("非常满意", 1, False)
    assert rating.staff_id == agent.id and rating.center_id == agent.center_id
    assert Rectification.select().count() == 0
    with pytest.raises(RatingRefused, match="第 1 次服务已评价"):
        record_rating(case, Given(4), "follow_up_call", agent, D(2026, 9, 23), SETTINGS, CALENDAR, visit=1)
    with pytest.raises(ImmutableRecordError):
        rating.comment = "改过"
        rating.save()
    assert AuditLog.select().where(AuditLog.object_type == "rating").count() == 1


SERVED = D(2026, 9, 23)


def served(case, agent, step="return_materials", day=SERVED):
    """A new service step on the case (归还材料, 回访 …): what begins a new visit."""
    from daiban.cases.service import transition

    return transition(case, step, agent, "申请人撤回", case.lock_version, day, CALENDAR,
                      workflow=CATALOG.workflow)


def test_one_visit_one_rating_a_good_one_cannot_be_stacked_on_a_bad_one(people):
    agent, _ = people
    case = a_case(agent)
    bad = record_rating(case, Given(1, comment="态度差"), "follow_up_call", agent, D(2026, 9, 22),
                        SETTINGS, CALENDAR)
    for visit in (None, 2):  # "the next visit" without any service since: refused either way
        with pytest.raises(RatingRefused, match="第 1 次服务已评价.*有新的办理环节后才能再次评价|现在只能"):
            record_rating(case, Given(5), "on_site", agent, D(2026, 9, 22), SETTINGS, CALENDAR, visit=visit)
    with pytest.raises(RatingRefused, match="第 1 次服务已评价"):
        issue_link(case, agent, D(2026, 9, 22), SETTINGS)
    assert [(r.visit, r.level) for r in Rating.select().order_by(Rating.id)] == [(1, 1)]
    assert Rectification.get().rating_id == bad.id
    case = served(case, agent)
    second = record_rating(case, Given(5), "on_site", agent, D(2026, 9, 23), SETTINGS, CALENDAR)
    assert second.visit == 2
    with pytest.raises(RatingRefused, match="第 2 次服务已评价"):
        record_rating(case, Given(5), "on_site", agent, D(2026, 9, 23), SETTINGS, CALENDAR)
    with pytest.raises(RatingRefused, match="现在只能评价第 2 次服务|第 3 次"):
        record_rating(served(case, agent, "follow_up"), Given(5), "on_site", agent, SERVED, SETTINGS,
                      CALENDAR, visit=7)
    assert AuditLog.select().where(AuditLog.object_type == "rating").count() == 2


@pytest.mark.parametrize("given, message", [
    (Given(0), "请选择满意程度"), (Given(6), "请选择满意程度"),
    (Given(5, 9), "“服务效率”的评分应为 1 到 5 分"),
    (Given(5, comment="很" * 501), "不能超过 500 字"),
])
def test_bad_input_is_refused_with_a_clear_message(people, given, message):
    agent, _ = people
    with pytest.raises(RatingRefused, match=message):
        record_rating(a_case(agent), given, "on_site", agent, D(2026, 9, 22), SETTINGS, CALENDAR)
    assert Rating.select().count() == 0


def test_a_bad_rating_opens_a_rectification_due_after_the_national_day_holiday(people):
    agent, _ = people
    case = a_case(agent)
    rating = record_rating(case, Given(2, comment="跑了两趟"), "follow_up_call", agent, D(2026, 9, 30),
                           SETTINGS, CALENDAR)
    assert rating.bad
    opened = Rectification.get()
    # 5 working days from Wed 30 Sep: 1–7 Oct are holidays, Sat 10 Oct is a working day.
    assert (opened.status, opened.opened_on, opened.due_on) == ("open", D(2026, 9, 30), D(2026, 10, 13))
    assert opened.responsible_id == agent.id and opened.case_id == case.id


def test_the_citizens_link_works_once_and_only_by_its_token(people):
    agent, _ = people
    case = a_case(agent)
    token, link = issue_link(case, agent, D(2026, 9, 22), SETTINGS)
    assert len(token) >= 32 and token not in link.token_hash  # only the hash is stored
    assert open_link(token, D(2026, 9, 23)).id == link.id
    with pytest.raises(RatingRefused, match="评价链接无效"):
        open_link(token[:-1] + ("A" if token[-1] != "A" else "B"), D(2026, 9, 23))
    rating = rate_by_link(token, Given(1, comment="态度差"), D(2026, 9, 23), SETTINGS, CALENDAR)
    assert (rating.channel, rating.recorded_by_id, rating.bad) == ("link", None, True)
    assert RatingLink.get_by_id(link.id).used_at is not None
    with pytest.raises(RatingRefused, match="已使用"):
        rate_by_link(token, Given(5), D(2026, 9, 23), SETTINGS, CALENDAR)
    assert Rating.select().count() == 1 and Rectification.select().count() == 1


def test_an_expired_or_replaced_link_is_refused(people):
    agent, _ = people
    case = a_case(agent)
    old, _ = issue_link(case, agent, D(2026, 9, 22), SETTINGS)
    new, _ = issue_link(case, agent, D(2026, 9, 22), SETTINGS)
    with pytest.raises(RatingRefused, match="已过期"):
        open_link(old, D(2026, 9, 22))
    with pytest.raises(RatingRefused, match="已过期"):
        open_link(new, D(2026, 9, 22) + datetime.timedelta(days=SETTINGS.rating_link_valid_days + 1))


def test_a_rectification_closes_only_with_call_measures_and_reply(people):
    agent, _ = people
    record_rating(a_case(agent), Given(1), "on_site", agent, D(2026, 9, 22), SETTINGS, CALENDAR)
    opened = Rectification.get()
    with pytest.raises(rect.RectificationRefused, match="缺少回访记录、整改措施、答复群众"):
        rect.close(opened, agent, D(2026, 9, 24))
    called = rect.record_call(opened, agent, D(2026, 9, 23), "群众反映等待时间长", expected=0)
    with pytest.raises(rect.RectificationRefused, match="请刷新后重试"):
        rect.record_measures(opened, agent, "增设预约", "已电话致歉", expected=0)  # a stale page
    done = rect.record_measures(called, agent, "增设预约", "已电话致歉", expected=called.lock_version)
    closed = rect.close(done, agent, D(2026, 9, 24))
    assert (closed.status, closed.closed_on, closed.closed_by_id) == ("closed", D(2026, 9, 24), agent.id)


def test_the_bureau_decides_an_appeal(people):
    agent, bureau = people
    record_rating(a_case(agent), Given(1), "hotline", agent, D(2026, 9, 22), SETTINGS, CALENDAR)
    opened = Rectification.get()
    with pytest.raises(rect.RectificationRefused, match="申诉理由"):
        rect.appeal(opened, agent, " ")
    appealed = rect.appeal(opened, agent, "评价人并非本件申请人")
    with pytest.raises(rect.RectificationRefused, match="不能再登记回访"):
        rect.record_call(appealed, agent, D(2026, 9, 23), "…")
    upheld = rect.decide_appeal(appealed, bureau, True, "核实为误评", D(2026, 9, 25))
    assert (upheld.status, upheld.appeal_decided_by_id, upheld.closed_on) == ("appeal_upheld", bureau.id,
                                                                             D(2026, 9, 25))
    with pytest.raises(rect.RectificationRefused, match="没有待审核的申诉"):
        rect.decide_appeal(upheld, bureau, False, "再议", D(2026, 9, 26))


@pytest.mark.parametrize("text", ["²", "٥", "9" * 5000, "-1", "4.5"])
def test_a_score_that_is_no_plain_number_reads_as_zero(text):
    given = Given.from_form({"level": text, "efficiency": text, "comment": " 好 "})
    assert (given.level, given.efficiency, given.skill, given.comment) == (0, 0, None, "好")
