"""The quarterly report: every figure against a plain count over the raw rows, the overview in a
few queries, submission status against the deadline, freezing on submit, the screens, .xlsx and PDF.

The world is built here (and reused by the ledger's tests): the shipped organisation, matters of
four departments (one whose responsibility moved in version 2), cases in every state, mode and
channel, late and on time, deferred materials, ratings with rectifications (one appeal upheld),
consultations and agents. Rows are inserted directly: only the figures matter here.
"""

from __future__ import annotations

import datetime
import io
import itertools
import random
from collections import Counter
from dataclasses import dataclass

import openpyxl
import pypdf
import pytest

from case_screens import signed_in
from conftest import CONFIG, TODAY, needs_pdf
from daiban.access import principal_for
from daiban.accounts import create_user
from daiban.cases import personal
from daiban.cases.service import overdue
from daiban.catalog.loader import load_catalog
from daiban.catalog.settings import SupervisionSettings
from daiban.models import (
    CASE_CHANNELS,
    CASE_MODES,
    Agent,
    AuditLog,
    Case,
    CaseMaterial,
    Consultation,
    Department,
    Handoff,
    Matter,
    MatterVersion,
    ServiceCenter,
    User,
)
from daiban.orgsync import sync_organisation
from daiban.supervision.models import (
    RATING_LEVELS,
    RECTIFICATION_STATUSES,
    Rating,
    Rectification,
    ReportSubmission,
)
from daiban.supervision.report import (
    FIGURES,
    QuarterlyFigures,
    ReportRefused,
    overview,
    quarterly_figures,
    submission_status,
    submission_statuses,
    submit,
)
from daiban.supervision.series import by_domain, by_township, monthly_trend, satisfaction
from daiban.supervision.units import ReportUnit, report_units, unit_by_key

D = datetime.date
DAY = datetime.timedelta(days=1)
PASSWORD = "Test-pass-2026"
CATALOG = load_catalog(CONFIG, today=TODAY, include_matters=False).catalog
ROLES = CATALOG.roles
SETTINGS = SupervisionSettings()  # deadline the 15th, at least 2 agents per center
MATTERS = (  # code, version, responsible unit, domain
    ("YLFW-T001", 1, "banner-civil-affairs-bureau", "elderly_care"),
    ("YLFW-T001", 2, "banner-health-commission", "elderly_care"),  # responsibility moved in v2
    ("JYCY-T001", 1, "banner-hrss-bureau", "employment"),
    ("CJR-T001", 1, "banner-disabled-persons-federation", "disability"),
)
CASE_CENTERS = ("banner-center", "yinde-er-center", "yinde-er-hongxing-station", "yinde-er-dongfang-station",
                "xinlin-center", "xinlin-hexi-station", "haolibao-center")
ID_NUMBER = "152223194001010015"
OPEN_STATES = ("consultation", "commission_accepted", "materials_collected", "submitted", "in_department")
STOPPED_STATES = ("suspended", "returned_for_correction")
RESULT_STATES = ("result_received", "materials_returned", "followed_up", "closed")


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    """Computed here independently of the code under test."""
    first = D(year, 3 * quarter - 2, 1)
    after = D(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return first, after - DAY


@dataclass
class World:
    today: datetime.date
    users: dict[str, User]
    centers: dict[str, ServiceCenter]
    year: int
    quarter: int

    def principal(self, username: str):
        return principal_for(self.users[username], ROLES)


def build_world(today: datetime.date, seed: int = 5) -> World:
    """The shipped organisation and a quarter's worth of varied records up to `today`."""
    sync_organisation(CATALOG.organisation)
    centers = {c.code: c for c in ServiceCenter.select()}
    departments = {d.code: d for d in Department.select()}
    for code, version, unit, domain in MATTERS:
        matter = Matter.get_or_none(Matter.code == code) or Matter.create(code=code)
        MatterVersion.create(matter=matter, code=code, version=version, status="active",
                             name=f"{code} 第{version}版事项", domain=domain, levels="village,township",
                             responsible_unit=unit, effective_from=D(2025, 1, 1), content="{}",
                             content_hash=f"h{version}", published_by="test")
    users = {
        "bureau": create_user("bureau", "督查局长", PASSWORD, ["bureau"], center=centers["banner-center"],
                              department=departments["banner-government-service-bureau"]),
        "inspector": create_user("inspector", "督查员", PASSWORD, ["inspector"]),
        "yinde": create_user("yinde", "音德尔代办", PASSWORD, ["township_agent"],
                             center=centers["yinde-er-center"]),
        "xinlin": create_user("xinlin", "新林代办", PASSWORD, ["township_agent"],
                              center=centers["xinlin-center"]),
        "village": create_user("village", "红星代办", PASSWORD, ["village_agent"],
                               center=centers["yinde-er-hongxing-station"]),
        "civil": create_user("civil", "民政联络员", PASSWORD, ["department_liaison"],
                             department=departments["banner-civil-affairs-bureau"]),
        "banner_agent": create_user("banner_agent", "旗代办", PASSWORD, ["banner_agent"],
                                    center=centers["banner-center"]),
    }
    rng = random.Random(seed)
    year, quarter = (today.year, (today.month - 1) // 3 + 1)
    first, _ = quarter_bounds(year, quarter)
    span = (today - first).days
    agents = {code: User.create(username=f"agent-{code}", display_name=f"{code}代办", password_hash="-",
                                roles="village_agent", center=centers[code]) for code in CASE_CENTERS}
    case_ids = []
    for n in range(180):
        code, version, _, _ = rng.choice(MATTERS)
        center = rng.choice(CASE_CENTERS)
        accepted = first + DAY * rng.randint(-110, span)
        if n == 0:
            accepted = first  # the quarter's first day counts
        due = None if n % 11 == 0 else accepted + DAY * rng.randint(5, 20)
        status = rng.choice(OPEN_STATES + STOPPED_STATES + RESULT_STATES * 2 + ("terminated",))
        row = dict(number=f"BDT{n:05d}", matter_code=code, matter_version=version,
                   mode=rng.choice(list(CASE_MODES)), channel=rng.choice(CASE_CHANNELS), status=status,
                   first_agent=agents[center], center=centers[center], applicant_name=f"申请人{n}",
                   accepted_on=accepted, due_on=due,
                   applicant_id_number_sealed=personal.seal(ID_NUMBER, "id_number"))
        if status in STOPPED_STATES:
            row["clock_stopped_on"] = min(today, accepted + DAY * rng.randint(0, 25))
        if status in RESULT_STATES:
            row["result_on"] = min(today, accepted + DAY * rng.randint(0, 30))
            row["result_decision"] = "approved"
            if due is not None and n % 7 == 0:
                row["result_on"] = min(today, due)  # exactly on the due date is on time
        if status == "closed":
            row["closed_on"] = min(today, row["result_on"] + DAY * rng.randint(0, 6))
        if status == "terminated":
            row["closed_on"] = min(today, accepted + DAY * rng.randint(0, 20))
        case_ids.append(Case.insert(**row).execute())
    cases = list(Case.select().order_by(Case.id))
    for case in cases[::3]:
        for i in range(rng.randint(1, 2)):
            supplied = rng.random() < 0.5
            promised = case.accepted_on + DAY * rng.randint(3, 30)
            CaseMaterial.insert(case=case, material_id=f"m{i}", name=f"材料{i}", notice_status="needed",
                                status="supplied" if supplied else "deferred", deferred_on=case.accepted_on,
                                promised_on=promised,
                                supplied_on=min(today, promised) if supplied else None).execute()
        CaseMaterial.insert(case=case, material_id="id_card", name="居民身份证", notice_status="needed",
                            status="received", received_on=case.accepted_on).execute()
    statuses = itertools.cycle(RECTIFICATION_STATUSES)  # every status in turn, whatever the ids
    for case in cases:
        if case.result_on is None or rng.random() < 0.3:
            continue
        for visit in (1, 2) if case.id % 5 == 0 else (1,):
            level = rng.randint(1, 5)
            rated = min(today, case.result_on + DAY * rng.randint(0, 12))
            rating = Rating.create(case=case, visit=visit, level=level, bad=level <= 2, channel="on_site",
                                   staff=case.first_agent, center=case.center, rated_on=rated,
                                   efficiency=rng.choice((None, 3, 4, 5)), skill=rng.choice((None, 2, 5)),
                                   attitude=rng.randint(1, 5))
            if level <= 2:
                status = next(statuses)
                Rectification.create(rating=rating, case=case, responsible=case.first_agent,
                                     center=case.center, status=status, opened_on=rated,
                                     due_on=rated + DAY * 7,
                                     closed_on=rated + DAY if status == "closed" else None)
    codes = sorted({m[0] for m in MATTERS})
    for _ in range(70):
        day = first + DAY * rng.randint(-40, span)
        at = datetime.datetime.combine(day, datetime.time(rng.randint(8, 17)))
        center = rng.choice((*CASE_CENTERS, None))
        Consultation.create(agent=agents[center or "banner-center"],
                            center=centers[center] if center else None,
                            matter_code=rng.choice((*codes, None)), channel="window", at=at)
    # The quarter's last instant counts; the one before its first does not.
    for at in (datetime.datetime.combine(today, datetime.time(23, 59, 59)),
               datetime.datetime.combine(first - DAY, datetime.time(23, 59))):
        Consultation.create(agent=agents["yinde-er-center"], center=centers["yinde-er-center"],
                            matter_code=codes[0], at=at)
    for center in centers.values():
        for i in range(rng.randint(0, 3)):
            Agent.create(name=f"{center.name}代办员{i}", center=center, status="active")
        if rng.random() < 0.4:
            Agent.create(name=f"{center.name}离岗代办员", center=center, status="inactive")
    civil = departments["banner-civil-affairs-bureau"]
    Agent.create(name="民政局代办员", department=civil)
    Agent.create(name="民政局离岗代办员", department=civil, status="left")
    # A case of 新林 relayed to 音德尔镇 (the township sees it in its scope, not in its report).
    relayed = next(c for c in cases if c.center.code == "xinlin-hexi-station")
    Handoff.create(case=relayed, from_center=relayed.center, to_center=centers["yinde-er-center"],
                   sent_by="agent-xinlin-hexi-station")
    return World(today, users, centers, year, quarter)


# ---- the independent count --------------------------------------------------------------------
def township_code(center: ServiceCenter | None) -> str | None:
    if center is None:
        return None
    unit = center.unit
    if unit.level == "village":
        unit = unit.parent
    return unit.code if unit.level == "township" else None


def department_of(code: str, version: int | None = None) -> str | None:
    query = MatterVersion.select().where(MatterVersion.code == code)
    if version is not None:
        query = query.where(MatterVersion.version == version)
    row = query.order_by(MatterVersion.version.desc()).first()
    return row.responsible_unit if row else None


class Lookup:
    """The organisation and matters as plain dicts, read once, for the plain counts."""

    def __init__(self):
        self.township = {c.id: township_code(c) for c in ServiceCenter.select()}
        self.department = {(v.code, v.version): v.responsible_unit for v in MatterVersion.select()}
        self.cases = {c.id: c for c in Case.select()}

    def case_in(self, unit: ReportUnit, case: Case) -> bool:
        if unit.kind == "township":
            return self.township[case.center_id] == unit.code
        if unit.kind == "department":
            return self.department[(case.matter_code, case.matter_version)] == unit.code
        return True


def case_in(unit: ReportUnit, case: Case) -> bool:
    return Lookup().case_in(unit, case)


def rate(part, whole):
    return round(100.0 * part / whole, 1) if whole else None


def expected_figures(unit: ReportUnit, year: int, quarter: int, today: datetime.date) -> tuple[dict, list]:
    """Every figure counted with plain Python loops over the raw rows."""
    first, last = quarter_bounds(year, quarter)
    end = min(last, today)

    def inside(day):
        return day is not None and first <= day <= end

    e = Counter({key: 0 for key, _, _ in FIGURES})
    look = Lookup()

    def case_in(unit, case):
        return look.case_in(unit, case)

    for case in look.cases.values():
        if not case_in(unit, case):
            continue
        if inside(case.accepted_on):
            e["received"] += 1
            e[case.mode] += 1
            e[f"channel_{case.channel}"] += 1
        if inside(case.result_on):
            e["finished"] += 1
            e["late" if overdue(case, today) else "on_time"] += 1
        if case.status == "terminated" and inside(case.closed_on):
            e["terminated"] += 1
    for material in CaseMaterial.select():
        if case_in(unit, look.cases[material.case_id]) and inside(material.deferred_on):
            e["deferred"] += 1
            e["deferred_supplied"] += material.supplied_on is not None
            pending = material.status == "deferred"
            e["deferred_pending"] += pending
            e["deferred_overdue"] += pending and material.promised_on < today
    rectifications = {r.rating_id: r for r in Rectification.select()}
    for rating in Rating.select():
        if not (case_in(unit, look.cases[rating.case_id]) and inside(rating.rated_on)):
            continue
        rectification = rectifications.get(rating.id)
        if rectification is not None and rectification.status == "appeal_upheld":
            e["ratings_struck"] += 1
            continue
        e["ratings"] += 1
        e[f"rating_{rating.level}"] += 1
        e["bad_ratings"] += rating.bad
    for rectification in rectifications.values():
        if case_in(unit, look.cases[rectification.case_id]) and inside(rectification.opened_on):
            e["rectifications"] += 1
            e[f"rectification_{rectification.status}"] += 1
            e["rectification_overdue"] += rectification.status == "open" and rectification.due_on < today
    for consultation in Consultation.select():
        if not inside(consultation.at.date()):
            continue
        if (unit.kind == "banner"
                or (unit.kind == "township" and township_code(consultation.center) == unit.code)
                or (unit.kind == "department" and consultation.matter_code
                    and department_of(consultation.matter_code) == unit.code)):
            e["consultations"] += 1
    active = [a for a in Agent.select() if a.status == "active"]
    listed = []
    if unit.kind == "department":
        e["agents"] = sum(1 for a in active if a.department and a.department.code == unit.code)
        e["centers"] = e["centers_short"] = None
    else:
        centers = [c for c in ServiceCenter.select().order_by(ServiceCenter.id)
                   if c.active and (unit.kind == "banner" or township_code(c) == unit.code)]
        listed = [(c.name, sum(1 for a in active if a.center_id == c.id)) for c in centers]
        e["agents"] = len(active) if unit.kind == "banner" else sum(n for _, n in listed)
        e["centers"] = len(centers)
        e["centers_short"] = sum(1 for _, n in listed if n < SETTINGS.min_agents_per_center)
    values = dict(e)
    values["on_time_rate"] = rate(e["on_time"], e["finished"])
    values["good_rate"] = rate(e["ratings"] - e["bad_ratings"], e["ratings"])
    return values, listed


def assert_figures(figures, unit, year, quarter, today):
    values, listed = expected_figures(unit, year, quarter, today)
    assert set(figures.values) == set(values), unit
    for key, value in values.items():
        assert figures[key] == value, f"{unit.name} {year}Q{quarter} {key}: {figures[key]} ≠ {value}"
    assert list(figures.agents_by_center) == listed


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


@pytest.fixture
def world(db):
    """Built around the real date, since the screens count as of today."""
    return build_world(datetime.date.today())


# ---- figures ----------------------------------------------------------------------------------
def test_the_world_has_something_of_everything(world):
    banner = report_units("banner")[0]
    values, _ = expected_figures(banner, *previous_quarter(world.year, world.quarter), world.today)
    for key in ("received", "assist", "proxy", "channel_home_visit", "finished", "on_time", "late",
                "terminated", "consultations", "deferred", "deferred_supplied", "deferred_pending",
                "ratings", "bad_ratings", "ratings_struck", "rectifications", "rectification_open"):
        assert values[key] > 0, f"the test world needs some {key}"


def test_every_figure_of_every_unit_matches_a_plain_count(world):
    units = report_units()
    assert [u.kind for u in units].count("township") == 4 and units[0].kind == "banner"
    for year, quarter in ((world.year, world.quarter), previous_quarter(world.year, world.quarter)):
        for unit in units:
            figures = quarterly_figures(unit, year, quarter, world.today, SETTINGS)
            assert_figures(figures, unit, year, quarter, world.today)


def test_the_overview_is_every_unit_in_a_few_queries(world, db, monkeypatch):
    executed = []
    original = db.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        executed.append(sql)
        return original(sql, params, *args, **kwargs)

    monkeypatch.setattr(db, "execute_sql", counting)
    every = overview(world.year, world.quarter, world.today, SETTINGS)
    monkeypatch.undo()
    # Cases, materials, ratings, rectifications, consultations, agents and the reference tables;
    # rows of cases and their records are only ever read grouped.
    assert len(executed) <= 15, executed  # however many units, cases and records
    for sql in executed:
        if any(f'FROM "{t}"' in sql for t in ("case_file", "case_material", "rating", "consultation")):
            assert "GROUP BY" in sql, sql
    assert list(every) == report_units()
    for unit, figures in every.items():
        alone = quarterly_figures(unit, world.year, world.quarter, world.today, SETTINGS)
        assert figures.values == alone.values
    # Each case counts for one department, and for one township or the banner's own center.
    towns = [f for u, f in every.items() if u.kind == "township"]
    departments = [f for u, f in every.items() if u.kind == "department"]
    banner = every[report_units("banner")[0]]
    first, _ = quarter_bounds(world.year, world.quarter)
    own_center = Case.select().where((Case.center == world.centers["banner-center"])
                                     & (Case.accepted_on >= first)).count()
    assert sum(f["received"] for f in departments) == banner["received"]
    assert sum(f["received"] for f in towns) + own_center == banner["received"]


def test_a_responsibility_moved_in_a_new_version_keeps_old_cases_with_the_old_department(world):
    civil = unit_by_key("department:banner-civil-affairs-bureau")
    health = unit_by_key("department:banner-health-commission")
    first, _ = quarter_bounds(world.year, world.quarter)
    counts = [Case.select().where((Case.matter_code == "YLFW-T001") & (Case.matter_version == version)
                                  & (Case.accepted_on >= first)).count() for version in (1, 2)]
    assert min(counts) > 0
    assert quarterly_figures(civil, world.year, world.quarter, world.today)["received"] == counts[0]
    assert quarterly_figures(health, world.year, world.quarter, world.today)["received"] == counts[1]


def test_a_quarter_not_begun_counts_nothing_and_rates_are_empty(world):
    figures = quarterly_figures(report_units("banner")[0], world.year + 1, 2, world.today)
    assert figures["received"] == 0 and figures["on_time_rate"] is None and figures["good_rate"] is None
    assert figures["agents"] > 0  # agents are counted as they are today


# ---- what the dashboards share ----------------------------------------------------------------
def test_monthly_trend_by_domain_by_township_and_satisfaction_match_plain_counts(world):
    today = world.today
    start, end = quarter_bounds(*previous_quarter(world.year, world.quarter))[0], today
    months = sorted({f"{start + DAY * n:%Y-%m}" for n in range((end - start).days + 1)})
    township = unit_by_key("township:yinde-er")
    look = Lookup()
    domain_of = {(v.code, v.version): v.domain for v in MatterVersion.select()}
    in_period = [c for c in look.cases.values() if start <= c.accepted_on <= end]
    for scope in (None, township):
        cases = [c for c in look.cases.values() if scope is None or look.case_in(scope, c)]
        trend = monthly_trend(scope, start, end, today)
        assert [m["month"] for m in trend] == months
        for month in trend:
            got = [c for c in cases if f"{c.accepted_on:%Y-%m}" == month["month"]]
            done = [c for c in cases if c.result_on and f"{c.result_on:%Y-%m}" == month["month"]]
            assert month["received"] == len(got)
            assert month["proxy"] == sum(c.mode == "proxy" for c in got)
            assert month["finished"] == len(done)
            assert month["late"] == sum(overdue(c, today) for c in done)
    domains = {row["domain"]: row for row in by_domain(None, start, end, today)}
    for domain in ("elderly_care", "employment", "disability"):
        assert domains[domain]["received"] == sum(
            domain_of[(c.matter_code, c.matter_version)] == domain for c in in_period)
    rows = {row["code"]: row for row in by_township(None, start, end, today)}
    for code in ("yinde-er", "xinlin", "haolibao", "baolegenhua"):
        assert rows[code]["received"] == sum(look.township[c.center_id] == code for c in in_period)
    assert rows[""]["name"] == "旗本级"
    # A township user's scope shows its township and the case relayed to it, nothing else.
    mine = by_township(world.principal("yinde"), start, end, today)
    scoped = {row["code"]: row["received"] for row in mine}
    relayed = look.cases[Handoff.get().case_id]
    assert scoped["xinlin"] == (relayed in in_period)
    assert scoped["haolibao"] == scoped["baolegenhua"] == 0
    assert scoped["yinde-er"] == rows["yinde-er"]["received"]
    said = satisfaction(None, start, end)
    counted = [r for r in Rating.select() if start <= r.rated_on <= end and not Rectification.select().where(
        (Rectification.rating == r.id) & (Rectification.status == "appeal_upheld")).exists()]
    assert said["ratings"] == len(counted)
    assert said["bad_ratings"] == sum(r.bad for r in counted)
    for level in RATING_LEVELS:
        assert said[f"rating_{level}"] == sum(r.level == level for r in counted)
    given = [r.efficiency for r in counted if r.efficiency is not None]
    assert said["efficiency_average"] == round(sum(given) / len(given), 2)


# ---- submissions --------------------------------------------------------------------------------
def test_submission_status_against_the_deadline():
    deadline = SETTINGS.report_deadline(2026, 4)
    assert deadline == D(2026, 12, 15)

    class Sent:
        def __init__(self, at):
            self.submitted_at = at

    at = datetime.datetime
    assert submission_status(Sent(at(2026, 12, 15, 23, 59)), deadline, D(2027, 1, 5)) == "on_time"
    assert submission_status(Sent(at(2026, 12, 16, 0, 1)), deadline, D(2026, 12, 16)) == "late"
    assert submission_status(None, deadline, D(2026, 12, 15)) == "not_yet"
    assert submission_status(None, deadline, D(2026, 12, 16)) == "overdue"


def test_submit_freezes_the_figures_and_refuses_a_second_time(world):
    yinde = unit_by_key("township:yinde-er")
    year, quarter, today = world.year, world.quarter, world.today
    row = submit(yinde, year, quarter, world.users["yinde"], "  本季度开展上门办 3 次  ", today, SETTINGS)
    assert row.note == "本季度开展上门办 3 次" and row.unit_name == "音德尔镇"
    frozen = quarterly_figures(yinde, year, quarter, today, SETTINGS)
    assert QuarterlyFigures.from_json(row.figures) == frozen
    # Later work changes the live figures, not the submitted ones.
    Case.insert(number="BDT-LATER", matter_code="JYCY-T001", matter_version=1, mode="assist",
                channel="window", status="consultation", first_agent=world.users["yinde"],
                center=world.centers["yinde-er-center"], accepted_on=today).execute()
    assert quarterly_figures(yinde, year, quarter, today, SETTINGS)["received"] == frozen["received"] + 1
    assert QuarterlyFigures.from_json(ReportSubmission.get().figures)["received"] == frozen["received"]
    with pytest.raises(ReportRefused, match="不能重复报送") as refused:
        submit(yinde, year, quarter, world.users["yinde"], "", today, SETTINGS)
    message = str(refused.value)
    assert f"音德尔镇{year}年第{quarter}季度报告已于" in message and "音德尔代办" in message
    assert ReportSubmission.select().count() == 1
    with pytest.raises(ReportRefused, match="尚未开始"):
        submit(yinde, year + 1, 1, world.users["yinde"], "", today, SETTINGS)
    assert AuditLog.select().where((AuditLog.action == "submit")
                                   & (AuditLog.object_type == "report_submission")).count() == 1


def test_statuses_of_every_unit(world):
    yinde, xinlin = unit_by_key("township:yinde-er"), unit_by_key("township:xinlin")
    year, quarter = previous_quarter(world.year, world.quarter)
    deadline = SETTINGS.report_deadline(year, quarter)
    for unit, at in ((yinde, datetime.time(17, 0)), (xinlin, None)):
        row = submit(unit, year, quarter, world.users[unit.code.split("-")[0]], "", world.today, SETTINGS)
        when = datetime.datetime.combine(deadline if at else deadline + DAY * 5, at or datetime.time(9))
        ReportSubmission.update(submitted_at=when).where(ReportSubmission.id == row.id).execute()
    statuses = {s.unit.key: s for s in submission_statuses(year, quarter, world.today, SETTINGS)}
    assert len(statuses) == len(report_units())
    assert statuses["township:yinde-er"].label == "按时报送"
    assert statuses["township:xinlin"].label == "逾期报送"
    assert statuses["township:haolibao"].label == "逾期未报送"
    assert statuses["banner:zalaite"].deadline == deadline
    now = {s.unit.key: s.status
           for s in submission_statuses(world.year, world.quarter, world.today, SETTINGS)}
    current = SETTINGS.report_deadline(world.year, world.quarter)
    assert set(now.values()) == {"not_yet" if world.today <= current else "overdue"}


# ---- screens and files ------------------------------------------------------------------------
@pytest.fixture
def site(db_url, world, tmp_path):
    from daiban.web import create_app

    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "DATABASE_URL": db_url,
                       "CONFIG_DIR": str(CONFIG), "UPLOAD_DIR": str(tmp_path / "uploads")})


@pytest.fixture
def site_without_fonts(no_cjk_font, db_url, world, tmp_path):
    """The same app started on a server without a Chinese font."""
    from daiban.web import create_app

    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "DATABASE_URL": db_url,
                       "CONFIG_DIR": str(CONFIG), "UPLOAD_DIR": str(tmp_path / "uploads")})


def quarter_args(world, unit):
    return {"unit": unit, "year": world.year, "quarter": world.quarter}


def test_a_township_sees_and_submits_its_own_report_only(site, world):
    client = signed_in(site, "yinde")
    page = client.get("/admin/reports/").get_data(as_text=True)
    figures = quarterly_figures(unit_by_key("township:yinde-er"), world.year, world.quarter, world.today)
    assert f"音德尔镇{world.year}年第{world.quarter}季度帮办代办工作情况" in page
    assert "报送截止日期" in page and "未报送" in page and "报送本季度报告" in page
    received = figures["received"]
    assert f'<tr data-key="received"><td>受理办件（件）</td><td class="text-right">{received}</td>' in page
    assert "各单位报送情况" not in page
    assert client.get("/admin/reports/?unit=township:xinlin").status_code == 404
    refused = client.post("/admin/reports/submit", data=quarter_args(world, "township:xinlin"),
                          follow_redirects=True).get_data(as_text=True)
    assert "您只能报送本单位的季度报告" in refused
    done = client.post("/admin/reports/submit", data={**quarter_args(world, "township:yinde-er"),
                                                      "note": "经验做法"}, follow_redirects=True)
    assert f"已报送音德尔镇{world.year}年第{world.quarter}季度报告" in done.get_data(as_text=True)
    again = client.post("/admin/reports/submit", data=quarter_args(world, "township:yinde-er"),
                        follow_redirects=True).get_data(as_text=True)
    assert "不能重复报送" in again and "Traceback" not in again
    page = client.get("/admin/reports/").get_data(as_text=True)
    assert "按时报送" in page and "报送时冻结的数据" in page and "报送本季度报告" not in page
    # A village agent has no report permission.
    assert signed_in(site, "village").get("/admin/reports/").status_code == 403


def test_the_bureau_sees_every_unit_and_submits_the_banners(site, world):
    client = signed_in(site, "bureau")
    page = client.get("/admin/reports/").get_data(as_text=True)
    assert "扎赉特旗" in page and "各单位报送情况" in page and "各单位实时数据" in page
    for unit in report_units():
        assert f'data-unit="{unit.key}"' in page
    assert client.get("/admin/reports/?unit=department:banner-hrss-bureau").status_code == 200
    ahead = client.get("/admin/reports/", query_string={"year": world.year + 1, "quarter": 2})
    assert "本季度尚未开始" in ahead.get_data(as_text=True)
    refused = client.post("/admin/reports/submit", data=quarter_args(world, "township:yinde-er"),
                          follow_redirects=True).get_data(as_text=True)
    assert "您只能报送本单位的季度报告" in refused
    client.post("/admin/reports/submit", data=quarter_args(world, "banner:zalaite"))
    assert ReportSubmission.get().unit_kind == "banner"
    # The liaison's own department is its unit.
    liaison = signed_in(site, "civil").get("/admin/reports/").get_data(as_text=True)
    assert "扎赉特旗民政局" in liaison and "报送本季度报告" in liaison


def test_the_report_as_xlsx_holds_the_figures(site, world):
    client = signed_in(site, "bureau")
    response = client.get("/admin/reports/export.xlsx", query_string=quarter_args(world, "banner:zalaite"))
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["季度报告", "代办员配备", "报送情况", "分单位汇总"]
    sheet = book["季度报告"]
    assert sheet["A1"].value == f"扎赉特旗{world.year}年第{world.quarter}季度帮办代办工作情况"
    assert sheet.freeze_panes == "A3" and sheet.print_title_rows == "$1:$2"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    assert [c.value for c in sheet[2]] == ["项目", "数量"]
    figures = quarterly_figures(report_units("banner")[0], world.year, world.quarter, world.today)
    shown = {row[0]: row[1] for row in sheet.iter_rows(min_row=3, values_only=True)}
    for key, label, depth, value in figures.rows():
        assert shown[("其中：" if depth else "") + label] == ("—" if value is None else value), key
    side = book["分单位汇总"]
    rows = {row[0]: row for row in side.iter_rows(min_row=3, values_only=True)}
    yinde = quarterly_figures(unit_by_key("township:yinde-er"), world.year, world.quarter, world.today)
    assert rows["音德尔镇"][1] == yinde["received"]
    assert AuditLog.select().where(AuditLog.action == "export").count() == 1


@needs_pdf
def test_the_report_as_pdf_carries_its_figures(site, world):
    client = signed_in(site, "yinde")
    response = client.get("/admin/reports/export.pdf", query_string=quarter_args(world, "township:yinde-er"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = pypdf.PdfReader(io.BytesIO(response.data)).pages
    text = "".join("".join(page.extract_text().split()) for page in pages)
    figures = quarterly_figures(unit_by_key("township:yinde-er"), world.year, world.quarter, world.today)
    assert f"音德尔镇{world.year}年第{world.quarter}季度帮办代办工作情况" in text
    assert f"受理办件（件）{figures['received']}" in text
    assert f"按时办结率（%）{'—' if figures['on_time_rate'] is None else figures['on_time_rate']}" in text
    assert f"咨询服务（人次，未建档）{figures['consultations']}" in text


def test_the_report_prints_and_offers_its_pdf(cjk_font, site, world):
    client = signed_in(site, "yinde")
    args = quarter_args(world, "township:yinde-er")
    page = client.get("/admin/reports/", query_string=args).get_data(as_text=True)
    assert "/admin/reports/print?" in page and "下载 PDF" in page
    printed = client.get("/admin/reports/print", query_string=args).get_data(as_text=True)
    assert f"音德尔镇{world.year}年第{world.quarter}季度帮办代办工作情况" in printed
    assert "返回季度报告" in printed and 'data-print' in printed


def test_without_a_chinese_font_the_report_is_offered_to_print_only(site_without_fonts, world, monkeypatch):
    from daiban.web import pdf

    monkeypatch.setattr(pdf, "html_to_pdf", lambda _html: pytest.fail("a PDF of empty boxes"))
    client = signed_in(site_without_fonts, "yinde")
    args = quarter_args(world, "township:yinde-er")
    page = client.get("/admin/reports/", query_string=args).get_data(as_text=True)
    assert "/admin/reports/print?" in page and "下载 Excel" in page
    assert "下载 PDF" not in page and "服务器缺少中文字体" in page
    response = client.get("/admin/reports/export.pdf", query_string=args)
    assert response.status_code == 503 and response.mimetype == "text/html"
    printed = response.get_data(as_text=True)
    assert f"音德尔镇{world.year}年第{world.quarter}季度帮办代办工作情况" in printed
    assert "apt-get install fonts-noto-cjk" in printed and "下载 PDF" not in printed
