"""Files attached to a matter's materials (空表、样表): where they may live, what they may be, their hash.

An attachment's `file` is a path inside the config folder. It is checked like every config value
(inside the folder, an allowed type by content, not too big) and its SHA-256 is written into the
matter's document, so the published version names the exact bytes and a changed file changes the
matter's content hash (a new version).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path, PurePosixPath

from daiban.catalog.sources import join_pointer

MAX_BYTES = 10 * 1024 * 1024
KIND_LABELS = {"blank": "空表", "sample": "样表"}
# Suffix -> content type; `detect_type` names the same suffixes from the bytes.
TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jpg": "image/jpeg",
    "png": "image/png",
}
TYPE_NAMES = {"pdf": "PDF", "docx": "Word（.docx）", "xlsx": "Excel（.xlsx）", "jpg": "JPG 图片",
              "png": "PNG 图片"}
SUFFIXES = {"pdf": "pdf", "docx": "docx", "xlsx": "xlsx", "jpg": "jpg", "jpeg": "jpg", "png": "png"}
Found = list[tuple[str, str]]


def detect_type(data: bytes) -> str | None:
    """The attachment type the bytes really are (pdf, docx, xlsx, jpg, png), or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
    return None


def suffix_type(file: str) -> str | None:
    """The attachment type a file name promises by its suffix, or None when not allowed."""
    return SUFFIXES.get(PurePosixPath(file).suffix.lower().lstrip("."))


def resolve(config_dir: Path, file: str) -> Path | None:
    """The file inside the config folder, or None when the path would leave it (.., /, symlinks)."""
    relative = PurePosixPath(file)
    if (not file or "\\" in file or "\x00" in file or relative.is_absolute()
            or any(part in ("..", ".") or part.startswith(".") for part in relative.parts)):
        return None
    root = Path(config_dir).resolve()
    path = (root / relative).resolve()
    return path if path.is_relative_to(root) else None


def sha256_of(data: bytes) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


def _check_one(config_dir: Path, file: str) -> tuple[str | None, str | None]:
    """(sha256, None) for a good attachment file, or (None, the problem in Chinese)."""
    path = resolve(config_dir, file)
    if path is None:
        return None, f"附件路径 “{file}” 应是配置目录内的相对路径（不能以 / 开头，不能含 .. 或隐藏目录）"
    expected = suffix_type(file)
    if expected is None:
        return None, "附件只能是 PDF、Word（.docx）、Excel（.xlsx）、JPG 或 PNG 文件"
    if not path.is_file():
        return None, f"找不到附件文件 “{file}”（路径从配置目录算起，如 matters/<领域>/files/…）"
    size = path.stat().st_size
    if size == 0:
        return None, f"附件文件 “{file}” 是空的"
    if size > MAX_BYTES:
        return None, (f"附件文件 “{file}” 有 {size / 1024 / 1024:.1f} MB，"
                      f"超过上限 {MAX_BYTES // 1024 // 1024} MB")
    data = path.read_bytes()
    actual = detect_type(data)
    if actual != expected:
        seen = f"看起来是 {TYPE_NAMES[actual]}" if actual else "无法识别为允许的类型"
        return None, f"附件文件 “{file}” 的内容不是 {TYPE_NAMES[expected]}（{seen}）"
    return sha256_of(data), None


def check_and_stamp(document: dict, normalized: dict, config_dir: Path) -> Found:
    """Check every material's attachments and write each good file's `sha256` into both the
    document as written (what is published) and its default-filled copy (what is hashed)."""
    found: Found = []
    written = document.get("materials") if isinstance(document, dict) else None
    for index, material in enumerate(normalized.get("materials", ())):
        for number, attachment in enumerate(material.get("attachments", ())):
            at = join_pointer(join_pointer(join_pointer("/materials", index), "attachments"), number)
            digest, problem = _check_one(config_dir, attachment["file"])
            if problem:
                found.append((join_pointer(at, "file"), problem))
                continue
            attachment["sha256"] = digest
            if isinstance(written, list) and index < len(written):
                written[index]["attachments"][number]["sha256"] = digest
    return found
