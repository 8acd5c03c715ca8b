from django.contrib import admin
from django.urls import include, path, register_converter

from . import compile as compiling
from . import desk, views


class ReportId:
    regex = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ReportId, "report")

workspace = [
    path("", views.reports_view, name="reports"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("language/", views.language_view, name="language"),
    path("set-password/<str:uid>/<str:token>/", views.set_password_view, name="set_password"),
    path("new/", views.new_view, name="new"),
    path("upload/", views.upload_view, name="upload"),
    path("import/", views.import_view, name="import"),
    path("r/<int:year>/<report:report_id>/", views.edit_view, name="edit"),
    path("r/<int:year>/<report:report_id>/check", views.check_view, name="check"),
    path("r/<int:year>/<report:report_id>/front-matter", views.front_matter_view, name="front_matter"),
    path("r/<int:year>/<report:report_id>/save", views.save_view, name="save"),
    path("r/<int:year>/<report:report_id>/submit", views.submit_view, name="submit"),
    path("r/<int:year>/<report:report_id>/preview", views.preview_view, name="preview"),
    path("r/<int:year>/<report:report_id>/download.<str:kind>", views.download_view, name="download"),
    path("r/<int:year>/<report:report_id>/history/", views.history_view, name="history"),
    path("r/<int:year>/<report:report_id>/history/<int:number>/", views.revision_view, name="revision"),
    path("r/<int:year>/<report:report_id>/history/<int:number>/restore", views.restore_view, name="restore"),
    path("r/<int:year>/<report:report_id>/assets/", views.asset_upload_view, name="asset_upload"),
    path("r/<int:year>/<report:report_id>/assets/<str:name>", views.asset_view, name="asset"),
    # compiling a year's volume (issue 17): generator/web/compile.py
    path("compile/", compiling.index_view, name="compile_index"),
    path("compile/<int:year>/", compiling.year_view, name="compile_year"),
    path("compile/<int:year>/start", compiling.start_view, name="compile_start"),
    path("compile/<int:year>/<str:job_id>/", compiling.job_view, name="compile_job"),
    path("compile/<int:year>/<str:job_id>/status", compiling.status_view, name="compile_status"),
    path("compile/<int:year>/<str:job_id>/volume.<str:kind>", compiling.volume_download_view, name="compile_volume"),
    path("compile/<int:year>/<str:job_id>/reports/<report:report_id>.<str:kind>", compiling.report_download_view,
         name="compile_report"),
    path("compile/<int:year>/<str:job_id>/year.zip", compiling.archive_download_view, name="compile_archive"),
    *desk.urls(),   # the publicity desk (issue 17)
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include((workspace, "workspace"))),
]
