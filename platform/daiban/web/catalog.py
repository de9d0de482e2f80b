"""Public pages of the published catalog (帮办代办事项目录) and each matter's service guide."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for

from daiban.catalog import attachments, model
from daiban.publishing import compiled, search_catalog, upcoming_versions, version_in_force
from daiban.web.pdf import pdf_response

bp = Blueprint("catalog", __name__)

LEVEL_NAMES = {"village": "嘎查村", "township": "苏木乡镇", "banner": "旗级"}


def _reference():
    """Domains, organisation and calendar loaded when the app was created."""
    ref = current_app.extensions["daiban"]
    return ref.domains, ref.organisation, ref.calendar


@bp.route("/")
def index():
    """The catalog in force today, searchable by name, code or pinyin, filterable by domain and level."""
    today = datetime.date.today()
    domains, organisation, _calendar = _reference()
    query = request.args.get("q", "")
    domain = request.args.get("domain", "")
    level = request.args.get("level", "")
    rows = search_catalog(query, level or None, domain or None, today)
    # Domains in the order of domains.yaml (the policy's order), unknown ones last.
    order = {domain_id: index for index, domain_id in enumerate(domains)}
    grouped: dict[str, list] = {}
    for row in sorted(rows, key=lambda r: (order.get(r.domain, len(order)), r.code)):
        grouped.setdefault(row.domain, []).append(row)
    return render_template(
        "catalog/index.html", grouped=grouped, domains=domains, organisation=organisation,
        query=query, domain=domain, level=level, levels=LEVEL_NAMES, total=len(rows),
        upcoming=upcoming_versions(today), today=today,
    )


@bp.route("/matters/<code>")
def guide(code: str):
    """The service guide (办事指南) of the version in force today."""
    row = version_in_force(code)
    if row is None:
        abort(404)
    domains, organisation, calendar = _reference()
    matter = compiled(row)
    today = datetime.date.today()
    return render_template(
        "catalog/guide.html", row=row, matter=matter, domains=domains,
        organisation=organisation, levels=LEVEL_NAMES, m=model,
        due=calendar.due_date(today, matter.promised_limit), today=today,
    )


def _notice_page(code: str, pdf: bool) -> str:
    row = version_in_force(code)
    if row is None:
        abort(404)
    from daiban.intake.notice import one_time_notice

    domains, organisation, _calendar = _reference()
    matter = compiled(row)
    known = {f.id for f in matter.fields}
    values = {k: v for k, v in request.args.items() if k in known}
    data = one_time_notice(matter, values, datetime.date.today())
    pdf_url = url_for("catalog.notice_pdf", code=code, **values)
    return render_template("catalog/notice.html", notice=data, matter=matter, organisation=organisation,
                           pdf=pdf, pdf_url=pdf_url, view_switch=True,
                           back=("返回办事指南", url_for("catalog.guide", code=code)))


@bp.route("/matters/<code>/notice")
def notice(code: str):
    """The printable one-time notice (一次性告知单); answers given as query arguments resolve
    conditional materials (e.g. ?applicant_type=agent)."""
    return _notice_page(code, pdf=False)


@bp.route("/matters/<code>/notice.pdf")
def notice_pdf(code: str):
    """The one-time notice as a PDF, with the same answers as the print view."""
    return pdf_response(lambda pdf: _notice_page(code, pdf), f"一次性告知单-{code}.pdf")


@bp.app_template_filter("tel")
def tel_href(phone: str) -> str:
    """A `tel:` address for a phone as people write it: digits and a leading +, separators dropped."""
    digits = re.sub(r"[^0-9]", "", phone)
    return f"tel:{'+' if phone.strip().startswith('+') else ''}{digits}"


def attachment_url(code: str, item: model.Attachment, external: bool = False) -> str:
    """Where an attachment (空表、样表) of a matter in force is downloaded: named by its content hash."""
    return url_for("catalog.attachment", code=code, sha256=item.sha256, _external=external)


@bp.app_context_processor
def _attachment_helpers():
    return {"attachment_url": attachment_url}


def _published_attachment(matter: model.Matter, sha256: str) -> model.Attachment | None:
    return next((a for m in matter.materials for a in m.attachments if a.sha256 == sha256), None)


@bp.route("/matters/<code>/attachments/<sha256>")
def attachment(code: str, sha256: str):
    """A blank form or sample (空表、样表) of the version in force, named by the hash it was
    published with (never by a path from the request), served only while the file has those bytes."""
    row = version_in_force(code)
    item = _published_attachment(compiled(row), sha256) if row is not None else None
    if item is None:
        abort(404)
    path = attachments.resolve(Path(current_app.config["CONFIG_DIR"]), item.file)
    data = path.read_bytes() if path is not None and path.is_file() else None
    if data is None or attachments.sha256_of(data) != item.sha256:
        # Changed or removed after this version was published: never serve other bytes.
        message = "该文件已更新或移除，与现行版本不一致，暂不能下载。请到办理窗口领取，或拨打咨询电话。"
        return render_template("error.html", title="文件暂不能下载", message=message,
                               back=("返回办事指南", url_for("catalog.guide", code=code))), 404
    kind = attachments.suffix_type(item.file)
    filename = f"{item.title}.{kind}"
    ascii_name = f"{row.code}-{item.kind}.{kind}"  # the code is ASCII: a safe fallback name
    response = Response(data, mimetype=attachments.TYPES[kind])
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.app_errorhandler(404)
def not_found(_error):
    """A Chinese page for unknown addresses and matters not in force."""
    if request.path.startswith("/admin/"):
        # Records outside the user's scope are "not found" too (never "forbidden": that would
        # confirm they exist); point back to the admin, not to the public catalog.
        message = "该记录不存在，或不在您的数据范围内。"
        return render_template("error.html", title="没有找到", message=message,
                               back=("返回管理平台", url_for("admin.index"))), 404
    message = "该页面或事项不存在，或已不在有效期内。"
    return render_template("error.html", title="没有找到", message=message), 404
