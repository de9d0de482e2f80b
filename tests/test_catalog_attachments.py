"""Blank forms and samples (空表、样表) attached to materials: checked like config, published by hash,
downloaded from the guide and the one-time notice."""

import hashlib
import io
import zipfile
from urllib.parse import quote

import openpyxl
import pytest

from conftest import CONFIG, TODAY, matter_doc, needs_pdf, write_matter
from daiban.catalog.attachments import MAX_BYTES, detect_type
from daiban.catalog.loader import PublishedState, load_catalog
from daiban.publishing import publish_catalog, version_in_force
from daiban.web import create_app

PDF = b"%PDF-1.4\n% a blank form\n" + b"0" * 300
ONLY = "附件只能是 PDF、Word（.docx）、Excel（.xlsx）、JPG 或 PNG 文件"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x02" * 200
SHIPPED = "matters/social_insurance/files/SHBX-0002-application-form-sample.pdf"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    book = openpyxl.Workbook()
    book.active["A1"] = "申请表"
    book.save(buffer)
    return buffer.getvalue()


def with_attachment(config_dir, file="matters/files/form.pdf", data=PDF, kind="blank", **extra):
    """A matter whose first material has one attachment, the file written (unless data is None)."""
    if data is not None:
        path = config_dir / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    attachment = {"kind": kind, "title": "高龄津贴申请表", "file": file, **extra}
    materials = [{"id": "form", "name": "高龄津贴申请表", "originals": 1, "attachments": [attachment]}]
    return write_matter(config_dir, matter_doc(materials=materials))


def problems_of(config_dir) -> list[str]:
    return [p.format() for p in load_catalog(config_dir, today=TODAY).errors]


def test_a_good_file_is_hashed_into_the_document_and_the_matter(config_dir):
    with_attachment(config_dir)
    result = load_catalog(config_dir, today=TODAY)
    assert result.ok, [p.format() for p in result.errors]
    digest = hashlib.sha256(PDF).hexdigest()
    attachment = result.catalog.matters["TEST-0001"].material("form").attachments[0]
    assert (attachment.kind_label, attachment.title, attachment.sha256) == ("空表", "高龄津贴申请表", digest)
    assert result.catalog.documents["TEST-0001"]["materials"][0]["attachments"][0]["sha256"] == digest


def test_a_changed_file_is_a_new_version(config_dir):
    with_attachment(config_dir)
    before = load_catalog(config_dir, today=TODAY).catalog.matters["TEST-0001"]
    (config_dir / "matters/files/form.pdf").write_bytes(PDF + b"\n% the 2027 form")
    published = {"TEST-0001": PublishedState(1, before.content_hash, {1: before.content_hash})}
    result = load_catalog(config_dir, today=TODAY, published=published)
    assert [p.message for p in result.errors] == [
        "内容与已发布的第 1 版不同，但版本号没有增加；请改为 2"]


def test_a_hash_written_by_hand_is_replaced_by_the_files(config_dir):
    with_attachment(config_dir, sha256="0" * 64)
    result = load_catalog(config_dir, today=TODAY)
    assert result.ok
    assert result.catalog.matters["TEST-0001"].material("form").attachments[0].sha256 == (
        hashlib.sha256(PDF).hexdigest())


@pytest.mark.parametrize(("file", "data", "message"), [
    ("matters/files/missing.pdf", None, "找不到附件文件 “matters/files/missing.pdf”"),
    ("../outside.pdf", None, "附件路径 “../outside.pdf” 应是配置目录内的相对路径"),
    ("/etc/form.pdf", None, "附件路径 “/etc/form.pdf” 应是配置目录内的相对路径"),
    ("matters/.hidden/form.pdf", PDF, "应是配置目录内的相对路径"),
    ("matters/files/form.exe", b"MZ\x90\x00", ONLY),
    ("matters/files/form.html", b"<script>", ONLY),
    ("matters/files/form.pdf", PNG, "的内容不是 PDF（看起来是 PNG 图片）"),
    ("matters/files/form.docx", b"PK\x03\x04 not a zip", "的内容不是 Word（.docx）（无法识别为允许的类型）"),
    ("matters/files/form.xlsx", docx_bytes(), "的内容不是 Excel（.xlsx）（看起来是 Word（.docx））"),
    ("matters/files/form.pdf", b"", "附件文件 “matters/files/form.pdf” 是空的"),
])
def test_a_bad_file_is_reported_at_its_line_and_column(config_dir, file, data, message):
    path = with_attachment(config_dir, file=file, data=data)
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "file:" in text)
    column = lines[line - 1].index("file:") + len("file: ") + 1
    found = problems_of(config_dir)
    assert len(found) == 1, found
    assert found[0].startswith(f"{path}:{line}:{column}: /materials/0/attachments/0/file: "), found
    assert message in found[0]


def test_a_symlink_out_of_the_config_folder_is_refused(config_dir, tmp_path):
    outside = tmp_path / "secret.pdf"
    outside.write_bytes(PDF)
    (config_dir / "matters/files").mkdir(parents=True)
    (config_dir / "matters/files/form.pdf").symlink_to(outside)
    with_attachment(config_dir, data=None)
    assert any("应是配置目录内的相对路径" in p for p in problems_of(config_dir))


def test_a_file_over_the_size_limit_is_refused(config_dir):
    with_attachment(config_dir)
    with open(config_dir / "matters/files/form.pdf", "r+b") as big:
        big.truncate(MAX_BYTES + 1)
    assert any("超过上限 10 MB" in p for p in problems_of(config_dir))


def test_the_schema_names_the_kinds_and_the_keys(config_dir):
    with_attachment(config_dir, kind="example")
    assert any("“example” 不是允许的取值" in p for p in problems_of(config_dir))


def test_types_are_told_by_content():
    assert [detect_type(d) for d in (PDF, PNG, b"\xff\xd8\xff\xe0JFIF", docx_bytes(), xlsx_bytes(),
                                     b"GIF89a", b"PK\x03\x04junk")] == (
        ["pdf", "png", "jpg", "docx", "xlsx", None, None])


@pytest.mark.parametrize(("file", "data"), [("matters/files/表.docx", docx_bytes()),
                                            ("matters/files/表.xlsx", xlsx_bytes()),
                                            ("matters/files/样表.JPG", b"\xff\xd8\xff\xe0JFIF"),
                                            ("matters/files/样表.png", PNG)])
def test_every_allowed_type_loads(config_dir, file, data):
    with_attachment(config_dir, file=file, data=data)
    assert problems_of(config_dir) == []


def test_the_shipped_sample_is_a_real_one_page_pdf():
    import pypdf

    result = load_catalog(CONFIG, today=TODAY)
    attachment = result.catalog.matters["SHBX-0002"].material("application_form").attachments[0]
    assert (attachment.kind, attachment.file) == ("sample", SHIPPED)
    reader = pypdf.PdfReader(CONFIG / SHIPPED)
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "城乡居民基本养老保险待遇申领表" in text and "填写示例" in text and "虚构" in text


# ---- served from the guide and the notice ---------------------------------------------------

def shipped_sample():
    catalog = load_catalog(CONFIG, today=TODAY).catalog
    publish_catalog(catalog, "tester")
    return catalog.matters["SHBX-0002"].material("application_form").attachments[0]


def test_the_guide_links_the_sample_and_it_downloads_as_a_named_pdf(client):
    sample = shipped_sample()
    page = client.get("/matters/SHBX-0002").get_data(as_text=True)
    url = f"/matters/SHBX-0002/attachments/{sample.sha256}"
    assert f'href="{url}"' in page and "下载样表：城乡居民基本养老保险待遇申领表（填写示例）（PDF）" in page
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == (CONFIG / SHIPPED).read_bytes()
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="SHBX-0002-sample.pdf"')
    assert f"filename*=UTF-8''{quote('城乡居民基本养老保险待遇申领表（填写示例）.pdf')}" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_notice_links_the_sample(client):
    sample = shipped_sample()
    page = client.get("/matters/SHBX-0002/notice").get_data(as_text=True)
    assert f'href="/matters/SHBX-0002/attachments/{sample.sha256}"' in page
    assert "下载样表：城乡居民基本养老保险待遇申领表（填写示例）" in page


@needs_pdf
def test_the_notice_pdf_carries_a_full_link_to_the_sample(client):
    import pypdf

    sample = shipped_sample()
    reader = pypdf.PdfReader(io.BytesIO(client.get("/matters/SHBX-0002/notice.pdf").data))
    links = [a.get_object()["/A"]["/URI"] for page in reader.pages for a in page.get("/Annots", ())
             if a.get_object().get("/A", {}).get("/URI")]
    assert f"http://localhost/matters/SHBX-0002/attachments/{sample.sha256}" in links


@pytest.mark.parametrize("tail", ["0" * 64, "..%2f..%2fsecurity.yaml", "%2e%2e", "..",
                                  "matters%2Fsocial_insurance%2Ffiles%2FSHBX-0002-application-form-sample.pdf"])
def test_anything_but_a_published_hash_is_a_chinese_404(client, tail):
    shipped_sample()
    response = client.get(f"/matters/SHBX-0002/attachments/{tail}")
    assert response.status_code == 404
    assert "该页面或事项不存在" in response.get_data(as_text=True)


def test_a_file_changed_after_publishing_is_not_served(db_url, db, config_dir, tmp_path):
    with_attachment(config_dir)
    catalog = load_catalog(config_dir, today=TODAY).catalog
    publish_catalog(catalog, "tester")
    digest = version_in_force("TEST-0001").document["materials"][0]["attachments"][0]["sha256"]
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "CONFIG_DIR": str(config_dir),
                      "UPLOAD_DIR": str(tmp_path / "uploads")})
    client = app.test_client()
    assert client.get(f"/matters/TEST-0001/attachments/{digest}").data == PDF
    (config_dir / "matters/files/form.pdf").write_bytes(b"%PDF-1.4\n% another form")
    response = client.get(f"/matters/TEST-0001/attachments/{digest}")
    assert response.status_code == 404 and b"another form" not in response.data
    assert "该文件已更新或移除，与现行版本不一致，暂不能下载" in response.get_data(as_text=True)


def test_the_browser_editor_checks_and_hashes_attachments_like_validate():
    import copy

    from daiban.catalog_editing import check_document

    loaded = load_catalog(CONFIG, today=TODAY).catalog
    document = copy.deepcopy(loaded.documents["SHBX-0002"])
    attachment = document["materials"][3]["attachments"][0]
    expected = attachment.pop("sha256")
    assert check_document(document, loaded) == []
    assert attachment["sha256"] == expected == hashlib.sha256((CONFIG / SHIPPED).read_bytes()).hexdigest()
    attachment["file"] = "matters/social_insurance/files/nope.pdf"
    problems = check_document(document, loaded)
    assert [(p.pointer, p.message) for p in problems] == [(
        "/materials/3/attachments/0/file",
        "找不到附件文件 “matters/social_insurance/files/nope.pdf”"
        "（路径从配置目录算起，如 matters/<领域>/files/…）")]
