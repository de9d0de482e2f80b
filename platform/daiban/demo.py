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
        for username, name, roles, center_code, dept_code in DEMO_ACCOUNTS:
            if User.get_or_none(User.username == username):
                continue
            center = ServiceCenter.get_or_none(ServiceCenter.code == center_code) if center_code else None
            dept = Department.get_or_none(Department.code == dept_code) if dept_code else None
            password = generate_password()
            create_user(username, name, password, roles, center=center, department=dept)
            created.append((username, password, ",".join(roles)))
        if not Agent.select().exists():
            for name, center_code, phone in DEMO_AGENTS:
                center = ServiceCenter.get_or_none(ServiceCenter.code == center_code)
                if center is not None:
                    Agent.create(name=name, center=center, phone=phone,
                                 duties="政策咨询\n帮办代办\n材料收集报送\n回访")
    return created
