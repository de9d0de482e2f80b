"""Accounts: creating users, hashing passwords, signing in with lockout after repeated failures."""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass

from werkzeug.security import check_password_hash, generate_password_hash

from daiban.models import User

MAX_FAILURES = 5
LOCKOUT = datetime.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10


class PasswordTooWeak(ValueError):
    """A password that does not meet the complexity rule."""


def check_password_strength(password: str) -> None:
    """Raise PasswordTooWeak unless the password has ≥10 characters of ≥3 kinds."""
    kinds = sum([
        any(c.islower() for c in password), any(c.isupper() for c in password),
        any(c.isdigit() for c in password), any(not c.isalnum() for c in password),
    ])
    if len(password) < MIN_PASSWORD_LENGTH or kinds < 3:
        raise PasswordTooWeak(
            f"密码至少 {MIN_PASSWORD_LENGTH} 位，并包含大写字母、小写字母、数字、符号中的至少三种"
        )


def generate_password() -> str:
    """A random password that meets the complexity rule."""
    while True:
        candidate = secrets.token_urlsafe(12) + "-7a"
        try:
            check_password_strength(candidate)
        except PasswordTooWeak:
            continue
        return candidate


def create_user(username: str, display_name: str, password: str, roles: list[str],
                center=None, department=None) -> User:
    """Create an account with a hashed password."""
    check_password_strength(password)
    return User.create(
        username=username, display_name=display_name,
        password_hash=generate_password_hash(password), roles=",".join(roles),
        center=center, department=department,
    )


def set_password(user: User, password: str) -> None:
    """Replace a user's password (after checking its strength) and clear any lockout."""
    check_password_strength(password)
    User.update(password_hash=generate_password_hash(password), failed_logins=0,
                locked_until=None).where(User.id == user.id).execute()


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt."""

    user: User | None
    message: str | None = None

    @property
    def ok(self) -> bool:
        """True when the user may sign in."""
        return self.user is not None and self.message is None


def authenticate(username: str, password: str, now: datetime.datetime | None = None) -> SignIn:
    """Check a username and password, counting failures and locking the account after five."""
    now = now or datetime.datetime.now()
    user = User.get_or_none(User.username == username.strip())
    wrong = "用户名或密码不正确"
    if user is None:
        return SignIn(None, wrong)
    if not user.active:
        return SignIn(user, "该账号已停用，请联系系统管理员")
    if user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60))
        return SignIn(user, f"密码连续输错次数过多，账号已锁定，请 {minutes} 分钟后再试")
    if not check_password_hash(user.password_hash, password):
        failures = user.failed_logins + 1
        locked = now + LOCKOUT if failures >= MAX_FAILURES else None
        User.update(failed_logins=0 if locked else failures, locked_until=locked).where(
            User.id == user.id).execute()
        if locked:
            return SignIn(user, "密码连续输错 5 次，账号已锁定 15 分钟")
        return SignIn(user, f"{wrong}（还可尝试 {MAX_FAILURES - failures} 次）")
    User.update(failed_logins=0, locked_until=None, last_login_at=now).where(User.id == user.id).execute()
    return SignIn(User.get_by_id(user.id))
