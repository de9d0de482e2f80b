"""PDF from the same HTML as the print view (WeasyPrint; Chinese through fonts-noto-cjk).

The print templates (`templates/print/`) carry their styles inline and, rendered for the PDF,
load nothing (only the browser's print view adds `static/daiban.js` for its print button), so
the renderer is given a fetcher that refuses every URL: a document never reaches the network or
the file system, whatever ends up in its text.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, render_template

MISSING = ("PDF 生成组件不可用：服务器缺少 Pango 库（Debian: apt-get install libpango-1.0-0 "
           "libpangoft2-1.0-0 fonts-noto-cjk）。请先使用“打印”页面。")


def available() -> bool:
    """True when WeasyPrint and the Pango library it needs can be loaded."""
    try:
        import weasyprint  # noqa: F401
    except OSError:  # the Python package is there, the system library is not
        return False
    return True


def html_to_pdf(html: str) -> bytes:
    """Render a self-contained HTML page to PDF bytes."""
    import weasyprint  # imported on first use: it takes a moment to load
    from weasyprint.urls import URLFetcher

    refuse_all = URLFetcher(allowed_protocols=())  # no protocol allowed: nothing is fetched
    return weasyprint.HTML(string=html, url_fetcher=refuse_all).write_pdf()


def pdf_response(html: str, filename: str) -> Response:
    """A PDF of `html`, shown in the browser, saved as `filename` (Chinese allowed)."""
    if not available():
        abort(Response(render_template("error.html", title="无法生成 PDF", message=MISSING), 503))
    ascii_name = filename.encode("ascii", "ignore").decode() or "document.pdf"
    response = Response(html_to_pdf(html), mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}")
    return response
