"""Accounts: creating users, hashing passwords, signing in with lockout after repeated failures."""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass

import peewee
from werkzeug.security import check_password_hash, generate_password_hash

from daiban.models import Department, PasswordHistory, ServiceCenter, User, person_label

MAX_FAILURES = 5
LOCKOUT = datetime.timedelta(minutes=15)


class PasswordTooWeak(ValueError):
    """A password that does not meet the password policy."""


def _policy(settings):
    """The password policy of config/security.yaml, or the schema's defaults without it."""
    if settings is None:
        from daiban.catalog.settings import SecuritySettings

        return SecuritySettings()
    return settings


def check_password_strength(password: str, username: str | None = None, settings=None) -> None:
    """Raise PasswordTooWeak unless the password is long enough, mixes enough kinds of characters
    (config/security.yaml) and does not contain the username."""
    policy = _policy(settings)
    if username and len(username) >= 3 and username.lower() in password.lower():
        raise PasswordTooWeak("密码不能包含用户名")
    kinds = sum([
        any(c.islower() for c in password), any(c.isupper() for c in password),
        any(c.isdigit() for c in password), any(not c.isalnum() for c in password),
    ])
    if len(password) < policy.password_min_length or kinds < policy.password_min_kinds:
        raise PasswordTooWeak(
            f"密码至少 {policy.password_min_length} 位，并包含大写字母、小写字母、数字、符号中的"
            f"至少 {policy.password_min_kinds} 种"
        )


def generate_password() -> str:
    """A random password that meets the default password policy."""
    while True:
        candidate = secrets.token_urlsafe(12) + "-7a"
        try:
            check_password_strength(candidate)
        except PasswordTooWeak:
            continue
        return candidate


def create_user(username: str, display_name: str, password: str, roles: list[str],
                center=None, department=None, settings=None) -> User:
    """Create an account with a hashed password."""
    check_password_strength(password, username, settings)
    return User.create(
        username=username, display_name=display_name,
        password_hash=generate_password_hash(password), roles=",".join(roles),
        center=center, department=department,
    )


def recent_hashes(user: User, count: int) -> list[str]:
    """The hashes of the account's current password and of those before it, `count` in all."""
    if count <= 0:
        return []
    current = User.get_or_none(User.id == user.id)
    hashes = [current.password_hash] if current and current.password_hash else []
    earlier = (PasswordHistory.select(PasswordHistory.password_hash)
               .where(PasswordHistory.user == user.id)
               .order_by(PasswordHistory.id.desc()).limit(max(count - len(hashes), 0)))
    return hashes + [row.password_hash for row in earlier]


def check_password_reuse(user: User, password: str, settings=None) -> None:
    """Raise PasswordTooWeak when the password is one of the account's last few (config/security.yaml)."""
    count = _policy(settings).password_history
    if any(check_password_hash(h, password) for h in recent_hashes(user, count)):
        raise PasswordTooWeak(f"新密码不能与最近 {count} 次使用过的密码相同")


def check_new_password(user: User, password: str, settings=None) -> None:
    """Every rule a replacement password must meet: strength, not the username, not a recent one."""
    check_password_strength(password, user.username, settings)
    check_password_reuse(user, password, settings)


def remember_password(user: User) -> None:
    """Keep the account's current password hash in its history before it is replaced."""
    current = User.get_or_none(User.id == user.id)
    if current is not None and current.password_hash:
        PasswordHistory.create(user=user.id, password_hash=current.password_hash)


def set_password(user: User, password: str, settings=None) -> None:
    """Replace a user's password (after checking it against the policy and the last ones used),
    clear any lockout and end every session signed in with the old one."""
    from daiban.db import database

    check_new_password(user, password, settings)
    with database.atomic():
        remember_password(user)
        User.update(password_hash=generate_password_hash(password), failed_logins=0,
                    locked_until=None, session_version=User.session_version + 1
                    ).where(User.id == user.id).execute()


def revoke_sessions(user: User) -> None:
    """End every session of the account (logout, 强制下线, disabled): the session version moves on."""
    User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()


def address_blocked(ip: str, settings) -> bool:
    """True when sign-ins from this address failed `max_failures_per_address` times within the
    window (counted from the audit trail, where every failure is written)."""
    from daiban.models import AuditLog

    if not ip:
        return False
    since = datetime.datetime.now() - datetime.timedelta(minutes=settings.address_window_minutes)
    failures = (AuditLog.select().where((AuditLog.action == "login_failed") & (AuditLog.ip == ip)
                                        & (AuditLog.at >= since)).limit(settings.max_failures_per_address)
                .count())
    return failures >= settings.max_failures_per_address


# One answer for every refused sign-in: an unknown name, a wrong password, a locked or disabled
# account and a blocked address all read the same, so the page tells nobody which accounts exist.
# The audit row keeps the real reason for the administrators.
REFUSED = "用户名或密码不正确，或账号暂不能登录。连续输错多次将暂时锁定，如有疑问请联系系统管理员"
# A hash to check against when the account does not exist, so both answers take as long.
_DUMMY_HASH = generate_password_hash("daiban-no-such-account")


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: `message` for the page, `reason` for the audit trail."""

    user: User | None
    message: str | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """True when the user may sign in."""
        return self.user is not None and self.message is None


def authenticate(username: str, password: str, now: datetime.datetime | None = None,
                 max_failures: int = MAX_FAILURES, lockout: datetime.timedelta = LOCKOUT) -> SignIn:
    """Check a username and password, counting failures and locking the account after `max_failures`."""
    now = now or datetime.datetime.now()
    user = User.get_or_none(User.username == username.strip()[:64])
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return SignIn(None, REFUSED, "用户名不存在")
    if not user.active:
        return SignIn(user, REFUSED, "账号已停用")
    if user.locked_until and user.locked_until > now:
        return SignIn(user, REFUSED, f"账号锁定中（至 {user.locked_until:%H:%M}）")
    if not check_password_hash(user.password_hash, password):
        failures = user.failed_logins + 1
        locked = now + lockout if failures >= max_failures else None
        # A lock also ends the account's sessions: whoever guessed at it is not left signed in.
        User.update(failed_logins=0 if locked else failures, locked_until=locked,
                    session_version=User.session_version + (1 if locked else 0)).where(
            User.id == user.id).execute()
        if locked:
            return SignIn(user, REFUSED, f"密码连续输错 {failures} 次，账号锁定至 {locked:%H:%M}")
        return SignIn(user, REFUSED, f"密码错误（连续第 {failures} 次）")
    User.update(failed_logins=0, locked_until=None, last_login_at=now).where(User.id == user.id).execute()
    return SignIn(User.get_by_id(user.id))


def people_labels(usernames) -> dict[str, str]:
    """"名（单位）" by username, for records that keep only the username (drafts, versions, audit);
    an unknown username (a CLI run, a removed account) stands as it is."""
    names = {u for u in usernames if u}
    if not names:
        return {}
    query = (User.select(User.username, User.display_name, ServiceCenter.name, Department.name)
             .join(ServiceCenter, peewee.JOIN.LEFT_OUTER, on=(User.center == ServiceCenter.id))
             .switch(User).join(Department, peewee.JOIN.LEFT_OUTER, on=(User.department == Department.id))
             .where(User.username.in_(list(names))))
    return {username: person_label(display, center or department or "")
            for username, display, center, department in query.tuples()}
