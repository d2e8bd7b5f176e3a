from django.db import models


class AuditEventKind(models.TextChoices):
    CREATE = "create", "新建"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    TRANSITION = "transition", "流程操作"
    IMPORT = "import", "导入"
    EXPORT = "export", "导出"
    UPLOAD = "upload", "上传"
    DOWNLOAD = "download", "下载"
    LOGIN = "login", "登录"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOGOUT = "logout", "退出"
    PERMISSION_DENIED = "permission_denied", "越权拒绝"
