"""Scans of a case's materials: JPEG, PNG and PDF only, judged by content, stored outside the web root.

A scan is stored as ``root / <case id> / <sha256>.<ext>``, where `root` comes from the app's
settings (e.g. ``var/uploads``), never under the package's static folder: it is served only by
`open_scan`, after the caller has decided the user may see the case, and each reading is audited
(scans show ID cards and bank cards in full). The same bytes uploaded again for the same material
are recognised by their hash and not stored twice. Upload rows are never changed or deleted.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import peewee

from daiban import audit
from daiban.cases.materials import UPLOAD, acting_user, record_event, refuse_if_closed
from daiban.cases.service import Actor, CaseError, _write_transaction
from daiban.models import Case, CaseMaterial, CaseUpload, User

MAX_SCAN_BYTES = 10 * 1024 * 1024  # a setting: a page scanned at 300 dpi is well below it
# Content type → (leading bytes, file extension, name for people).
SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff", "jpg", "JPG 图片"),
    "image/png": (b"\x89PNG\r\n\x1a\n", "png", "PNG 图片"),
    "application/pdf": (b"%PDF-", "pdf", "PDF 文件"),
}
WEB_ROOT = Path(__file__).resolve().parents[1] / "web"


class UploadRefused(CaseError):
    """A scan that was not stored or may not be read; the message is for the user, in Chinese."""


@dataclass(frozen=True)
class StoredScan:
    """The outcome of an upload: the row, and whether the same file was already there."""

    upload: CaseUpload
    duplicate: bool


def detect_type(data: bytes) -> str | None:
    """The content type the bytes really are (JPEG, PNG or PDF), or None."""
    return next((kind for kind, (magic, _, _) in SIGNATURES.items() if data.startswith(magic)), None)


def _size_label(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _clean_name(filename: str, ext: str) -> str:
    """The name as the user knows it, for display only: no folders, no control characters."""
    name = str(filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[-200:] if name else f"扫描件.{ext}"


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def refuse_web_root(root: Path, refused=None) -> Path:
    """The resolved upload folder, refused (with `refused`, a CaseError class) when it lies inside
    the web root or holds it: files there could be served without a scope check."""
    root = Path(root).resolve()
    if _inside(root, WEB_ROOT) or _inside(WEB_ROOT, root):
        raise (refused or UploadRefused)("上传文件的存放目录不能在网站目录内")
    return root


def write_file(path: Path, data: bytes) -> None:
    """Write atomically (a reader never sees half a file), readable by the app's user only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o640)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def store_scan(case_material: CaseMaterial, filename: str, content_type: str, data: bytes,
               actor: Actor | User, root: Path, *, today: datetime.date | None = None) -> StoredScan:
    """Store a scan of a case material under `root` and record it; the declared `content_type`
    is kept for the record, the content decides. The same bytes for the same material give back
    the earlier upload (`duplicate`)."""
    user, role = acting_user(actor, UploadRefused)
    if not isinstance(data, bytes | bytearray) or not data:
        raise UploadRefused("文件是空的，请重新选择")
    data = bytes(data)
    if len(data) > MAX_SCAN_BYTES:
        raise UploadRefused(f"文件过大（{_size_label(len(data))}）：每个扫描件不能超过 "
                            f"{_size_label(MAX_SCAN_BYTES)}，请降低扫描分辨率或分页上传")
    kind = detect_type(data)
    if kind is None:
        allowed = "、".join(label for _, _, label in SIGNATURES.values())
        raise UploadRefused(f"只能上传 {allowed}；“{_clean_name(filename, 'bin')}”的内容不是这几种格式")
    root = refuse_web_root(root)
    material = CaseMaterial.get_or_none(CaseMaterial.id == case_material.id)
    if material is None:
        raise UploadRefused("办件材料不存在")
    case = Case.get_by_id(material.case_id)
    refuse_if_closed(case, UploadRefused)

    digest = hashlib.sha256(data).hexdigest()
    ext = SIGNATURES[kind][1]
    path = root / str(case.id) / f"{digest}.{ext}"
    if not (path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == digest):
        write_file(path, data)
    earlier = _earlier(material, digest)
    if earlier is not None:
        return StoredScan(earlier, True)
    today = today or datetime.date.today()
    try:
        with _write_transaction():
            upload_id = CaseUpload.insert(
                case=case.id, case_material=material.id, filename=_clean_name(filename, ext),
                content_type=kind, declared_type=str(content_type or "")[:100], size=len(data),
                sha256=digest, stored_path=str(path), uploaded_by=user,
                uploaded_at=datetime.datetime.now(),
            ).execute()
            record_event(case.id, material, user, role, UPLOAD, today, upload=upload_id,
                         note=_clean_name(filename, ext))
    except peewee.IntegrityError:  # the same file uploaded at the same moment
        return StoredScan(_earlier(material, digest), True)
    return StoredScan(CaseUpload.get_by_id(upload_id), False)


def _earlier(material: CaseMaterial, digest: str) -> CaseUpload | None:
    return CaseUpload.get_or_none((CaseUpload.case_material == material.id) & (CaseUpload.sha256 == digest))


def scans(case_material: CaseMaterial) -> list[CaseUpload]:
    """The scans of a case material, oldest first."""
    return list(CaseUpload.select().where(CaseUpload.case_material == case_material.id)
                .order_by(CaseUpload.id))


def open_scan(upload: CaseUpload, principal_can_see_case: bool, *, by, root: Path | None = None) -> bytes:
    """The scan's bytes, if the caller found that the user may see its case (access.scoped);
    `by` (a User or username) is written to the audit log. `root` reads from a moved upload folder.
    The bytes are checked against the stored hash."""
    name = getattr(by, "username", by)
    if not isinstance(name, str) or not name.strip():
        raise ValueError("查看扫描件须写明查看人")
    if not principal_can_see_case:
        raise UploadRefused("无权查看该办件的材料扫描件")
    row = CaseUpload.get_or_none(CaseUpload.id == upload.id)
    if row is None:
        raise UploadRefused("扫描件不存在")
    stored = Path(row.stored_path)
    path = Path(root) / str(row.case_id) / stored.name if root is not None else stored
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UploadRefused(f"扫描件“{row.filename}”的文件不在存放目录中，请联系管理员") from exc
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise UploadRefused(f"扫描件“{row.filename}”的文件与上传时不一致（校验值不符），请联系管理员")
    case = Case.get_by_id(row.case_id)
    audit.record("reveal", name, object_type="case", object_id=case.number,
                 summary=f"查看材料扫描件：{row.case_material.name}（{row.filename}）")
    return data
