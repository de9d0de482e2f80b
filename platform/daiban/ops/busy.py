"""A database too busy to take a write answers 503 with a page saying so, never a bare 500."""

from __future__ import annotations

import peewee
from flask import Flask, render_template

RETRY_AFTER_SECONDS = 5
BUSY_MESSAGE = ("系统繁忙：数据库正在保存其他人的操作，等待超时，您这次提交的内容未保存。"
                "请稍候几秒，返回上一页再提交一次。")


def is_busy(error: Exception) -> bool:
    """True for SQLite's `database is locked` (the write lock was not free within busy_timeout)."""
    text = str(error).lower()
    return "database is locked" in text or "database is busy" in text


def init_app(app: Flask) -> None:
    """Answer `database is locked` with a Chinese 503 page and Retry-After."""

    @app.errorhandler(peewee.OperationalError)
    def _database_busy(error):
        if not is_busy(error):
            raise error
        app.logger.warning("database busy, answered 503: %s", error)
        page = render_template("error.html", title="系统繁忙，请重试", message=BUSY_MESSAGE)
        return page, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
