"""What the database keeps: accounts tied to registry names, and each report's history. The drafts' text is
the file's (the source of truth); a revision is a copy of one saved version, kept for history and restore.

Revisions, transitions and events are append-only (saving an existing row or deleting one raises): the timeline
of a report is never rewritten. Comments (anchored to lines of a revision, re-located in later text by
`anchors.locate`) and events (the audit log: every save, submission, return, approval, comment, resolution and
refused attempt) are the publicity desk's (issue 17), modelled on Wagtail's comments and log entries."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AppendOnly(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{type(self).__name__} rows are append-only")


class Account(models.Model):
    """The registry name a user writes as (counselors); reviewers and admins may have none."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account")
    registry_name = models.CharField(max_length=100, unique=True, null=True, blank=True)

    def __str__(self):
        return f"{self.user.username} ({self.registry_name or '-'})"


class Report(models.Model):
    """A draft file `<sources>/<year>/<report_id>.md`, known to the workspace."""

    year = models.PositiveIntegerField()
    report_id = models.CharField(max_length=100)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "report_id"], name="unique_report")]

    def __str__(self):
        return f"{self.year}/{self.report_id}"


class Revision(AppendOnly):
    """One version of a draft's text: who saved it (None: found changed outside the workspace), when, and how."""

    class Kind(models.TextChoices):
        CREATED = "created"
        UPLOADED = "uploaded"
        SAVED = "saved"
        RESTORED = "restored"
        SUBMITTED = "submitted"
        EXTERNAL = "external"      # the file changed outside the workspace (CLI --fix, git, another editor)
        STATUS = "status"          # a status change made by a reviewer (issue 17)
        ORDER = "order"            # the volume order set or cleared by a reviewer (issue 17)

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="revisions")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    content_hash = models.CharField(max_length=64)
    text = models.TextField()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["report", "content_hash"])]


class Transition(AppendOnly):
    """A change of the front matter's `status` (草稿 → 已提交 → 已审定, or back), with who, when and the
    revision that carries it."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="transitions")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="transitions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    from_status = models.CharField(max_length=32)
    to_status = models.CharField(max_length=32)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["created", "id"]


class Comment(models.Model):
    """A reviewer's comment on lines `first_line`..`last_line` of a revision (issue 17). `anchor_text` (those
    lines) and `context_before` / `context_after` (up to two lines on each side) let it follow the text it names
    when lines move (`anchors.locate`); resolving it is the only change a row ever sees."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="comments")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    first_line = models.PositiveIntegerField()
    last_line = models.PositiveIntegerField()
    anchor_text = models.TextField(blank=True)
    body = models.TextField()
    resolved = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    context_before = models.TextField(blank=True)
    context_after = models.TextField(blank=True)

    class Meta:
        ordering = ["created", "id"]
        permissions = [("edit_counselor_text", "May edit the text of any counselor's report (reviewers)")]


class Event(AppendOnly):
    """One line of a report's timeline and of the audit log (as Wagtail's log entries): who did what, when, at
    which revision; a refused attempt (two reviewers acting at once, a stale approval) is an event too."""

    class Kind(models.TextChoices):
        CREATED = "created"
        UPLOADED = "uploaded"
        SAVED = "saved"
        RESTORED = "restored"
        EXTERNAL = "external"
        SUBMITTED = "submitted"
        RETURNED = "returned"
        APPROVED = "approved"
        COMMENTED = "commented"
        RESOLVED = "resolved"
        ORDERED = "ordered"        # the volume order set or cleared (the detail says which)
        REFUSED = "refused"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, db_index=True)
    revision = models.ForeignKey(Revision, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    transition = models.ForeignKey(Transition, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="events")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["created", "id"]
