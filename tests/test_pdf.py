"""PDFs only with a Chinese font: the start-up check, its log line, and the print view instead."""

import logging

import pytest

from case_screens import make_site
from conftest import CONFIG, needs_pdf
from daiban.web import create_app, pdf

FC_LIST = """Noto Sans CJK SC,Noto Sans CJK SC Regular
Noto Serif CJK SC,Noto Serif CJK SC Bold
Noto Sans CJK SC,Noto Sans CJK SC Bold

"""


REAL_FONT_CHECK = pdf.installed_cjk_fonts  # before any fixture replaces it


@pytest.fixture
def fresh_font_check(monkeypatch):
    """The real font check, run again instead of answering from its cache."""
    monkeypatch.setattr(pdf, "installed_cjk_fonts", REAL_FONT_CHECK)
    REAL_FONT_CHECK.cache_clear()
    yield
    REAL_FONT_CHECK.cache_clear()


@pytest.fixture
def never_render(monkeypatch):
    """A PDF rendering fails the test: it would draw the Chinese as boxes."""
    def refuse(_html):
        raise AssertionError("a PDF was rendered without the means to draw Chinese")

    monkeypatch.setattr(pdf, "html_to_pdf", refuse)


def test_the_families_come_from_fc_list_output():
    assert pdf.cjk_families(FC_LIST) == ("Noto Sans CJK SC", "Noto Serif CJK SC")
    assert pdf.cjk_families("") == ()


def test_without_fc_list_no_font_can_be_confirmed(fresh_font_check, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no fc-list on the way
    assert pdf.installed_cjk_fonts() is None
    assert "fontconfig" in pdf.fonts_problem()


def test_no_font_found_makes_the_fonts_the_problem(no_cjk_font):
    assert pdf.fonts_problem() == pdf.NO_FONTS
    assert "缺少中文字体" in pdf.NO_FONTS and "apt-get install fonts-noto-cjk" in pdf.NO_FONTS


def test_the_start_up_says_so_in_the_log(no_cjk_font, db_url, db, caplog):
    with caplog.at_level(logging.WARNING, logger="daiban.web.pdf"):
        create_app({"TESTING": True, "DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG)})
    assert any("no Chinese font" in r.message and "fonts-noto-cjk" in r.message for r in caplog.records)


def test_without_a_font_the_notice_pdf_answers_its_print_view(no_cjk_font, never_render, db_url, db,
                                                              tmp_path):
    client = make_site(db_url, tmp_path / "uploads").test_client()
    printed = client.get("/matters/YLFW-0001/notice?applicant_type=agent").get_data(as_text=True)
    assert "一次性告知单" in printed and "下载 PDF" not in printed and "缺少中文字体" in printed

    response = client.get("/matters/YLFW-0001/notice.pdf?applicant_type=agent")
    assert response.status_code == 503 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "一次性告知单" in page and "返回办事指南" in page and 'data-print' in page
    assert "服务器缺少中文字体" in page and "apt-get install fonts-noto-cjk" in page
    assert client.get("/matters/NOPE-0001/notice.pdf").status_code == 404


def test_without_pango_the_notice_pdf_answers_its_print_view(cjk_font, monkeypatch, never_render, db_url, db,
                                                             tmp_path):
    monkeypatch.setattr(pdf, "available", lambda: False)
    client = make_site(db_url, tmp_path / "uploads").test_client()
    response = client.get("/matters/YLFW-0001/notice.pdf")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "一次性告知单" in page and "缺少 Pango 库" in page and "libpangoft2-1.0-0" in page


@needs_pdf
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_shipped_one_time_notice_is_one_a4_page(db_url, db, tmp_path):
    import io

    import pypdf

    from case_screens import CATALOG

    client = make_site(db_url, tmp_path / "uploads").test_client()
    for code in sorted(CATALOG.matters):
        response = client.get(f"/matters/{code}/notice.pdf")
        assert response.mimetype == "application/pdf", code
        reader = pypdf.PdfReader(io.BytesIO(response.data))
        assert len(reader.pages) == 1, f"{code}: {len(reader.pages)} pages"
        width, height = (round(float(x) * 25.4 / 72) for x in reader.pages[0].mediabox[2:])
        assert (width, height) == (210, 297), code
        text = reader.pages[0].extract_text().replace(" ", "")  # the title is letter-spaced
        assert "一次性告知单" in text and "申请人签收" in text, code


def test_the_notice_print_view_sizes_itself_to_the_phone(db_url, db, tmp_path):
    client = make_site(db_url, tmp_path / "uploads").test_client()
    page = client.get("/matters/SHBX-0002/notice").get_data(as_text=True)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    # 37.5 em: 600 px at the browser's default text size; type in rem grows with the reader's setting.
    assert "@media screen and (max-width: 37.5em)" in page and "font-size: 1rem" in page
