from django.contrib import admin

from .models import Account, Comment, Event, Report, Revision, Transition


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("user", "registry_name")
    search_fields = ("user__username", "registry_name")


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("year", "report_id", "created")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Revisions and transitions are append-only: the admin shows them and changes nothing."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ("report", "kind", "author", "created", "content_hash")
    list_filter = ("kind",)


@admin.register(Transition)
class TransitionAdmin(ReadOnlyAdmin):
    list_display = ("report", "from_status", "to_status", "actor", "created")


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("report", "first_line", "last_line", "author", "created", "resolved")
    list_filter = ("resolved",)


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """The audit log (also at /desk/audit/, with CSV export)."""

    list_display = ("created", "report", "kind", "actor", "revision", "detail")
    list_filter = ("kind", "report__year", "created")
    search_fields = ("report__report_id", "actor__username", "detail")
