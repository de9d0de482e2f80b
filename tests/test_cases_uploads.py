"""Scans of case materials: JPEG, PNG and PDF by content, a size limit, stored outside the web root
under their hash, duplicates recognised, read only by those who may see the case."""

from __future__ import annotations

import hashlib
import os
import stat

import peewee
import pytest

import test_cases_service
from conftest import ROOT
from daiban.cases import uploads
from daiban.cases.materials import build_checklist, events
from daiban.cases.uploads import UploadRefused, detect_type, open_scan, scans, store_scan
from daiban.models import AuditLog, CaseMaterial, CaseUpload, ImmutableRecordError
from test_cases_service import (
    ELDERLY,
    OPENED,
    act,
    new_case,
)

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 200
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x02" * 200
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"

world = test_cases_service.world  # the case tests' fixture: the organisation and a user per role


@pytest.fixture
def case(world):
    case = new_case(world, ready=False)
    build_checklist(case, ELDERLY, OPENED)
    return case


def material(case, material_id="id_card") -> CaseMaterial:
    return CaseMaterial.get((CaseMaterial.case == case.id) & (CaseMaterial.material_id == material_id))


def store(world, case, data=JPEG, filename="身份证正面.jpg", content_type="image/jpeg", root=None,
          material_id="id_card", **kwargs):
    return store_scan(material(case, material_id), filename, content_type, data, world.users["village_agent"],
                      root, today=OPENED, **kwargs)


def test_images_and_pdfs_are_stored_outside_the_web_root_under_their_hash(world, case, tmp_path):
    root = tmp_path / "var" / "uploads"
    kinds = ((JPEG, "image/jpeg", "jpg"), (PNG, "image/png", "png"), (PDF, "application/pdf", "pdf"))
    for data, kind, ext in kinds:
        result = store(world, case, data, f"scan.{ext}", kind, root)
        upload = result.upload
        digest = hashlib.sha256(data).hexdigest()
        assert not result.duplicate
        assert (upload.content_type, upload.size, upload.sha256, upload.filename) == (kind, len(data), digest,
                                                                                      f"scan.{ext}")
        path = root.resolve() / str(case.id) / f"{digest}.{ext}"
        assert upload.stored_path == str(path) and path.read_bytes() == data
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
        assert upload.uploaded_by_id == world.users["village_agent"].id and upload.uploaded_at is not None
    assert [u.content_type for u in scans(material(case))] == ["image/jpeg", "image/png", "application/pdf"]
    assert [(e.action, e.upload_id is not None, e.note) for e in events(case)[1:]] == [
        ("material:upload", True, "scan.jpg"), ("material:upload", True, "scan.png"),
        ("material:upload", True, "scan.pdf")]
    assert not list((ROOT / "platform" / "daiban" / "web").rglob(f"{hashlib.sha256(JPEG).hexdigest()}*"))


def test_the_content_decides_not_the_declared_type(world, case, tmp_path):
    page = b"<html><script>alert(1)</script></html>"
    for data, declared in ((page, "image/jpeg"), (b"MZ\x90\x00" + b"\x00" * 64, "application/pdf"),
                           (b"GIF89a" + b"\x00" * 20, "image/gif")):
        with pytest.raises(UploadRefused,
                           match="只能上传 JPG 图片、PNG 图片、PDF 文件；“x.jpg”的内容不是这几种格式"):
            store(world, case, data, "x.jpg", declared, tmp_path)
    # a PDF sent as an image is kept, as the PDF it is
    upload = store(world, case, PDF, "扫描.jpg", "image/jpeg", tmp_path).upload
    assert (upload.content_type, upload.declared_type) == ("application/pdf", "image/jpeg")
    assert upload.stored_path.endswith(".pdf")
    assert detect_type(PNG) == "image/png" and detect_type(b"") is None
    assert CaseUpload.select().count() == 1


def test_the_size_limit_is_a_setting_with_a_clear_message(world, case, tmp_path, monkeypatch):
    assert uploads.MAX_SCAN_BYTES == 10 * 1024 * 1024
    big = JPEG + b"\x00" * (uploads.MAX_SCAN_BYTES - len(JPEG) + 1)
    with pytest.raises(UploadRefused,
                       match=r"文件过大（10\.0 MB）：每个扫描件不能超过 10\.0 MB，"
                             "请降低扫描分辨率或分页上传"):
        store(world, case, big, root=tmp_path)
    assert not store(world, case, big[:-1], root=tmp_path).duplicate  # exactly the limit is fine
    monkeypatch.setattr(uploads, "MAX_SCAN_BYTES", 100)
    with pytest.raises(UploadRefused, match="文件过大"):
        store(world, case, PNG, root=tmp_path)
    with pytest.raises(UploadRefused, match="文件是空的"):
        store(world, case, b"", root=tmp_path)


def test_the_same_file_again_is_recognised(world, case, tmp_path):
    first = store(world, case, JPEG, "a.jpg", root=tmp_path)
    again = store(world, case, JPEG, "a（再次）.jpg", root=tmp_path)
    assert again.duplicate and again.upload.id == first.upload.id
    assert again.upload.filename == "a.jpg" and len(scans(material(case))) == 1
    # the same bytes as another material's scan: a row of its own, one file on disk
    other = store(world, case, JPEG, "a.jpg", root=tmp_path, material_id="bank_card")
    assert not other.duplicate and other.upload.stored_path == first.upload.stored_path
    assert len(list((tmp_path / str(case.id)).iterdir())) == 1
    assert [e.action for e in events(case)].count("material:upload") == 2


def test_a_scan_is_read_only_by_whom_the_caller_allows_and_each_reading_is_audited(world, case, tmp_path):
    root = tmp_path / "uploads"
    upload = store(world, case, PDF, "户口簿.pdf", "application/pdf", root).upload
    with pytest.raises(UploadRefused, match="无权查看该办件的材料扫描件"):
        open_scan(upload, False, by="stranger")
    reveals = AuditLog.select().where(AuditLog.action == "reveal")  # (the opening is audited too)
    assert reveals.count() == 0
    assert open_scan(upload, True, by=world.users["township_agent"]) == PDF
    [logged] = reveals
    assert (logged.action, logged.actor, logged.object_id, logged.summary) == (
        "reveal", "township_agent", case.number, "查看材料扫描件：老年人居民身份证（户口簿.pdf）")
    with pytest.raises(ValueError, match="须写明查看人"):
        open_scan(upload, True, by="")
    # the folder moved (a new root in the settings)
    moved = tmp_path / "moved"
    root.rename(moved)
    with pytest.raises(UploadRefused, match="文件不在存放目录中"):
        open_scan(upload, True, by="township_agent")
    assert open_scan(upload, True, by="township_agent", root=moved) == PDF
    # a file changed on disk is not handed out
    (moved / str(case.id) / f"{upload.sha256}.pdf").write_bytes(PDF + b"tampered")
    with pytest.raises(UploadRefused, match="校验值不符"):
        open_scan(upload, True, by="township_agent", root=moved)


def test_file_names_are_for_display_only(world, case, tmp_path):
    upload = store(world, case, JPEG, "../../etc/cron.d/x\x00\n.jpg", root=tmp_path).upload
    assert upload.filename == "x.jpg"
    assert os.path.dirname(upload.stored_path) == str(tmp_path.resolve() / str(case.id))
    assert store(world, case, PNG, "", root=tmp_path).upload.filename == "扫描件.png"


def test_the_web_folder_is_refused_as_the_upload_root(world, case):
    for root in (ROOT / "platform" / "daiban" / "web" / "static" / "uploads", ROOT / "platform"):
        with pytest.raises(UploadRefused, match="上传文件的存放目录不能在网站目录内"):
            store(world, case, JPEG, root=root)


def test_uploads_are_history(world, case, tmp_path, db):
    upload = store(world, case, JPEG, root=tmp_path).upload
    upload.filename = "别的.jpg"
    with pytest.raises(ImmutableRecordError):
        upload.save()
    with pytest.raises(ImmutableRecordError):
        upload.delete_instance()
    with pytest.raises(peewee.DatabaseError), db.atomic():
        CaseUpload.update(stored_path="/tmp/x").where(CaseUpload.id == upload.id).execute()
    with pytest.raises(peewee.DatabaseError), db.atomic():
        CaseUpload.delete().where(CaseUpload.id == upload.id).execute()
    act(world, case, "terminate", "village_agent", OPENED, note="申请人撤回")
    with pytest.raises(UploadRefused, match="终结，不能再修改"):
        store(world, case, PNG, root=tmp_path)
