"""A database too busy to take a write answers 503 with a page saying so; a failed write (its
audit row included) answers a page saying nothing was saved, never a traceback."""

from __future__ import annotations

import peewee
from flask import Flask, render_template

RETRY_AFTER_SECONDS = 5
BUSY_MESSAGE = ("系统繁忙：数据库正在保存其他人的操作，等待超时，您这次提交的内容未保存。"
                "请稍候几秒，返回上一页再提交一次。")
NOT_SAVED_MESSAGE = ("操作未能写入数据库（含审计记录），本次提交的内容没有保存。请返回上一页重试；"
                     "如反复出现，请联系系统管理员查看服务日志。")


def is_busy(error: Exception) -> bool:
    """True for SQLite's `database is locked` (the write lock was not free within busy_timeout)."""
    text = str(error).lower()
    return "database is locked" in text or "database is busy" in text


def init_app(app: Flask) -> None:
    """Answer `database is locked` with a Chinese 503 page and Retry-After, any other database
    error with a page saying nothing was saved (never a traceback)."""

    @app.errorhandler(peewee.DatabaseError)
    def _database_error(error):
        if is_busy(error):
            app.logger.warning("database busy, answered 503: %s", error)
            page = render_template("error.html", title="系统繁忙，请重试", message=BUSY_MESSAGE)
            return page, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
        # The transaction rolled back (a step and its audit row are written together or not at all).
        app.logger.error("database error, nothing saved", exc_info=error)
        return render_template("error.html", title="保存失败", message=NOT_SAVED_MESSAGE), 500
