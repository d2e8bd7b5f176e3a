"""Attachments on projects and pre-assessments: content-checked uploads, scoped downloads.

Files are built here (a small PDF, PNG, DOCX, an OLE2 .doc header, a renamed .exe, zip bombs);
what is asserted is what a clerk notices — the message, nothing stored — and what another
department's clerk gets: 404.
"""

import hashlib
import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects.models import Attachment
from projects.uploads import attach_file, validate_upload
from workflow.audit import AuditEventKind
from workflow.errors import TransitionForbidden
from workflow.models import AuditEvent

from . import factories as f

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """Uploads go to a fresh directory per test, so 'nothing stored on disk' can be checked."""
    root = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    return root


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def png_bytes() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(
        b"IEND", b""
    )


def ooxml_bytes(part="word/document.xml", extra: dict | None = None, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr(part, "<document>实施方案</document>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def upload_url(model: str, pk: int) -> str:
    return reverse("projects:attachment_upload", args=[model, pk])


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- what is accepted ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content, kind, mime",
    [
        ("实施方案.pdf", pdf_bytes(), "pdf", "application/pdf"),
        ("现场照片.PNG", png_bytes(), "image", "image/png"),
        ("可行性研究.docx", ooxml_bytes(), "word",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("测算表.xlsx", ooxml_bytes("xl/workbook.xml"), "excel",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("旧版报告.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024, "word", "application/msword"),
    ],
)
def test_real_files_are_accepted_and_stored_under_a_random_name(city, client_for, project, media,
                                                                name, content, kind, mime):
    response = client_for(city.clerk).post(upload_url("project", project.pk), {"file": upload(name, content),
                                                                                "description": "佐证材料"})
    assert response.status_code == 302 and response["Location"] == project.get_absolute_url()
    assert flash(response) == [f"已上传附件“{name}”。"]
    attachment = Attachment.objects.get()
    assert (attachment.subject, attachment.original_name, attachment.kind, attachment.mime_type) == (
        project, name, kind, mime,
    )
    assert attachment.sha256 == hashlib.sha256(content).hexdigest() and attachment.size == len(content)
    (stored,) = stored_files(media)
    assert stored.read_bytes() == content
    assert name not in str(stored) and len(stored.name) == 32  # a uuid, never the user's file name
    event = AuditEvent.objects.get(kind=AuditEventKind.UPLOAD)
    assert event.object_id == str(project.pk) and event.after["sha256"] == attachment.sha256


def test_a_preassessment_takes_attachments_too(city, project):
    pa = f.PreAssessmentFactory(project=project)
    attachment = attach_file(pa, city.clerk, upload("评估报告.pdf", pdf_bytes()))
    assert attachment.subject == pa
    assert list(Attachment.objects.for_object(pa)) == [attachment]


# --- what is refused ----------------------------------------------------------------------------


def test_a_renamed_exe_is_refused_and_nothing_is_stored(city, client_for, project, media):
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200 + b"This program cannot be run"
    response = client_for(city.clerk).post(upload_url("project", project.pk), {"file": upload("预算说明.pdf", exe)})
    assert response.status_code == 302
    assert flash(response) == ["附件未上传：文件内容与扩展名不符，请上传真实的文件。"]
    assert not Attachment.objects.exists()
    assert stored_files(media) == []
    assert not AuditEvent.objects.filter(kind=AuditEventKind.UPLOAD).exists()


def test_a_21_mb_file_is_refused(city, client_for, project, media):
    big = pdf_bytes() + b"\x00" * (21 * MB)
    response = client_for(city.clerk).post(upload_url("project", project.pk), {"file": upload("大文件.pdf", big)})
    assert flash(response) == ["附件未上传：文件超过 20 MB，请压缩或拆分后再上传。"]
    with pytest.raises(ValidationError, match="文件超过 20 MB"):
        attach_file(project, city.clerk, upload("大文件.pdf", big))
    assert not Attachment.objects.exists() and stored_files(media) == []


@pytest.mark.parametrize(
    "name, content, message",
    [
        # one part that unpacks a thousand times larger than it is stored
        ("bomb.docx", ooxml_bytes(extra={"word/media/image1.bin": b"\x00" * (5 * MB)}), "压缩比异常"),
        # more than 1000 entries
        ("many.docx", ooxml_bytes(extra={f"word/p{n}.xml": "<p/>" for n in range(1001)}), "条目过多"),
        # more than 100 MB in all once unpacked
        ("huge.docx", ooxml_bytes(extra={f"word/media/{n}.bin": b"\x00" * MB for n in range(101)}), "超过 100 MB"),
    ],
)
def test_a_zip_bomb_docx_is_refused_before_parsing(city, project, media, name, content, message):
    with pytest.raises(ValidationError, match=message):
        attach_file(project, city.clerk, upload(name, content))
    assert stored_files(media) == []


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("setup.exe", b"MZ" + b"\x00" * 100, "不支持的文件类型"),
        ("notes.txt", "文本".encode(), "不支持的文件类型"),
        ("no_extension", pdf_bytes(), "不支持的文件类型"),
        ("empty.pdf", b"", "文件为空"),
        ("text.pdf", "只是文本".encode(), "文件内容与扩展名不符"),
        ("photo.png", b"\xff\xd8\xff\xe0" + b"\x00" * 100, "文件内容与扩展名不符"),  # a JPEG named .png
        ("sheet.docx", ooxml_bytes("xl/workbook.xml"), "文件内容与扩展名不符|不是有效的 Office 文档"),
        ("plain.docx", ooxml_bytes("content/other.xml"), "不是有效的 Office 文档"),  # a zip, not a Word file
        ("broken.docx", b"PK\x03\x04" + b"\x00" * 300, "不是有效的 Office 文档"),
        ("fake.doc", pdf_bytes(), "文件内容与扩展名不符"),
        ("fake.xls", b"PK\x03\x04" + b"\x00" * 100, "文件内容与扩展名不符"),
    ],
)
def test_wrong_types_get_a_clear_message(name, content, message):
    with pytest.raises(ValidationError, match=message):
        validate_upload(upload(name, content))


def test_no_file_and_an_htmx_upload_answer_in_the_partial(city, client_for, project, media):
    client = client_for(city.clerk)
    url = upload_url("project", project.pk)
    assert flash(client.post(url, {})) == ["附件未上传：请选择要上传的文件。"]
    response = client.post(url, {"file": upload("x.pdf", b"MZ" + b"\x00" * 50)}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "附件未上传：文件内容与扩展名不符" in response.content.decode()
    response = client.post(url, {"file": upload("方案.pdf", pdf_bytes())}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "已上传附件“方案.pdf”" in page
    assert reverse("projects:attachment_download", args=[Attachment.objects.get().pk]) in page
    assert f'id="attachments-project-{project.pk}"' in page


# --- who may upload -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["reviewer", "finance", "office", "auditor"])
def test_a_role_that_cannot_fill_gets_403_with_the_reason(city, client_for, project, media, persona):
    user = getattr(city, persona)
    response = client_for(user).post(upload_url("project", project.pk), {"file": upload("a.pdf", pdf_bytes())})
    assert response.status_code == 403
    assert "只有单位填报人可以修改项目" in response.content.decode()
    assert not Attachment.objects.exists() and stored_files(media) == []
    assert AuditEvent.objects.filter(kind=AuditEventKind.PERMISSION_DENIED, user=user).exists()


@pytest.mark.parametrize("persona", ["other_clerk", "clerk_a2", "evaluator", "expert_user"])
def test_out_of_scope_upload_is_404(city, client_for, project, persona):
    response = client_for(getattr(city, persona)).post(
        upload_url("project", project.pk), {"file": upload("a.pdf", pdf_bytes())}
    )
    assert response.status_code == 404
    assert not Attachment.objects.exists()


def test_a_submitted_project_takes_no_more_files(city, client_for, project):
    project.status = "dept_review"
    project.save()
    response = client_for(city.clerk).post(upload_url("project", project.pk), {"file": upload("a.pdf", pdf_bytes())})
    assert response.status_code == 403 and "不能修改" in response.content.decode()
    with pytest.raises(TransitionForbidden):
        attach_file(project, city.clerk, upload("a.pdf", pdf_bytes()))


def test_unknown_model_and_anonymous_upload(city, client_for, project):
    assert client_for(city.clerk).post(upload_url("targetsheet", project.pk)).status_code == 404
    response = client_for(None).post(upload_url("project", project.pk), {"file": upload("a.pdf", pdf_bytes())})
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert not Attachment.objects.exists()


# --- download -----------------------------------------------------------------------------------


@pytest.fixture
def attachment(city, project):
    return attach_file(project, city.clerk, upload("实施方案（终稿）.pdf", pdf_bytes()))


def download_url(attachment) -> str:
    return reverse("projects:attachment_download", args=[attachment.pk])


@pytest.mark.parametrize("persona", ["clerk", "reviewer", "finance", "office", "auditor"])
def test_those_in_scope_download_under_the_original_name(city, client_for, attachment, persona):
    response = client_for(getattr(city, persona)).get(download_url(attachment))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "%E5%AE%9E%E6%96%BD%E6%96%B9%E6%A1%88" in response["Content-Disposition"]  # 实施方案, RFC 5987
    assert response["X-Content-Type-Options"] == "nosniff"
    event = AuditEvent.objects.get(kind=AuditEventKind.DOWNLOAD)
    assert event.user == getattr(city, persona) and event.after["attachment"] == attachment.pk


@pytest.mark.parametrize("persona", ["other_clerk", "other_reviewer", "clerk_a2", "evaluator", "expert_user"])
def test_out_of_scope_download_is_404(city, client_for, attachment, persona):
    response = client_for(getattr(city, persona)).get(download_url(attachment))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(kind=AuditEventKind.DOWNLOAD).exists()


def test_an_assigned_agency_may_download_the_preassessment_files(city, client_for, project):
    pa = f.PreAssessmentFactory(project=project, mode="agency", agency=city.agency)
    attachment = attach_file(pa, city.evaluator, upload("评估报告.pdf", pdf_bytes()))
    assert client_for(city.evaluator).get(download_url(attachment)).status_code == 200
    assert client_for(city.other_clerk).get(download_url(attachment)).status_code == 404


def test_anonymous_download_goes_to_login(client_for, attachment):
    response = client_for(None).get(download_url(attachment))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_a_missing_file_or_id_is_404_not_500(city, client_for, attachment, media):
    for path in stored_files(media):
        path.unlink()
    client = client_for(city.clerk)
    assert client.get(download_url(attachment)).status_code == 404
    assert client.get(reverse("projects:attachment_download", args=[999999])).status_code == 404
