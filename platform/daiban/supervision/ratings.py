"""Ratings (好差评) of cases, and the rectification a bad one opens (差评整改).

- **Levels** 5 非常满意 … 1 非常不满意; 2 and 1 are bad (GB/T 39734-2020). The offline indicators
  服务效率, 服务水平, 服务态度 are rated 1–5 each, optionally.
- **One rating per case per visit** (一次一评): the database refuses a second one (unique case
  and visit). A new visit begins only with a new service step: a workflow step of the case
  (a `CaseEvent`, such as 报送, 反馈办理结果, 回访评价) made after the last rating. Until then
  the visit is rated and nothing more is recorded, so a good rating cannot be stacked on a bad
  one. The agent records a rating given on site or on the follow-up call; the citizen may also
  rate through a per-case link or QR code without signing in.
- **The link** carries a random token of 192 bits; only its SHA-256 is stored, so the table
  cannot be used to rebuild links, a token cannot be guessed, and a used or expired link is
  refused.
- **When**: the policy rates the service at the follow-up (回访评估评价), so a case is rated, and
  a link or QR code made, only once its result is recorded (`rating_refusal`: 反馈办理结果 or
  the relay's 结果已反馈 set `result_on`); before that both are refused and the case page offers
  neither.
- **Who answers for it**: the case's first agent (首问负责), at the case's center.
- **A bad rating** opens a rectification due `rectification_working_days` working days later
  (a setting), counted in the working-day calendar, so holidays do not shorten it, and sends
  whoever answers for it an in-app message.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass

import peewee

from daiban import audit
from daiban.cases.service import SYSTEM, CaseError, _write_transaction
from daiban.catalog.calendar import WorkCalendar
from daiban.catalog.settings import SupervisionSettings
from daiban.db import database
from daiban.models import Case, CaseEvent, User
from daiban.supervision import outbox
from daiban.supervision.models import (
    BAD_LEVELS,
    RATING_CHANNELS,
    RATING_INDICATORS,
    RATING_LEVELS,
    Rating,
    RatingLink,
    Rectification,
)

MAX_COMMENT = 500


class RatingRefused(CaseError):
    """A rating that was not recorded; the message is for the user, in Chinese."""


@dataclass(frozen=True)
class Given:
    """What the citizen said: the level, the three indicators (None where not rated), a comment."""

    level: int
    efficiency: int | None = None
    skill: int | None = None
    attitude: int | None = None
    comment: str = ""

    @classmethod
    def from_form(cls, form) -> Given:
        """Read a submitted form's level, indicators and comment; unreadable numbers become 0."""
        def number(name):
            text = (form.get(name) or "").strip()
            # ASCII digits only: "²" is a digit to str.isdigit but not to int(); scores are 1-5.
            readable = text.isascii() and text.isdigit() and len(text) <= 3
            return int(text) if readable else (0 if text else None)

        return cls(number("level") or 0, *(number(k) for k in RATING_INDICATORS),
                   comment=(form.get("comment") or "").strip())


def _check(given: Given, channel: str) -> None:
    if given.level not in RATING_LEVELS:
        raise RatingRefused("请选择满意程度（非常满意、满意、基本满意、不满意、非常不满意）")
    for key, label in RATING_INDICATORS.items():
        value = getattr(given, key)
        if value is not None and value not in RATING_LEVELS:
            raise RatingRefused(f"“{label}”的评分应为 1 到 5 分")
    if channel not in RATING_CHANNELS:
        raise RatingRefused(f"评价渠道 “{channel}” 不对：可选 {'、'.join(RATING_CHANNELS.values())}")
    if len(given.comment) > MAX_COMMENT:
        raise RatingRefused(f"评价内容不能超过 {MAX_COMMENT} 字（现有 {len(given.comment)} 字）")


def rating_refusal(case: Case) -> str | None:
    """Why the case may not be rated (nor a rating link made) yet, or None once its result is in."""
    if case.result_on is None:
        return (f"办件 {case.number} 还没有办理结果，不能评价：反馈办理结果后，在回访时请群众评价或生成"
                f"评价二维码")
    return None


def ratings(case: Case) -> list[Rating]:
    """The case's ratings, oldest first."""
    return list(Rating.select().where(Rating.case == case.id).order_by(Rating.visit, Rating.id))


def next_visit(case: Case) -> int | None:
    """The visit a new rating of the case would be for: 1 before any rating, one after the last
    rated visit once the case had a service step (a workflow step) after that rating, else None
    (the current visit is rated: 一次一评)."""
    last = (Rating.select(Rating.visit, Rating.rated_at).where(Rating.case == case.id)
            .order_by(Rating.visit.desc(), Rating.id.desc()).first())
    if last is None:
        return 1
    served = CaseEvent.select().where((CaseEvent.case == case.id) & (CaseEvent.at > last.rated_at)
                                      & (CaseEvent.role != SYSTEM)).exists()  # a person served
    return last.visit + 1 if served else None


def _visit_or_refuse(case: Case, visit: int | None) -> int:
    """The visit to rate now; refused when it is rated already or is not the current one."""
    current = next_visit(case)
    if current is None:
        last = Rating.select(peewee.fn.MAX(Rating.visit)).where(Rating.case == case.id).scalar()
        raise RatingRefused(f"办件 {case.number} 的第 {last} 次服务已评价，每次服务只评价一次；"
                            f"办件有新的办理环节后才能再次评价")
    if visit is not None and visit != current:
        if Rating.select().where((Rating.case == case.id) & (Rating.visit == visit)).exists():
            raise RatingRefused(f"办件 {case.number} 的第 {visit} 次服务已评价，每次服务只评价一次")
        raise RatingRefused(f"办件 {case.number} 现在只能评价第 {current} 次服务")
    return current


def _insert(case: Case, given: Given, channel: str, visit: int, recorded_by: User | None,
            today: datetime.date, settings: SupervisionSettings, calendar: WorkCalendar) -> Rating:
    """Insert the rating (and, for a bad one, its rectification) inside the caller's transaction."""
    if Rating.select().where((Rating.case == case.id) & (Rating.visit == visit)).exists():
        raise RatingRefused(f"办件 {case.number} 的第 {visit} 次服务已评价，每次服务只评价一次")
    bad = given.level in BAD_LEVELS
    try:
        with database.atomic():  # a savepoint: a duplicate leaves the outer transaction usable
            rating_id = Rating.insert(
                case=case.id, visit=visit, level=given.level, efficiency=given.efficiency,
                skill=given.skill, attitude=given.attitude, channel=channel, comment=given.comment,
                staff=case.first_agent_id, center=case.center_id,
                recorded_by=recorded_by.id if recorded_by else None, rated_on=today,
                rated_at=datetime.datetime.now(), bad=bad,
            ).execute()
    except peewee.IntegrityError as exc:  # the same visit rated at the same moment
        raise RatingRefused(f"办件 {case.number} 的第 {visit} 次服务已评价，每次服务只评价一次") from exc
    if bad:
        due = calendar.add_working_days(today, settings.rectification_working_days)
        rectification_id = Rectification.insert(
            rating=rating_id, case=case.id, responsible=case.first_agent_id, center=case.center_id,
            status="open", opened_on=today, due_on=due.on, due_provisional=due.provisional).execute()
        level = RATING_LEVELS[given.level]
        outbox.enqueue(_message_key(rectification_id), "rectification", case.first_agent_id,
                       f"差评整改：办件 {case.number}（{level}）",
                       f"群众对办件 {case.number} 评价为“{level}”。请回访群众、落实整改并答复，"
                       f"整改期限 {due.on}。" + (f"群众意见：{given.comment}" if given.comment else ""),
                       case=case.id)
    return Rating.get_by_id(rating_id)


def _message_key(rectification_id: int) -> str:
    return f"rectification:{rectification_id}"


def _deliver_in_app(rating: Rating) -> None:
    """Show a bad rating's in-app message at once; other queued messages wait for the alerts run."""
    if rating.bad:
        rectification = Rectification.get(Rectification.rating == rating.id)
        outbox.deliver_pending([outbox.InAppSender()], key=_message_key(rectification.id))


def record_rating(case: Case, given: Given, channel: str, recorded_by: User, today: datetime.date,
                  settings: SupervisionSettings, calendar: WorkCalendar, *,
                  visit: int | None = None) -> Rating:
    """Record a rating the citizen gave on site, on the follow-up call or on the hotline, for
    `visit` (None: the current visit); a bad one opens its rectification. Refused when the
    current visit is rated already (一次一评: see the module's note)."""
    if channel == "link":
        raise RatingRefused("评价链接的评价由群众本人提交")
    _check(given, channel)
    with _write_transaction():
        current = Case.get_or_none(Case.id == case.id)
        if current is None:
            raise RatingRefused("办件不存在")
        if today < current.accepted_on:
            raise RatingRefused(f"评价日期 {today} 早于受理日期 {current.accepted_on}")
        refused = rating_refusal(current)
        if refused:
            raise RatingRefused(refused)
        rating = _insert(current, given, channel, _visit_or_refuse(current, visit), recorded_by, today,
                         settings, calendar)
        audit.record("create", recorded_by.username, roles=recorded_by.roles, object_type="rating",
                     object_id=current.number,
                     summary=f"登记评价：{rating.level_label}（{rating.channel_label}）")
    _deliver_in_app(rating)
    return rating


# --- the citizen's link ---------------------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_link(case: Case, created_by: User, today: datetime.date,
               settings: SupervisionSettings) -> tuple[str, RatingLink]:
    """A new rating link for the case's next unrated visit: the token (shown once, never stored)
    and its record. Earlier unused links of that visit stop working."""
    current = Case.get_by_id(case.id)
    refused = rating_refusal(current)
    if refused:
        raise RatingRefused(refused)
    visit = _visit_or_refuse(current, None)
    token = secrets.token_urlsafe(24)
    with _write_transaction():
        (RatingLink.update(expires_on=today - datetime.timedelta(days=1))
         .where((RatingLink.case == current.id) & (RatingLink.visit == visit) & RatingLink.used_at.is_null()
                & (RatingLink.expires_on >= today))
         .execute())
        link = RatingLink.create(
            case=current.id, visit=visit, token_hash=_digest(token), created_by=created_by,
            expires_on=today + datetime.timedelta(days=settings.rating_link_valid_days))
        audit.record("create", created_by.username, roles=created_by.roles, object_type="rating_link",
                     object_id=current.number, summary=f"生成评价链接（第 {visit} 次服务）")
    return token, link


def open_link(token: str, today: datetime.date) -> RatingLink:
    """The link behind a token, if it may still be used; otherwise RatingRefused says why."""
    link = RatingLink.get_or_none(RatingLink.token_hash == _digest(token or ""))
    if link is None:
        raise RatingRefused("评价链接无效，请核对链接或向代办员索取新的评价二维码")
    if link.used_at is not None:
        raise RatingRefused("该评价链接已使用，感谢您的评价")
    if link.expires_on < today:
        raise RatingRefused("该评价链接已过期，请向代办员索取新的评价二维码")
    return link


def rate_by_link(token: str, given: Given, today: datetime.date, settings: SupervisionSettings,
                 calendar: WorkCalendar) -> Rating:
    """Record the citizen's own rating through a link; the link is used up in the same transaction."""
    _check(given, "link")
    with _write_transaction():
        link = open_link(token, today)
        marked = (RatingLink.update(used_at=datetime.datetime.now())
                  .where((RatingLink.id == link.id) & RatingLink.used_at.is_null()).execute())
        if marked != 1:
            raise RatingRefused("该评价链接已使用，感谢您的评价")
        case = Case.get_by_id(link.case_id)
        rating = _insert(case, given, "link", link.visit, None, today, settings, calendar)
        audit.record("create", "citizen", object_type="rating", object_id=case.number,
                     summary=f"群众通过评价链接评价：{rating.level_label}")
    _deliver_in_app(rating)
    return rating
