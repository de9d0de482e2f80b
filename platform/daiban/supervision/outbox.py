"""The notification outbox (消息发件箱): a message is queued once, then delivered by a sender per channel.

`enqueue` is idempotent on (key, recipient, channel): the unique index decides, through
INSERT … ON CONFLICT DO NOTHING (INSERT OR IGNORE on SQLite), so two runs, even two at the same
moment, queue a message once. `deliver_pending` claims a row before sending it, so two deliveries
running at once never send it twice; a failure is kept in `attempts` and `last_error`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from daiban.models import Agent, Case, User
from daiban.supervision.models import NOTIFICATION_CHANNELS, NOTIFICATION_KINDS, Notification

MAX_ATTEMPTS = 5  # a number that keeps failing is left for a person to look at, not retried forever
SMS_PREFIX = "【帮办代办】"


class DeliveryFailed(RuntimeError):
    """A message that could not be delivered; the text is kept in the row's last_error."""


def enqueue(key: str, kind: str, recipient: User | int, title: str, body: str = "", *,
            case: Case | int | None = None, level: int = 0, channel: str = "in_app") -> bool:
    """Queue one message unless this key already went to this recipient on this channel; True when new."""
    if kind not in NOTIFICATION_KINDS:
        raise ValueError(f"unknown notification kind: {kind!r}")
    if channel not in NOTIFICATION_CHANNELS:
        raise ValueError(f"unknown notification channel: {channel!r}")
    rows = (Notification
            .insert(key=key, kind=kind, channel=channel, recipient=recipient, case=case, level=level,
                    title=title[:200], body=body, created_at=datetime.datetime.now())
            .on_conflict_ignore()
            .as_rowcount()
            .execute())
    return rows == 1


class Sender(Protocol):
    """Delivers the messages of one channel; raises (DeliveryFailed or any error) when it cannot."""

    channel: str

    def send(self, notification: Notification) -> None:
        """Deliver one message."""


class InAppSender:
    """站内消息: nothing travels; a delivered in-app message is one the messages page shows."""

    channel = "in_app"

    def send(self, notification: Notification) -> None:
        """Accept the message: marking it sent is what makes it appear in the app."""


class SmsGateway(Protocol):
    """What an SMS gateway offers: send one text to one phone number, raising when it cannot."""

    def send(self, phone: str, text: str) -> None:
        """Send `text` to `phone`."""


def recipient_phone(user: User) -> str | None:
    """The phone of the user's active agent profile (代办员), where text messages go, or None."""
    agent = (Agent.select(Agent.phone)
             .where((Agent.user == user.id) & (Agent.status == "active") & Agent.phone.is_null(False))
             .order_by(Agent.id).first())  # sealed column: a blank phone is stored as NULL
    return agent.phone if agent else None


class SmsSender:
    """短信: sends the message's title through a gateway to the recipient's phone."""

    channel = "sms"

    def __init__(self, gateway: SmsGateway, phone_of: Callable[[User], str | None] = recipient_phone):
        self.gateway = gateway
        self.phone_of = phone_of

    def send(self, notification: Notification) -> None:
        """Send the title only: a text message leaves the platform, so it carries no applicant data."""
        phone = self.phone_of(notification.recipient)
        if not phone:
            raise DeliveryFailed(f"{notification.recipient} 没有登记手机号，短信未发送")  # 名（单位）
        self.gateway.send(phone, SMS_PREFIX + notification.title)


class RecordingGateway:
    """A stand-in SMS gateway for tests and demos: keeps what it was asked to send, or fails with `error`."""

    def __init__(self, error: str | None = None):
        self.error = error
        self.sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        """Record the text, or fail as a real gateway would."""
        if self.error:
            raise DeliveryFailed(self.error)
        self.sent.append((phone, text))


@dataclass(frozen=True)
class Delivery:
    """What one delivery run did."""

    sent: int = 0
    failed: int = 0


def pending(channels: Iterable[str], key: str | None = None):
    """Messages of these channels (with this key, when given) not yet delivered and not given up
    on, oldest first."""
    query = (Notification.select()
             .where(Notification.sent_at.is_null() & Notification.channel.in_(list(channels))
                    & (Notification.attempts < MAX_ATTEMPTS))
             .order_by(Notification.id))
    return query if key is None else query.where(Notification.key == key)


def deliver_pending(senders: Iterable[Sender],
                    progress: Callable[[Notification], None] | None = None,
                    key: str | None = None) -> Delivery:
    """Deliver every pending message of the senders' channels (only those with `key`, when given),
    each at most once; count sent and failed."""
    by_channel = {s.channel: s for s in senders}
    sent = failed = 0
    for message in list(pending(by_channel, key)):
        this = Notification.id == message.id
        # Claim the row first: a delivery running at the same time then finds it taken and skips it.
        claimed = (Notification.update(attempts=Notification.attempts + 1)
                   .where(this & (Notification.attempts == message.attempts) & Notification.sent_at.is_null())
                   .execute())
        if claimed == 1:
            try:
                by_channel[message.channel].send(message)
            except Exception as exc:  # a gateway may fail in any way; the row keeps why
                Notification.update(last_error=str(exc) or type(exc).__name__).where(this).execute()
                failed += 1
            else:
                Notification.update(sent_at=datetime.datetime.now(), last_error="").where(this).execute()
                sent += 1
        if progress:
            progress(message)
    return Delivery(sent, failed)


def inbox(user: User | int):
    """The user's delivered in-app messages, newest first."""
    return (Notification.select()
            .where((Notification.recipient == user) & (Notification.channel == "in_app")
                   & Notification.sent_at.is_null(False))
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


def unread_count(user: User | int) -> int:
    """How many of the user's delivered in-app messages are unread."""
    return inbox(user).where(Notification.read_at.is_null()).count()


def mark_read(user: User | int, message_ids: Iterable[int] | None = None) -> int:
    """Mark the user's unread in-app messages read (only `message_ids` when given); return how many."""
    query = Notification.update(read_at=datetime.datetime.now()).where(
        (Notification.recipient == user) & Notification.read_at.is_null()
        & (Notification.channel == "in_app"))
    if message_ids is not None:
        query = query.where(Notification.id.in_(list(message_ids)))
    return query.execute()
