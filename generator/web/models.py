"""What the database keeps: accounts tied to registry names, and each report's history. The drafts' text is
the file's (the source of truth); a revision is a copy of one saved version, kept for history and restore.

Revisions and transitions are append-only (saving an existing row or deleting one raises): the timeline of a
report is never rewritten. Comments (anchored to lines of a revision) are the reviewers' desk's (issue 17)."""

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
    """A reviewer's comment on lines of a revision (issue 17); `anchor_text` lets it follow the text it names
    when lines move."""

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
