from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "generator.web"
    label = "workspace"
    verbose_name = "reportgen workspace"
    default_auto_field = "django.db.models.BigAutoField"
