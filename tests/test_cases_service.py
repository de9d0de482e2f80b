"""The case service: opening, every transition and its roles, the clock, locking, numbers, privacy."""

from __future__ import annotations

import datetime
import json
import re
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import peewee
import pytest

from conftest import CONFIG, ROOT, TODAY
from daiban.cases import personal
from daiban.cases.service import (
    Actor,
    Applicant,
    CaseConflict,
    OpenRefused,
    Result,
    TransitionRefused,
    available_transitions,
    case_number,
    history,
    open_case,
    overdue,
    transition,
    working_days_left,
)
from daiban.catalog.loader import load_catalog
from daiban.db import database
from daiban.models import AuditLog, Case, CaseEvent, Department, ImmutableRecordError, ServiceCenter, User
from daiban.orgsync import sync_organisation

CATALOG = load_catalog(CONFIG, today=TODAY).catalog
WORKFLOW = CATALOG.workflow
CALENDAR = CATALOG.calendar
ELDERLY = CATALOG.matters["YLFW-0001"]  # 高龄津贴: promised 10 working days
ASSISTANCE = CATALOG.matters["SHJZ-0001"]  # 低保: a repeating group of members with ID numbers
ID_CARD = CATALOG.matters["HJBL-0003"]  # 身份证换领: in person only, no proxy
D = datetime.date
ID_NUMBER = "15222319450101002X"
OPENED = datetime.date(2026, 9, 21)  # a Monday; the case is due 12 October (see test_open_case)
DRIVEN = datetime.date(2026, 9, 22)
CENTER_OF = {"village_agent": "xinlin-hexi-station", "township_agent": "xinlin-center",
             "banner_agent": "banner-center"}


def valid_id(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11]


def applicant_id(serial: int) -> str:
    """A valid ID number of someone born on 1 January 1945, told apart by its serial (2–999)."""
    return valid_id(f"15222319450101{serial + 1:03d}")


@dataclass
class World:
    users: dict[str, User]
    centers: dict[str, ServiceCenter]
    opened: int = 0  # cases opened by new_case: each gets its own applicant (one case per applicant)

    def next_applicant(self) -> str:
        """ID_NUMBER for the first case of a test, another valid number for each further one."""
        self.opened += 1
        return ID_NUMBER.lower() if self.opened == 1 else applicant_id(self.opened)

    def actor(self, role: str) -> Actor:
        return Actor.of(self.users[role])


@pytest.fixture
def world(db) -> World:
    sync_organisation(CATALOG.organisation)
    centers = {c.code: c for c in ServiceCenter.select()}
    department = Department.get(Department.code == "banner-civil-affairs-bureau")
    users = {}
    for role_id, role in CATALOG.roles.items():
        users[role_id] = User.create(
            username=role_id, display_name=f"{role.name}甲", password_hash="-", roles=role_id,
            center=centers.get(CENTER_OF.get(role_id, "")),
            department=department if role_id == "department_liaison" else None,
        )
    return World(users, centers)


def elderly_values(**overrides) -> dict:
    values = {
        "name": "巴特尔", "id_number": ID_NUMBER.lower(), "phone": "13900000001",
        "hukou_address": "152223", "living_place": "home", "applicant_type": "agent",
        "agent_name": "其其格", "agent_id_number": valid_id("15222319800101002"),
        "bank_name": "农村信用社", "bank_account": "6230000000000000", "receives_elsewhere": False,
    }
    values.update(overrides)
    return values


def new_case(world, today=OPENED, matter=ELDERLY, role="village_agent", mode="proxy",
             channel="window", values=None, ready=True, **kwargs) -> Case:
    user = world.users[role]
    values = elderly_values(id_number=world.next_applicant()) if values is None else values
    case = open_case(matter, matter.version, values, mode,
                     channel, user, world.centers[CENTER_OF.get(role, "xinlin-hexi-station")], today,
                     CALENDAR, workflow=WORKFLOW, **kwargs)
    return make_ready(world, case) if ready else case


def make_ready(world, case, day=None, valid_days=90) -> Case:
    """What submitting needs, done on the day the case was opened: every needed material received
    and, for a proxy case, a signed commission (the gate in `service.transition`)."""
    from daiban.cases import commission, materials

    day = day or case.accepted_on
    agent = world.users["village_agent"]
    for row in materials.build_checklist(case, CATALOG.matters[case.matter_code], day):
        if materials.blocks(row):
            materials.receive(row, row.originals_required, row.copies_required, agent, today=day)
    if case.mode == "proxy":
        commission.record_signed(commission.draft_commission(case, None, valid_days, agent, day), agent, day)
    return case


def act(world, case, transition_id, role, day, note="说明：按流程办理", lock=None, result=None) -> Case:
    step = WORKFLOW.transition(transition_id)
    if result is None and step is not None and step.records_result:
        result = Result("approved", "高龄津贴核准〔2026〕001号")
    return transition(case, transition_id, world.actor(role), note,
                      case.lock_version if lock is None else lock, day, CALENDAR, workflow=WORKFLOW,
                      result=result)


def path_to(start: str, goal: str) -> list:
    """The shortest list of transitions from `start` to `goal` (breadth first, in config order)."""
    queue, seen = deque([(start, [])]), {start}
    while queue:
        state, path = queue.popleft()
        if state == goal:
            return path
        for t in WORKFLOW.available(state):
            if t.to not in seen:
                seen.add(t.to)
                queue.append((t.to, [*path, t]))
    raise AssertionError(f"no path from {start} to {goal}")


def drive_to(world, case, goal, day=DRIVEN) -> Case:
    for t in path_to(case.status, goal):
        case = act(world, case, t.id, t.roles[0], day)
    assert case.status == goal
    return case


# --- opening -----------------------------------------------------------------------------------

def test_open_case(world):
    case = new_case(world)
    assert re.fullmatch(r"BD20260921-\d{6}", case.number)
    assert case.number == case_number(case.id, D(2026, 9, 21))
    assert (case.matter_code, case.matter_version, case.mode, case.channel) == (
        "YLFW-0001", ELDERLY.version, "proxy", "window")
    assert case.status == "consultation" == WORKFLOW.initial
    assert case.first_agent_id == world.users["village_agent"].id
    assert case.center.code == "xinlin-hexi-station"
    assert case.applicant_name == "巴特尔"
    assert case.accepted_on == D(2026, 9, 21)
    # 10 working days from Monday 21 September 2026: 中秋节 (25–27 Sep) and 国庆节 (1–7 Oct) are
    # holidays, Saturday 10 October is an adjusted working day.
    assert case.due_on == D(2026, 10, 12) and not case.due_provisional
    assert (case.lock_version, case.stopped_working_days, case.clock_stopped_on) == (0, 0, None)
    [event] = history(case)
    assert (event.transition, event.from_status, event.to_status, event.role, event.actor_id) == (
        "open", None, "consultation", "village_agent", world.users["village_agent"].id)
    assert event.due_on == case.due_on and event.day == D(2026, 9, 21)


def test_open_with_a_due_date_in_a_year_without_a_calendar_is_provisional(world):
    case = new_case(world, today=D(2026, 12, 21))
    assert case.due_on == D(2027, 1, 4) and case.due_provisional  # 1 January 2027 is a guess
    case = drive_to(world, case, "in_department", D(2026, 12, 22))
    assert case.due_provisional  # kept through transitions


def test_on_the_spot_matter_is_due_the_same_day(world):
    birth = CATALOG.matters["HJBL-0001"]
    case = open_case(birth, birth.version, {"phone": "13900000002"}, "assist", "home_visit",
                     world.users["township_agent"], world.centers["xinlin-center"], TODAY, CALENDAR,
                     workflow=WORKFLOW)
    assert case.due_on == TODAY and case.applicant_name == ""


def test_open_refusals(world):
    with pytest.raises(OpenRefused, match="只有嘎查村代办员、苏木乡镇代办员、旗级代办员可以新建办件"):
        new_case(world, role="inspector")
    with pytest.raises(OpenRefused, match="须由本人办理，不能代办"):
        new_case(world, matter=ID_CARD, mode="proxy")
    assert new_case(world, matter=ID_CARD, mode="assist").mode == "assist"
    with pytest.raises(OpenRefused, match="受理渠道 “fax” 不对"):
        new_case(world, channel="fax")
    with pytest.raises(OpenRefused, match="办理方式"):
        new_case(world, mode="delegate")
    with pytest.raises(OpenRefused, match="版本不一致"):
        open_case(ELDERLY, ELDERLY.version + 1, elderly_values(), "proxy", "window",
                  world.users["village_agent"], world.centers["xinlin-hexi-station"], TODAY, CALENDAR,
                  workflow=WORKFLOW)
    User.update(active=False).where(User.username == "village_agent").execute()
    with pytest.raises(OpenRefused, match="已停用"):
        new_case(world)
    assert Case.select().count() == 1 and CaseEvent.select().count() == 1


# --- every transition of the shipped workflow, and who may make it --------------------------------

@pytest.mark.parametrize("transition_id", [t.id for t in WORKFLOW.transitions if not t.system])
def test_every_transition_by_its_roles_and_refused_to_the_others(world, transition_id):
    t = WORKFLOW.transition(transition_id)
    others = sorted(set(CATALOG.roles) - set(t.roles))
    assert others, "every transition is closed to some role"
    for source in t.from_states:
        for role in t.roles:
            case = drive_to(world, new_case(world), source)
            after = act(world, case, t.id, role, D(2026, 9, 23))
            assert after.status == t.to
            assert after.lock_version == case.lock_version + 1
            event = history(after)[-1]
            assert (event.transition, event.from_status, event.to_status, event.role, event.actor_id) == (
                t.id, source, t.to, role, world.users[role].id)
            assert after.first_agent_id == world.users["village_agent"].id
            assert (after.closed_on is not None) == WORKFLOW.is_final(t.to)
            assert (after.result_on is not None) == (t.records_result or case.result_on is not None)
            assert (after.clock_stopped_on is not None) == (
                t.stops_clock or (case.clock_stopped_on is not None and not t.resumes_clock))
        case = drive_to(world, new_case(world), source)
        events = len(history(case))
        for role in others:
            with pytest.raises(TransitionRefused, match=f"“{t.label}”只能由.*您的角色（.+）不能操作"):
                act(world, case, t.id, role, D(2026, 9, 23))
        fresh = Case.get_by_id(case.id)
        assert (fresh.status, fresh.lock_version, len(history(fresh))) == (source, case.lock_version, events)


def test_a_transition_from_the_wrong_state_is_refused(world):
    case = new_case(world)
    with pytest.raises(TransitionRefused, match=r"当前为“已建档”，不能“部门接收”（只能在 “已报送” 时进行）"):
        act(world, case, "receive", "department_liaison", D(2026, 9, 22))
    with pytest.raises(TransitionRefused, match="流程中没有 “approve” 这一步"):
        act(world, case, "approve", "banner_agent", D(2026, 9, 22))
    closed = drive_to(world, new_case(world), "closed")
    for t in WORKFLOW.transitions:
        with pytest.raises(TransitionRefused, match="当前为“已办结”"):
            act(world, closed, t.id, t.roles[0], D(2026, 9, 23))


def test_a_note_is_required_where_the_workflow_says_so(world):
    case = new_case(world)
    for note in (None, "", "   "):
        with pytest.raises(TransitionRefused, match="“终止”须填写说明"):
            act(world, case, "terminate", "village_agent", D(2026, 9, 22), note=note)
    done = act(world, case, "terminate", "village_agent", D(2026, 9, 22), note="  申请人撤回申请 ")
    assert done.status == "terminated" and done.closed_on == D(2026, 9, 22)
    assert history(done)[-1].note == "申请人撤回申请"


def test_roles_the_user_does_not_hold_are_refused(world):
    case = new_case(world)
    village = world.users["village_agent"]
    with pytest.raises(TransitionRefused, match="没有旗级代办员角色"):
        transition(case, "accept", Actor(village, ("banner_agent",)), "", 0, D(2026, 9, 22), CALENDAR,
                   workflow=WORKFLOW)
    User.update(roles="inspector").where(User.id == village.id).execute()  # role taken away
    with pytest.raises(TransitionRefused, match="没有嘎查村代办员角色"):
        transition(case, "accept", Actor.of(village), "", 0, D(2026, 9, 22), CALENDAR, workflow=WORKFLOW)


def test_an_actor_from_a_user_or_a_signed_in_principal(world):
    from daiban.access import principal_for

    case = new_case(world)
    case = transition(case, "accept", world.users["township_agent"], "", 0, DRIVEN, CALENDAR,
                      workflow=WORKFLOW)
    principal = principal_for(world.users["department_liaison"], CATALOG.roles)
    with pytest.raises(TransitionRefused, match="“材料收齐”只能由"):
        transition(case, "collect_materials", Actor.from_principal(principal), "", 1, DRIVEN, CALENDAR,
                   workflow=WORKFLOW)
    principal = principal_for(world.users["banner_agent"], CATALOG.roles)
    case = transition(case, "collect_materials", Actor.from_principal(principal), "", 1, DRIVEN,
                      CALENDAR, workflow=WORKFLOW)
    assert [e.role for e in history(case)] == ["village_agent", "township_agent", "banner_agent"]


def test_available_transitions_for_an_actor(world):
    case = drive_to(world, new_case(world), "in_department")
    village = world.actor("village_agent")
    assert [t.id for t in available_transitions(case, village, WORKFLOW)] == ["terminate"]
    assert [t.id for t in available_transitions(case, world.actor("department_liaison"), WORKFLOW)] == [
        "return_for_correction", "suspend", "record_result", "terminate"]
    assert available_transitions(case, world.actor("inspector"), WORKFLOW) == []


# --- the clock ---------------------------------------------------------------------------------

def test_clock_stop_across_the_national_day_holiday(world):
    case = drive_to(world, new_case(world, today=D(2026, 9, 21)), "in_department", D(2026, 9, 22))
    assert case.due_on == D(2026, 10, 12)
    case = act(world, case, "suspend", "department_liaison", D(2026, 9, 29), note="组织专家评审")
    assert case.status == "suspended" and case.clock_stopped_on == D(2026, 9, 29)
    # While the clock stands, the case is judged on the day it stopped, however late it is.
    assert not overdue(case, D(2026, 11, 30))
    assert working_days_left(case, D(2026, 11, 30), CALENDAR) == 5

    case = act(world, case, "resume", "department_liaison", D(2026, 10, 9))
    # Stopped Tuesday 29 September, resumed Friday 9 October: of the ten days after the stop only
    # 30 September, 8 and 9 October are working days (1–7 October is 国庆节). Calendar days (10) or
    # Monday–Friday (8) would be wrong.
    assert case.stopped_working_days == 3 and case.clock_stopped_on is None
    assert case.due_on == D(2026, 10, 15) and not case.due_provisional
    assert history(case)[-1].due_on == D(2026, 10, 15)
    assert working_days_left(case, D(2026, 10, 13), CALENDAR) == 2
    assert not overdue(case, D(2026, 10, 15)) and overdue(case, D(2026, 10, 16))

    # A second stop adds up: Saturday 10 October 2026 is an adjusted working day.
    case = act(world, case, "suspend", "banner_agent", D(2026, 10, 9), note="补充检测")
    case = act(world, case, "resume", "banner_agent", D(2026, 10, 12))
    assert case.stopped_working_days == 5 and case.due_on == D(2026, 10, 19)

    case = act(world, case, "record_result", "department_liaison", D(2026, 10, 16))
    assert case.result_on == D(2026, 10, 16)
    assert not overdue(case, D(2026, 12, 31))  # judged on the day the result came
    case = drive_to(world, case, "closed", D(2026, 10, 20))
    assert case.closed_on == D(2026, 10, 20) and not overdue(case, D(2027, 3, 1))


def test_correction_stops_the_clock_too(world):
    case = drive_to(world, new_case(world, today=D(2026, 9, 21)), "submitted", D(2026, 9, 22))
    case = act(world, case, "return_for_correction", "banner_agent", D(2026, 9, 30),
               note="一次性告知：缺户口簿复印件")
    assert case.clock_stopped_on == D(2026, 9, 30)
    case = act(world, case, "resubmit", "township_agent", D(2026, 10, 10))  # adjusted working day
    assert (case.status, case.stopped_working_days, case.due_on) == ("submitted", 3, D(2026, 10, 15))


def test_a_late_result_is_overdue_and_a_stop_into_an_unknown_year_is_provisional(world):
    case = drive_to(world, new_case(world, today=D(2026, 11, 2)), "in_department", D(2026, 11, 3))
    assert case.due_on == D(2026, 11, 16)
    case = act(world, case, "suspend", "department_liaison", D(2026, 11, 10), note="听证")
    case = act(world, case, "resume", "department_liaison", D(2027, 1, 5))
    days = CALENDAR.working_days_between(D(2026, 11, 10), D(2027, 1, 5))
    assert case.stopped_working_days == days
    assert case.due_on == CALENDAR.add_working_days(D(2026, 11, 16), days).on
    assert case.due_provisional  # 2027 has no calendar file: its days are a Monday–Friday guess
    late = case.due_on + datetime.timedelta(days=1)
    case = act(world, case, "record_result", "department_liaison", late)
    assert overdue(case, late) and overdue(case, late + datetime.timedelta(days=30))
    assert working_days_left(case, late, CALENDAR) < 0


def test_no_time_limit_no_due_date(world):
    plain = CATALOG.matters["TYJR-0001"]  # 60 natural days, no statutory limit
    case = open_case(plain, plain.version, {"name": "王五"}, "assist", "window",
                     world.users["banner_agent"], world.centers["banner-center"], D(2026, 9, 1),
                     CALENDAR, workflow=WORKFLOW)
    # 60 calendar days from 1 September is 31 October, a Saturday: the period ends on Monday.
    assert case.due_on == D(2026, 11, 2)


# --- optimistic locking ------------------------------------------------------------------------

def test_a_stale_lock_version_is_a_conflict_and_nothing_is_lost(world):
    case = new_case(world)
    seen_by_a = seen_by_b = case  # both loaded version 0
    act(world, seen_by_a, "accept", "village_agent", D(2026, 9, 22))
    with pytest.raises(CaseConflict) as refused:
        act(world, seen_by_b, "terminate", "township_agent", D(2026, 9, 22), note="撤回")
    assert str(refused.value) == (f"该件已被他人更新（办件 {case.number} 现为“已受理”），请刷新后重试")
    fresh = Case.get_by_id(case.id)
    assert (fresh.status, fresh.lock_version) == ("commission_accepted", 1)
    assert [e.transition for e in history(fresh)] == ["open", "accept"]
    # After refreshing, B acts on what is there now.
    fresh = act(world, fresh, "terminate", "township_agent", D(2026, 9, 22), note="撤回")
    assert fresh.status == "terminated"


def test_two_people_acting_at_once_one_wins(world, db_url):
    case = new_case(world)
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def attempt(transition_id, role, note):
        try:
            barrier.wait(timeout=10)
            outcomes.append(transition(case, transition_id, world.actor(role), note, 0, D(2026, 9, 22),
                                       CALENDAR, workflow=WORKFLOW).status)
        except CaseConflict as exc:
            outcomes.append("conflict")
            assert "请刷新后重试" in str(exc)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            database.close()

    threads = [threading.Thread(target=attempt, args=("accept", "village_agent", "")),
               threading.Thread(target=attempt, args=("terminate", "township_agent", "撤回"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes, key=str) == sorted(["conflict", Case.get_by_id(case.id).status], key=str)
    fresh = Case.get_by_id(case.id)
    assert fresh.lock_version == 1 and len(history(fresh)) == 2


# --- case numbers ------------------------------------------------------------------------------

def test_case_numbers_are_unique_when_opened_at_once(world, db_url):
    threads_count, per_thread = 8, 12
    barrier = threading.Barrier(threads_count)
    numbers, errors = [], []
    agent, center = world.users["township_agent"], world.centers["xinlin-center"]
    lock = threading.Lock()

    serials = iter(range(2, 2 + threads_count * per_thread))  # one applicant per case

    def work():
        try:
            barrier.wait(timeout=10)
            for _ in range(per_thread):
                with lock:
                    values = elderly_values(id_number=applicant_id(next(serials)))
                case = open_case(ELDERLY, ELDERLY.version, values, "assist", "window", agent,
                                 center, TODAY, CALENDAR, workflow=WORKFLOW)
                with lock:
                    numbers.append((case.id, case.number))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            database.close()

    threads = [threading.Thread(target=work) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(numbers) == threads_count * per_thread
    assert len({n for _, n in numbers}) == len(numbers)
    assert all(n == case_number(i, TODAY) for i, n in numbers)
    stored = [row.number for row in Case.select(Case.number)]
    assert len(stored) == len(set(stored)) == len(numbers)
    assert not any(n.startswith("~") for n in stored)  # no placeholder survives
    assert CaseEvent.select().where(CaseEvent.transition == "open").count() == len(numbers)


# --- first agent and history stay put ------------------------------------------------------------

def test_first_agent_is_unchanged_by_everyone_elses_transitions(world, db):
    case = new_case(world, role="village_agent")
    steps = [("accept", "township_agent"), ("collect_materials", "banner_agent"),
             ("submit", "village_agent"), ("receive", "department_liaison"),
             ("record_result", "banner_agent"), ("return_materials", "township_agent"),
             ("follow_up", "bureau"), ("close", "township_agent")]
    for transition_id, role in steps:
        case = act(world, case, transition_id, role, D(2026, 9, 28))
        assert case.first_agent_id == world.users["village_agent"].id
    assert case.status == "closed" and case.lock_version == len(steps)
    assert [e.actor.username for e in history(case)] == ["village_agent", *[r for _, r in steps]]
    # The database itself refuses to hand the case to someone else, or to delete it.
    with pytest.raises(peewee.DatabaseError), db.atomic():
        Case.update(first_agent=world.users["township_agent"]).where(Case.id == case.id).execute()
    with pytest.raises(peewee.DatabaseError), db.atomic():
        Case.delete().where(Case.id == case.id).execute()
    assert Case.get_by_id(case.id).first_agent_id == world.users["village_agent"].id


def test_cases_and_events_are_written_only_by_the_service(world, db):
    case = new_case(world)
    case.status = "closed"
    with pytest.raises(ImmutableRecordError):
        case.save()
    with pytest.raises(ImmutableRecordError):
        case.delete_instance()
    event = history(case)[0]
    event.note = "改写"
    with pytest.raises(ImmutableRecordError):
        event.save()
    with pytest.raises(ImmutableRecordError):
        event.delete_instance()
    with pytest.raises(peewee.DatabaseError), db.atomic():
        CaseEvent.update(note="改写").where(CaseEvent.id == event.id).execute()
    with pytest.raises(peewee.DatabaseError), db.atomic():
        CaseEvent.delete().where(CaseEvent.id == event.id).execute()
    assert history(case)[0].note == ""


def test_only_the_service_writes_cases_and_only_personal_touches_sealed_columns():
    package = ROOT / "platform" / "daiban"
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(package).as_posix()
        if re.search(r"\bCase(Event)?\.(insert|update|delete|create|insert_many)\(", text):
            assert relative == "cases/service.py", relative
        if "_sealed" in text:
            assert relative in ("cases/personal.py", "models.py", "migrations/006_cases.py"), relative


# --- the applicant's ID number and phone ------------------------------------------------------

def test_masking():
    assert personal.mask_id_number("152223194501011234") == "152223********1234"
    assert personal.mask_id_number("15222319450101002X") == "152223********002X"
    assert personal.mask_phone("13900000001") == "139****0001"
    assert personal.mask_phone("0482-6012301") == "048*****2301"
    assert personal.mask_id_number("") == personal.mask_phone(None) == ""
    assert personal.mask_phone("12345") == "*****"
    assert personal.mask_id_number("E12345678") == "E1*****78"


def test_id_number_and_phone_are_stored_only_sealed_and_read_through_the_accessor(world):
    case = new_case(world)
    assert personal.masked_id_number(case) == "152223********002X"  # stored upper-cased
    assert personal.masked_phone(case) == "139****0001"
    assert case.applicant_id_number_sealed.startswith("sm4:k1:")  # sealed, scheme and key named
    assert "15222319450101002X" not in case.applicant_id_number_sealed
    stored = case.form_values
    for key in ("id_number", "phone", "agent_id_number", "bank_account"):  # bank_account: personal
        assert set(stored[key]) == {"$sealed", "kind"}, key
    assert stored["name"] == "巴特尔" and stored["bank_name"] == "农村信用社"
    masked = personal.masked_values(case)
    assert masked["id_number"] == "152223********002X" and masked["phone"] == "139****0001"
    assert masked["bank_account"] == "6**************0"  # personal: first and last kept
    assert AuditLog.select().where(AuditLog.action == "reveal").count() == 0  # masking is not a reveal

    assert personal.reveal_id_number(case, by=world.users["township_agent"], reason="核对身份") == ID_NUMBER
    assert personal.reveal_phone(case, by="department_liaison") == "13900000001"
    full = personal.reveal_values(case, by="banner_agent")
    assert full["agent_id_number"] == elderly_values()["agent_id_number"]
    assert full["bank_account"] == "6230000000000000"
    logged = [(a.action, a.actor, a.object_id, a.summary)
              for a in AuditLog.select().where(AuditLog.action == "reveal").order_by(AuditLog.id)]
    assert logged == [
        ("reveal", "township_agent", case.number, "查看完整公民身份号码：核对身份"),
        ("reveal", "department_liaison", case.number, "查看完整联系电话"),
        ("reveal", "banner_agent", case.number, "查看完整申请表（公民身份号码、联系电话、个人信息）"),
    ]
    with pytest.raises(TypeError):
        personal.reveal_id_number(case)  # who asked must be named
    with pytest.raises(ValueError):
        personal.reveal_id_number(case, by="")


def test_group_members_are_sealed_and_masked(world):
    values = {"name": "乌云", "id_number": ID_NUMBER, "phone": "13900000003",
              "members": [{"member_name": "乌云", "member_id_number": ID_NUMBER, "relation": "self"},
                          {"member_name": "巴图", "member_id_number": valid_id("15222320100101003")}]}
    case = new_case(world, matter=ASSISTANCE, values=values)
    raw = json.loads(Case.get_by_id(case.id).values)
    assert all("$sealed" in m["member_id_number"] for m in raw["members"])
    masked = personal.masked_values(case)
    assert [m["member_id_number"] for m in masked["members"]] == [
        "152223********002X", "152223********" + valid_id("15222320100101003")[-4:]]
    assert masked["members"][1]["member_name"] == "巴图"


def test_an_explicit_applicant_overrides_the_form(world):
    case = new_case(world, applicant=Applicant("其其格", None, "0482-6012301"))
    assert case.applicant_name == "其其格"
    assert personal.masked_id_number(case) == "" and personal.masked_phone(case) == "048*****2301"
    assert case.applicant_id_number_sealed is None


def test_the_event_log_and_case_triggers_exist_after_upgrade(db, db_url):
    query = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger'",
        "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal",
    }["sqlite" if db_url.startswith("sqlite") else "postgresql"]
    names = {row[0] for row in db.execute_sql(query).fetchall()}
    assert {"case_event_no_update", "case_event_no_delete", "case_file_no_update",
            "case_file_no_delete"} <= names
    assert Path(ROOT / "platform" / "daiban" / "migrations" / "006_cases.py").is_file()


def test_case_scope_follows_the_roles(world):
    from daiban.access import principal_for, scoped
    from daiban.publishing import publish_catalog

    publish_catalog(CATALOG, "tester")  # the department scope reads responsible units
    case = new_case(world)  # opened at 河西村 (新林镇) for 高龄津贴 (民政局)
    hongxing = ServiceCenter.get(ServiceCenter.code == "yinde-er-hongxing-station")
    stranger = User.create(username="stranger", display_name="别村代办员", password_hash="-",
                           roles="village_agent", center=hongxing)
    health = Department.get(Department.code == "banner-health-commission")
    other_dept = User.create(username="health", display_name="卫健联络员", password_hash="-",
                             roles="department_liaison", department=health)

    def sees(user) -> bool:
        principal = principal_for(user, CATALOG.roles)
        return scoped(Case.select(), Case, principal).where(Case.id == case.id).exists()

    assert sees(world.users["village_agent"])  # its own station
    assert sees(world.users["township_agent"])  # 新林镇 and its villages
    assert sees(world.users["department_liaison"])  # 民政局 decides 高龄津贴
    assert sees(world.users["bureau"]) and sees(world.users["inspector"])
    assert not sees(stranger)
    assert not sees(other_dept)


def test_the_result_needs_a_decision_and_keeps_the_certificate_number(world):
    case = drive_to(world, new_case(world), "in_department")
    with pytest.raises(TransitionRefused, match="须写明办理结果"):
        transition(case, "record_result", world.actor("department_liaison"), "", case.lock_version,
                   DRIVEN, CALENDAR, workflow=WORKFLOW)
    case = act(world, case, "record_result", "department_liaison", DRIVEN,
               result=Result("approved", " 民高津〔2026〕17号 "))
    assert (case.result_decision, case.result_on) == ("approved", DRIVEN)
    assert case.result_number == "民高津〔2026〕17号"


# --- one case per applicant and matter in progress ---------------------------------------------

def test_a_second_case_for_the_same_applicant_and_matter_is_refused_until_the_first_ends(world):
    from daiban.cases.service import DuplicateCase

    first = new_case(world, ready=False)
    with pytest.raises(DuplicateCase) as refused:
        new_case(world, ready=False, values=elderly_values(id_number=ID_NUMBER))  # upper case: same person
    # The plain message names no case, only where to ask; the number only for someone in scope.
    assert str(refused.value) == ("该申请人已有在办的同一事项，请勿重复受理；如需了解办理情况，"
                                  "请联系河西村便民服务站")
    assert first.number not in str(refused.value)
    assert refused.value.existing.id == first.id
    assert Case.select().count() == 1
    lookups = list(AuditLog.select().where((AuditLog.action == "read") & (AuditLog.object_type == "case")))
    assert [(a.actor, a.object_id) for a in lookups] == [("village_agent", first.number)]
    assert "重复受理核查" in lookups[0].summary
    act(world, first, "terminate", "village_agent", DRIVEN, note="申请人撤回")
    again = new_case(world, ready=False, values=elderly_values())
    assert again.id != first.id and Case.select().count() == 2


def test_two_agents_opening_the_same_applicant_at_once_open_one_case(world, db_url):
    from daiban.cases.service import DuplicateCase

    barrier = threading.Barrier(2)
    opened, refused, errors = [], [], []

    def work(role, center):
        try:
            barrier.wait(timeout=10)
            opened.append(open_case(ELDERLY, ELDERLY.version, elderly_values(), "assist", "window",
                                    world.users[role], world.centers[center], TODAY, CALENDAR,
                                    workflow=WORKFLOW))
        except DuplicateCase as exc:
            refused.append(exc)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            database.close()

    threads = [threading.Thread(target=work, args=("village_agent", "xinlin-hexi-station")),
               threading.Thread(target=work, args=("township_agent", "xinlin-center"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(opened) == 1 and len(refused) == 1
    assert Case.select().count() == 1
