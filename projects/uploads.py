"""Attachments 附件: what may be uploaded, how it is checked, stored and handed back.

Every upload is checked from its CONTENT (the ``filetype`` package, plus our own checks of the
zip and OLE2 containers) and from its extension; the two must agree. Zip-based Office files are
inspected with ``zipfile`` before anything parses them, so a zip bomb is refused unopened.
The Excel import (projects/excel.py) reuses these checks.
"""

import hashlib
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from workflow.audit import AuditEventKind, record_event
from workflow.errors import NotInScope, TransitionForbidden

from . import permissions
from .choices import AttachmentKind
from .models import Attachment, PreAssessment, Project

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURE = b"PK\x03\x04"
HEAD_BYTES = 8192  # what filetype reads to decide

# Zip limits, checked from the central directory before any parsing. Python's zipfile stops
# reading an entry at its declared size (and fails its CRC beyond), so the declared sizes bound
# what a parser can be made to unpack.
ZIP_MAX_ENTRIES = 1000
ZIP_MAX_UNCOMPRESSED = 100 * 1024 * 1024
ZIP_MAX_RATIO = 100  # XML compresses ~5–30×; a bomb compresses thousands of times
ZIP_RATIO_MIN_SIZE = 1024 * 1024  # tiny entries may compress well without harm

CORRUPT_OFFICE_FILE = "文件已损坏或不是有效的 Office 文档。"


@dataclass(frozen=True)
class AllowedType:
    kind: str  # AttachmentKind
    mime: str
    container: str  # "zip:<part>/" | "ole2" | "" (filetype decides alone)
    detected: frozenset  # extensions filetype may report for this content


_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# filetype reports "zip" for OOXML whose parts come in an unusual order, and nothing for many
# OLE2 files (its .doc/.xls heuristics look for specific records): the container check decides then.
ALLOWED_TYPES = {
    ".pdf": AllowedType(AttachmentKind.PDF, "application/pdf", "", frozenset({"pdf"})),
    ".docx": AllowedType(AttachmentKind.WORD, _DOCX, "zip:word/", frozenset({"docx", "zip"})),
    ".xlsx": AllowedType(AttachmentKind.EXCEL, _XLSX, "zip:xl/", frozenset({"xlsx", "zip"})),
    ".doc": AllowedType(AttachmentKind.WORD, "application/msword", "ole2", frozenset({"doc", None})),
    ".xls": AllowedType(AttachmentKind.EXCEL, "application/vnd.ms-excel", "ole2", frozenset({"xls", None})),
    ".jpg": AllowedType(AttachmentKind.IMAGE, "image/jpeg", "", frozenset({"jpg"})),
    ".jpeg": AllowedType(AttachmentKind.IMAGE, "image/jpeg", "", frozenset({"jpg"})),
    ".png": AllowedType(AttachmentKind.IMAGE, "image/png", "", frozenset({"png"})),
}
ALLOWED_EXTENSIONS_TEXT = "PDF、Word（.doc/.docx）、Excel（.xls/.xlsx）、图片（.jpg/.png）"


@dataclass(frozen=True)
class Attachable:
    """A kind of record that takes attachments: its name in the upload URL and who may attach."""

    name: str
    model: type
    permission: Callable  # (user, obj) -> (allowed, reason)


_attachables: dict[str, Attachable] = {}


def register_attachable(name: str, model: type, permission: Callable):
    """Later stages add their records (a rectification's evidence…) from ``AppConfig.ready``;
    downloads need nothing more: they check the record's own ``visible_to``."""
    _attachables[name] = Attachable(name, model, permission)


def attachable(model_or_name) -> Attachable | None:
    if isinstance(model_or_name, str):
        return _attachables.get(model_or_name)
    return next((a for a in _attachables.values() if a.model is model_or_name), None)


register_attachable("project", Project, permissions.can_edit_project)
register_attachable("preassessment", PreAssessment, permissions.can_fill_preassessment)


def max_upload_mb() -> int:
    return settings.UPLOAD_MAX_BYTES // (1024 * 1024)


def too_large_message() -> str:
    return f"文件超过 {max_upload_mb()} MB，请压缩或拆分后再上传。"


def file_size(uploaded_file) -> int:
    size = getattr(uploaded_file, "size", None)
    if size is None:  # a plain file object (tests, commands)
        position = uploaded_file.tell()
        uploaded_file.seek(0, os.SEEK_END)
        size = uploaded_file.tell()
        uploaded_file.seek(position)
    return size


def check_size(uploaded_file) -> int:
    size = file_size(uploaded_file)
    if size == 0:
        raise ValidationError("文件为空，请重新选择。")
    if size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(too_large_message())
    return size


def check_ooxml_zip(fileobj, part_prefix: str):
    """Refuse a zip-based Office file that is not one, or that would unpack into too much.

    Reads only the central directory; no entry is decompressed.
    """
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise ValidationError(CORRUPT_OFFICE_FILE) from None
    finally:
        fileobj.seek(0)
    if len(entries) > ZIP_MAX_ENTRIES:
        raise ValidationError(f"文件内部条目过多（超过 {ZIP_MAX_ENTRIES} 个），疑似压缩炸弹，已拒绝。")
    total = sum(e.file_size for e in entries)
    if total > ZIP_MAX_UNCOMPRESSED:
        raise ValidationError(
            f"文件解压后超过 {ZIP_MAX_UNCOMPRESSED // (1024 * 1024)} MB，疑似压缩炸弹，已拒绝。"
        )
    for entry in entries:
        if entry.file_size >= ZIP_RATIO_MIN_SIZE and entry.file_size > ZIP_MAX_RATIO * max(entry.compress_size, 1):
            raise ValidationError("文件压缩比异常，疑似压缩炸弹，已拒绝。")
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names or not any(n.startswith(part_prefix) for n in names):
        raise ValidationError(CORRUPT_OFFICE_FILE)


def _read_head(uploaded_file) -> bytes:
    uploaded_file.seek(0)
    head = uploaded_file.read(HEAD_BYTES)
    uploaded_file.seek(0)
    return head


def validate_upload(uploaded_file) -> tuple[str, str]:
    """Check an uploaded file; return its (AttachmentKind, MIME type) or raise ValidationError
    with a message for the person who uploaded it."""
    name = getattr(uploaded_file, "name", "") or ""
    extension = os.path.splitext(name)[1].lower()
    allowed = ALLOWED_TYPES.get(extension)
    if allowed is None:
        raise ValidationError(f"不支持的文件类型，仅允许上传 {ALLOWED_EXTENSIONS_TEXT}。")
    check_size(uploaded_file)
    head = _read_head(uploaded_file)
    guessed = filetype.guess(head)
    detected = guessed.extension if guessed else None
    if detected not in allowed.detected:
        raise ValidationError("文件内容与扩展名不符，请上传真实的文件。")
    if allowed.container == "ole2":
        if not head.startswith(OLE2_SIGNATURE):
            raise ValidationError("文件内容与扩展名不符，请上传真实的文件。")
    elif allowed.container.startswith("zip:"):
        if not head.startswith(ZIP_SIGNATURE):
            raise ValidationError("文件内容与扩展名不符，请上传真实的文件。")
        check_ooxml_zip(uploaded_file, allowed.container.removeprefix("zip:"))
    return allowed.kind, allowed.mime


def sha256_of(uploaded_file) -> str:
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    for chunk in iter(lambda: uploaded_file.read(1024 * 1024), b""):
        digest.update(chunk)
    uploaded_file.seek(0)
    return digest.hexdigest()


def deny(error_class, message: str, user, obj, action: str):
    """Record a refusal in the audit trail, then raise it. Call it outside any transaction, so
    the event is not rolled back with the refused change."""
    record_event(AuditEventKind.PERMISSION_DENIED, user=user, obj=obj, success=False, message=f"{action}: {message}")
    raise error_class(message)


def attach_file(obj, user, uploaded_file, description: str = "") -> Attachment:
    """Attach an uploaded file to a record of a registered kind (whoever may fill it may attach).

    Raises NotInScope / TransitionForbidden / ValidationError; on any refusal nothing is stored.
    """
    if not type(obj).objects.visible_to(user).filter(pk=obj.pk).exists():
        deny(NotInScope, "未找到该记录。", user, obj, "上传附件")
    allowed, reason = permissions.can_upload_attachment(user, obj)
    if not allowed:
        deny(TransitionForbidden, reason, user, obj, "上传附件")
    description = (description or "").strip()
    if len(description) > Attachment._meta.get_field("description").max_length:
        raise ValidationError("附件说明不能超过 200 个字。")
    kind, mime = validate_upload(uploaded_file)
    original_name = os.path.basename(uploaded_file.name.replace("\\", "/"))[-200:]
    attachment = Attachment(
        subject=obj,
        original_name=original_name,
        kind=kind,
        mime_type=mime,
        size=file_size(uploaded_file),
        sha256=sha256_of(uploaded_file),
        description=description,
        uploaded_by=user,
        uploaded_at=timezone.now(),
    )
    # The stored name is random (models.attachment_path); the original name stays in the row.
    attachment.file.save(original_name, uploaded_file, save=False)
    try:
        with transaction.atomic():
            attachment.save()
            record_event(
                AuditEventKind.UPLOAD,
                user=user,
                obj=obj,
                after={
                    "attachment": attachment.pk,
                    "name": original_name,
                    "size": attachment.size,
                    "sha256": attachment.sha256,
                },
                message=f"上传附件：{original_name}",
            )
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


def attachments_for(obj):
    """The attachments of a record, for the shared partial (templates/includes/attachments.html)."""
    return Attachment.objects.for_object(obj).select_related("uploaded_by")


def open_for_download(attachment_id: int, user):
    """Fetch an attachment the user may download, record the download and open the file.

    The attachment is in scope only if its subject is in ``visible_to(user)``; otherwise (or if
    the file is gone from disk) NotInScope, which pages answer with 404.
    """
    attachment = Attachment.objects.select_related("content_type").filter(pk=attachment_id).first()
    if attachment is None:
        raise NotInScope("未找到该附件。")
    model = attachment.content_type.model_class()
    manager = getattr(model, "objects", None) if model is not None else None
    if manager is None or not hasattr(manager, "visible_to"):
        raise NotInScope("未找到该附件。")
    subject = manager.visible_to(user).filter(pk=attachment.object_id).first()
    if subject is None:
        record_event(
            AuditEventKind.PERMISSION_DENIED,
            user=user,
            success=False,
            object_type="projects.attachment",
            object_id=str(attachment.pk),
            message="下载附件：不在数据范围内",
        )
        raise NotInScope("未找到该附件。")
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise NotInScope("附件文件已不存在，请联系管理员。") from None
    record_event(
        AuditEventKind.DOWNLOAD,
        user=user,
        obj=subject,
        after={"attachment": attachment.pk, "name": attachment.original_name},
        message=f"下载附件：{attachment.original_name}",
    )
    return attachment, handle
