"""Status transitions, the volume order and comments: what the desk and the editor do to a report beyond saving
its text.

A transition (草稿 → 已提交 submit, 已提交 → 草稿 return, 已提交 → 已审定 approve) changes the front matter's
`status` in the file through the draft-writing path (`drafts.save`: only if the file is still the version the
actor looked at), and records the revision, the transition and its event in one database transaction; the
e-mail goes out once that transaction has committed. A refused attempt (the file changed meanwhile: another
reviewer acted first, the counselor saved) writes nothing and is recorded as a `refused` event, so the timeline
shows both actions of a race and the file shows one consistent state. The volume order (`volume_order`, the
reviewers' to decide) is set and cleared the same way, recorded as a revision and an `ordered` event."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

import generator

from . import anchors, drafts, notify
from .i18n import _
from .models import Comment, Event, Revision, Transition

SUBMIT, RETURN, APPROVE = "submit", "return", "approve"
EVENT_OF = {SUBMIT: Event.Kind.SUBMITTED, RETURN: Event.Kind.RETURNED, APPROVE: Event.Kind.APPROVED}


class Refused(Exception):
    """The transition cannot be made; `status` is the HTTP status to answer with, the message says why."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Done:
    revision: Revision
    transition: Transition


def statuses() -> tuple[str, str, str]:
    draft, submitted, *rest = drafts.config().front_matter.statuses
    return draft, submitted, drafts.config().front_matter.approved_status


def _steps() -> dict[str, tuple[str, str]]:
    draft, submitted, approved = statuses()
    return {SUBMIT: (draft, submitted), RETURN: (submitted, draft), APPROVE: (submitted, approved)}


def changed_since(report, base_hash: str) -> str:
    """What happened to the report since its version `base_hash`, in words (for a refusal's message). Read under
    the report's recording lock: a change that wrote the file has committed its records by then."""
    with drafts.recording(report.year, report.report_id):
        base = report.revisions.filter(content_hash=base_hash).order_by("-id").first()
        later = report.transitions.select_related("actor")
        if base is not None:
            later = later.filter(revision_id__gt=base.pk)
        last = later.order_by("-id").first()
        newest = report.revisions.select_related("author").first()
    if last is not None:
        return _("{who} changed its status from “{old}” to “{new}” meanwhile.").format(
            who=last.actor.username if last.actor else "?", old=last.from_status, new=last.to_status)
    who = newest.author.username if newest and newest.author else _("someone outside the workspace")
    if newest is not None and newest.kind == Revision.Kind.ORDER:
        return _("{who} changed its volume order meanwhile.").format(who=who)
    return _("{who} changed its text meanwhile.").format(who=who)


def refuse(draft, user, action: str, message: str) -> None:
    """Record a refused attempt (outside any transaction that is being rolled back)."""
    Event.objects.create(report=drafts.report_row(draft), actor=user, kind=Event.Kind.REFUSED,
                         detail=f"{action}: {message}")


def change_status(draft, *, user, action: str, expected: str, comment: str = "") -> Done:
    """Make transition `action` of `draft`, looked at by `user` at version `expected`; raises `Refused`."""
    old, new = _steps()[action]
    if expected != draft.content_hash:
        message = _("The report changed since you opened it; nothing was done.") + " " + \
            changed_since(drafts.report_row(draft), expected)
        refuse(draft, user, action, message)
        raise Refused(message, 409)
    if draft.status != old:
        raise Refused(_("Only a report that is “{old}” can be changed to “{new}”; this one is “{status}”.").format(
            old=old, new=new, status=draft.status))
    if action == RETURN and not comment.strip():
        raise Refused(_("Say what should change: a report is returned with a comment."))
    try:
        text = generator.set_front_matter_value(draft.text, "status", new, path=draft.path, config=drafts.config())
    except generator.ReportgenError as error:
        raise Refused(str(error)) from None
    if action in (SUBMIT, APPROVE):
        errors = [item for item in drafts.check(text, draft.path) if item.severity == generator.Severity.ERROR]
        if errors:
            raise Refused(_("The report has {count} error(s); fix them before submitting.").format(count=len(errors))
                          if action == SUBMIT else
                          _("The report has {count} error(s); it cannot be approved.").format(count=len(errors)))
    kind = Revision.Kind.SUBMITTED if action == SUBMIT else Revision.Kind.STATUS
    try:
        with drafts.recording(draft.year, draft.report_id), transaction.atomic():
            revision = drafts.save(draft, text, user=user, expected=expected, kind=kind)
            moved = Transition.objects.create(report=revision.report, revision=revision, actor=user,
                                              from_status=old, to_status=new, comment=comment.strip())
            Event.objects.create(report=revision.report, actor=user, kind=EVENT_OF[action], revision=revision,
                                 transition=moved, detail=comment.strip())
            transaction.on_commit(lambda: notify.transition_made(moved, draft))
    except generator.DraftChanged:
        message = _("The report changed since you opened it; nothing was done.") + " " + \
            changed_since(drafts.report_row(draft), expected)
        refuse(draft, user, action, message)
        raise Refused(message, 409) from None
    return Done(revision, moved)


# --- the volume order -------------------------------------------------------------------------------------

VOLUME_ORDER = "volume_order"
ORDER = "order"


def set_volume_order(draft, *, user, expected: str, order: int | None) -> Revision:
    """Set (`order` ≥ 1) or clear (`None`) the front matter's `volume_order` of `draft`, looked at by `user` at
    version `expected`: the same path as a status change (only that line of the file changes, written only if
    the file is still that version), the revision and its event recorded in one transaction; raises `Refused`."""
    if order is not None and order < 1:
        raise Refused(_("The volume order is a whole number of at least 1."))
    if expected != draft.content_hash:
        message = _("The report changed since you opened it; nothing was done.") + " " + \
            changed_since(drafts.report_row(draft), expected)
        refuse(draft, user, ORDER, message)
        raise Refused(message, 409)
    field = (draft.document.draft.fields if draft.text is not None else {}).get(VOLUME_ORDER)
    old = field.value.strip() if field is not None and isinstance(field.value, str) else None
    new = None if order is None else str(order)
    if old == new:
        raise Refused(_("The volume order is already {order}; nothing was done.").format(order=new) if new else
                      _("The report has no volume order; nothing was done."))
    try:
        text = generator.set_front_matter_value(draft.text, VOLUME_ORDER, new, path=draft.path,
                                                config=drafts.config(), add=True)
    except generator.ReportgenError as error:
        raise Refused(str(error)) from None
    detail = f"{VOLUME_ORDER}: {old or '—'} → {new or '—'}"
    try:
        with drafts.recording(draft.year, draft.report_id), transaction.atomic():
            revision = drafts.save(draft, text, user=user, expected=expected, kind=Revision.Kind.ORDER)
            Event.objects.create(report=revision.report, actor=user, kind=Event.Kind.ORDERED, revision=revision,
                                 detail=detail)
    except generator.DraftChanged:
        message = _("The report changed since you opened it; nothing was done.") + " " + \
            changed_since(drafts.report_row(draft), expected)
        refuse(draft, user, ORDER, message)
        raise Refused(message, 409) from None
    return revision


def last_return(draft) -> Transition | None:
    """The return that made the report a draft again, while it still is one (the editor shows its comment)."""
    last = drafts.report_row(draft).transitions.select_related("actor").order_by("-id").first()
    draft_status = statuses()[0]
    if last is not None and last.to_status == draft_status and draft.status == draft_status and last.comment:
        return last
    return None


# --- comments ---------------------------------------------------------------------------------------------

def add_comment(draft, *, user, first_line: int, last_line: int, body: str, base: str) -> Comment:
    """A comment on lines of the version `base` the reviewer is looking at (the newest version if that one is
    not recorded)."""
    report = drafts.report_row(draft)
    revision = report.revisions.filter(content_hash=base).first() or drafts.latest_revision(draft)
    found = anchors.anchor(revision.text, first_line, last_line)
    with transaction.atomic():
        comment = Comment.objects.create(report=report, revision=revision, author=user, first_line=found.first_line,
                                         last_line=found.last_line, anchor_text=found.text,
                                         context_before=found.before, context_after=found.after, body=body.strip())
        Event.objects.create(report=report, actor=user, kind=Event.Kind.COMMENTED, revision=revision,
                             comment=comment, detail=body.strip())
    return comment


def resolve_comment(comment: Comment, *, user) -> None:
    from django.utils import timezone

    with transaction.atomic():
        updated = Comment.objects.filter(pk=comment.pk, resolved__isnull=True).update(
            resolved=timezone.now(), resolved_by=user)
        if updated:   # resolving twice records it once
            Event.objects.create(report=comment.report, actor=user, kind=Event.Kind.RESOLVED,
                                 revision=comment.revision, comment=comment)


def located_comments(draft, text: str | None = None) -> list[dict]:
    """The report's comments, each placed in `text` (default: the file's) and described for the pages."""
    found = []
    text = draft.text if text is None else text
    for comment in draft_comments(draft):
        place = anchors.locate(comment.revision.text, anchors.Anchor(
            comment.first_line, comment.last_line, comment.anchor_text, comment.context_before,
            comment.context_after), text or "")
        found.append({
            "id": comment.pk, "body": comment.body, "author": comment.author.username if comment.author else "",
            "created": comment.created.isoformat(timespec="seconds"), "revision": comment.revision_id,
            "first_line": place.first_line, "last_line": place.last_line, "state": place.state,
            "original_line": comment.first_line, "anchor_text": comment.anchor_text,
            "resolved": comment.resolved is not None,
            "resolved_by": comment.resolved_by.username if comment.resolved_by else "",
        })
    return found


def draft_comments(draft):
    return Comment.objects.filter(report=drafts.report_row(draft)).select_related(
        "author", "resolved_by", "revision").order_by("created", "id")
