"""Demo data for `make run`: one account per shipped role and a few agents, with fresh passwords."""

from __future__ import annotations

from daiban.accounts import create_user, generate_password
from daiban.db import database
from daiban.models import Agent, Department, ServiceCenter, User

# username, display name, roles, center code, department code
DEMO_ACCOUNTS = (
    ("admin", "系统管理员", ["system_admin"], "banner-center", None),
    ("bureau", "王主任（政务服务局）", ["bureau"], "banner-center", "banner-government-service-bureau"),
    ("bureau2", "李科长（政务服务局，审核人）", ["bureau"], "banner-center",
     "banner-government-service-bureau"),
    ("banner_agent", "赵代办（旗级）", ["banner_agent"], "banner-center", None),
    ("township_agent", "孙代办（音德尔镇）", ["township_agent"], "yinde-er-center", None),
    ("village_agent", "周代办（红星村）", ["village_agent"], "yinde-er-hongxing-station", None),
    ("liaison", "吴联络员（民政局）", ["department_liaison"], None, "banner-civil-affairs-bureau"),
    ("inspector", "郑督查（只读）", ["inspector"], None, "banner-government-service-bureau"),
)
DEMO_AGENTS = (
    ("孙代办", "yinde-er-center", "13904821001"),
    ("钱代办", "yinde-er-center", "13904821002"),
    ("周代办", "yinde-er-hongxing-station", "13904821003"),
    ("赵代办", "banner-center", "13904821004"),
    ("冯代办", "xinlin-center", "13904821005"),
)


def create_demo_accounts() -> list[tuple[str, str, str]]:
    """Create the demo accounts that do not exist yet; return (username, password, roles) of new ones."""
    created = []
    with database.atomic():
        for username, name, roles, center_code, dept_code in DEMO_ACCOUNTS + DEMO_FIELD_ACCOUNTS:
            if User.get_or_none(User.username == username):
                continue
            center = ServiceCenter.get_or_none(ServiceCenter.code == center_code) if center_code else None
            dept = Department.get_or_none(Department.code == dept_code) if dept_code else None
            password = generate_password()
            create_user(username, name, password, roles, center=center, department=dept)
            created.append((username, password, ",".join(roles)))
        if not Agent.select().exists():
            for serial, (name, center_code, phone) in enumerate(DEMO_AGENTS, start=901):
                center = ServiceCenter.get_or_none(ServiceCenter.code == center_code)
                if center is None:
                    continue
                # An agent with a demo account of the same name and center acts as 委托代理人
                # under that account, with their ID number from this profile.
                account = (User.select().where((User.center == center) & User.display_name.startswith(name))
                           .first())
                Agent.create(name=name, center=center, phone=phone, user=account,
                             id_number=_demo_id(serial, 1985),
                             duties="政策咨询\n帮办代办\n材料收集报送\n回访")
    return created


# --- demo activity: months of daily work, made through the real services -------------------------

# Extra agents' accounts so the townships and villages of the sample organisation all have work.
DEMO_FIELD_ACCOUNTS = (
    ("xinlin_agent", "冯代办（新林镇）", ["township_agent"], "xinlin-center", None),
    ("hexi_agent", "陈代办（河西村）", ["village_agent"], "xinlin-hexi-station", None),
    ("haolibao_agent", "褚代办（好力保镇）", ["township_agent"], "haolibao-center", None),
)
DEMO_NAMES = ("巴特尔", "其其格", "乌云", "王秀兰", "张桂芬", "额尔敦", "刘玉珍", "萨仁", "李淑华", "宝音",
              "孟根", "陈凤英", "敖登", "赵金花", "斯琴")
DEMO_COMMENTS = {5: "跑一次就办好了", 4: "代办员很耐心", 3: "还可以", 2: "等的时间有点长",
                 1: "来回跑了好几趟"}


def _demo_id(serial: int, born: int) -> str:
    """A valid resident ID number of someone born on 1 January of `born` in the banner."""
    first17 = f"152223{born}0101{serial % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11]


def create_demo_activity(reference, matters: dict, today, days: int = 180, cases: int = 90,
                         seed: int = 2026, progress=None) -> int:
    """Open `cases` demo cases over the last `days` days at the demo agents' centers and move them
    along the workflow (materials, commissions, results, ratings, some late, some still open), plus
    consultations; only on a database without cases. Returns the number of cases made."""
    import datetime
    import random

    from daiban.cases import commission, materials, relay
    from daiban.cases.service import Applicant, CaseError, Result, open_case, transition
    from daiban.models import Case, Consultation
    from daiban.supervision.ratings import Given, record_rating

    if Case.select().exists():
        return 0
    rng = random.Random(seed)
    workflow, calendar, settings = reference.workflow, reference.calendar, reference.supervision
    agents = [u for u in User.select().where(User.active) if u.center_id is not None
              and set(u.role_ids) & {"village_agent", "township_agent"}]
    banner = User.get_or_none(User.username == "banner_agent")
    if not agents or banner is None or workflow is None:
        return 0
    made = 0

    def later(current, k=1):
        return min(calendar.add_working_days(current, k).on, today)

    def act(case, name, actor, day, note="", result=None):
        return transition(case, name, actor, note or "演示数据", case.lock_version, day, calendar,
                          workflow=workflow, result=result)

    for n in range(cases):
        agent = rng.choice(agents)
        level = agent.center.level
        offered = [m for m in matters.values() if level in m.levels]
        if not offered:
            continue
        matter = rng.choice(offered)
        opened = today - datetime.timedelta(days=rng.randint(0, days))
        while not calendar.is_workday(opened):
            opened -= datetime.timedelta(days=1)
        mode = "proxy" if matter.proxy_allowed and rng.random() < 0.45 else "assist"
        channel = rng.choices(["window", "home_visit", "mobile", "hotline", "online"], [6, 3, 1, 1, 1])[0]
        name = rng.choice(DEMO_NAMES)
        phone = f"139{rng.randint(0, 99999999):08d}"
        applicant = Applicant(name, _demo_id(n, rng.randint(1936, 1985)), phone)
        try:
            case = open_case(matter, matter.version, {"name": name}, mode, channel, agent, agent.center,
                             opened, calendar, workflow=workflow, applicant=applicant)
        except CaseError:
            continue
        made += 1
        if progress:
            progress(1)
        # How far the case got: most are finished, some are still in progress or were withdrawn.
        goal = rng.choices(["consultation", "in_department", "closed", "terminated"], [1, 2, 8, 1])[0]
        day = opened
        step_days = rng.choice((1, 2, 3, 4, 6, 9, 14))  # working days per stage: the slow ones are late
        try:
            if goal == "consultation":
                continue
            if goal == "terminated":
                case = act(case, "terminate", agent, day, "申请人撤回申请")
                continue
            for row in materials.build_checklist(case, matter, day, actor=agent):
                if row.deferrable_unit and rng.random() < 0.15:
                    materials.defer(row, agent, None, day, calendar)
                elif materials.blocks(row):
                    materials.receive(row, row.originals_required, row.copies_required, agent, today=day)
            if mode == "proxy":
                draft = commission.draft_commission(case, None, 90, agent, day, matter=matter)
                commission.record_signed(draft, agent, day)
            case = act(case, "accept", agent, day)
            case = act(case, "collect_materials", agent, day)
            case = act(case, "submit", agent, day)
            day = later(day, step_days)
            case = act(case, "receive", banner, day)
            if goal == "in_department":  # the liaison's queue: a leg waiting at the department
                unit = Department.get_or_none(Department.code == matter.responsible_unit)
                if unit is not None:
                    relay.send_to_departments(case, [unit], agent, "请办理", workflow=workflow,
                                              calendar=calendar, today=day)
                continue
            day = later(day, step_days)
            result = Result(rng.choice(["approved"] * 9 + ["refused"]), f"演示〔{day.year}〕{n:03d}号")
            case = act(case, "record_result", banner, day, result=result)
            day = later(day)
            case = act(case, "return_materials", agent, day)
            level_given = rng.choices([5, 4, 3, 2, 1], [55, 25, 10, 6, 4])[0]
            record_rating(case, Given(level_given, level_given, level_given, level_given,
                                      DEMO_COMMENTS[level_given]),
                          rng.choice(["on_site", "follow_up_call"]), agent, day, settings, calendar)
            case = act(case, "follow_up", agent, day, "电话回访")
            for row in materials.checklist(case):  # 容缺 supplied before closing (办结 checks it)
                if row.status == "deferred":
                    materials.supply(row, agent, day)
            case = act(case, "close", agent, day)
        except CaseError:
            continue  # a demo case that could not go further stays where it is
    for _ in range(cases // 3):
        agent = rng.choice(agents)
        code = rng.choice(list(matters))
        at = datetime.datetime.combine(today - datetime.timedelta(days=rng.randint(0, days)),
                                       datetime.time(rng.randint(8, 17), rng.randint(0, 59)))
        Consultation.create(agent=agent, center=agent.center, matter_code=code,
                            channel=rng.choice(["window", "hotline", "home_visit"]), note="政策咨询", at=at)
    return made
