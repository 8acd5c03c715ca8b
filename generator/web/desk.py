"""The publicity desk (issue 17): the year's board, the review page (source beside its PDF, comments anchored to
lines, return and approve, the volume order), the comments the editor shows, each report's timeline and the audit
log.

Drafts come from `drafts.open_draft` (permission asked there, as for every page), transitions and comments go
through `workflow`; this module only turns requests into those calls and their results into pages."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter, defaultdict

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import generator

from . import drafts, permissions, workflow
from .i18n import _
from .models import Comment, Event

SORTABLE = ("id", "title", "company", "theme", "counselors", "status", "errors", "warnings", "changed", "comments")


def _page(request, template: str, context: dict, status: int = 200):
    return render(request, f"workspace/{template}", context, status=status)


# --- the board --------------------------------------------------------------------------------------------

def _board_row(draft) -> dict:
    errors, warnings = draft.counts()
    report = drafts.report_row(draft)
    latest = report.revisions.select_related("author").first()
    current = latest is not None and latest.content_hash == draft.content_hash
    meta = draft.meta
    return {"draft": draft, "id": draft.report_id, "title": meta.title or draft.report_id,
            "company": meta.company or "", "theme": meta.theme or "", "counselors": list(meta.counselors or ()),
            "status": draft.status, "volume_order": meta.volume_order, "errors": errors, "warnings": warnings,
            "changed": latest.created if current else None,
            "changed_by": latest.author.username if current and latest.author else "",
            "mtime": dt.datetime.fromtimestamp(draft.path.stat().st_mtime, tz=dt.timezone.utc),
            "comments": Comment.objects.filter(report=report, resolved__isnull=True).count()}


def _sort_key(column: str):
    def key(row):
        value = row["changed"] or row["mtime"] if column == "changed" else row[column]
        return (", ".join(value) if isinstance(value, list) else value, row["id"])
    return key


@login_required
@require_GET
def board_view(request):
    """Every report of one year at a glance, filtered and sorted; coverage, who has not submitted, the overview."""
    permissions.require(request.user, "board", ())
    config, registry = drafts.config(), drafts.registry()
    everything = [draft for draft in drafts.all_drafts() if draft.text is not None]
    years = sorted({draft.year for draft in everything}, reverse=True) or [timezone.localdate().year]
    try:
        year = int(request.GET.get("year") or years[0])
    except ValueError:
        raise Http404("no such year") from None
    rows = [_board_row(draft) for draft in everything if draft.year == year]
    draft_status, submitted_status, approved = workflow.statuses()

    # the overview the volume will print: its members are the approved reports that check without errors
    members = [row["draft"].document for row in rows if row["status"] == approved and not row["errors"]]
    overview = generator.volume_overview(config, members, registry)

    # coverage: every registered company × every configured theme, with the reports (any status) in each cell
    cells: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        cells[(row["company"], row["theme"])].append(row)
    themes = list(config.ordered_themes)
    companies = [entry.name for entry in registry.companies]
    companies += sorted({row["company"] for row in rows} - set(companies))
    matrix = [(company, [cells.get((company, theme), []) for theme in themes]) for company in companies]
    uncovered_companies = [company for company, row in matrix if not any(row)]
    uncovered_themes = [theme for index, theme in enumerate(themes) if not any(row[index] for _c, row in matrix)]

    # who has not submitted: counselors with no report this year, and those with a report still a draft
    by_counselor: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        for name in row["counselors"]:
            by_counselor[name].append(row)
    without_report = [entry.name for entry in registry.counselors if entry.name not in by_counselor]
    with_drafts = [(name, [row["id"] for row in found if row["status"] == draft_status])
                   for name, found in sorted(by_counselor.items())
                   if any(row["status"] == draft_status for row in found)]

    # filters and sort (GET parameters, so a filtered board is a link)
    chosen = {key: request.GET.get(key, "").strip() for key in ("status", "theme", "company", "counselor", "q")}
    shown = [row for row in rows
             if (not chosen["status"] or row["status"] == chosen["status"])
             and (not chosen["theme"] or row["theme"] == chosen["theme"])
             and (not chosen["company"] or row["company"] == chosen["company"])
             and (not chosen["counselor"] or chosen["counselor"] in row["counselors"])
             and (not chosen["q"] or chosen["q"].lower() in (row["id"] + " " + row["title"]).lower())]
    sort = request.GET.get("sort", "id")
    sort = sort if sort in SORTABLE else "id"
    descending = request.GET.get("dir") == "desc"
    shown.sort(key=_sort_key(sort), reverse=descending)
    return _page(request, "board.j2", {
        "year": year, "years": years, "rows": shown, "total": len(rows), "chosen": chosen, "sort": sort,
        "descending": descending, "sortable": SORTABLE, "statuses": list(config.front_matter.statuses),
        "themes": themes, "companies": companies, "counselor_names": [entry.name for entry in registry.counselors],
        "status_counts": Counter(row["status"] for row in rows), "overview": overview, "matrix": matrix,
        "uncovered_companies": uncovered_companies, "uncovered_themes": uncovered_themes,
        "without_report": without_report, "with_drafts": with_drafts,
        "approved": approved, "submitted_status": submitted_status, "draft_status": draft_status})


# --- reviewing a report -----------------------------------------------------------------------------------

def _review_context(request, draft, error: str | None = None) -> dict:
    revision = drafts.latest_revision(draft)
    draft_status, submitted_status, approved = workflow.statuses()
    errors, warnings = draft.counts()
    return {"draft": draft, "meta": draft.meta, "revision": revision, "errors": errors, "warnings": warnings,
            "error": error, "done": request.GET.get("done", ""),
            "comments": workflow.located_comments(draft),
            "can_comment": permissions.can(request.user, "comment", draft.counselors),
            "can_return": permissions.can(request.user, "return", draft.counselors)
            and draft.status == submitted_status,
            "can_approve": permissions.can(request.user, "approve", draft.counselors)
            and draft.status == submitted_status,
            "submitted_status": submitted_status,
            "can_order": permissions.can(request.user, "order", draft.counselors),
            "volume_order": _volume_order_text(draft),
            "transitions": drafts.report_row(draft).transitions.select_related("actor").order_by("-id")[:5]}


@login_required
@require_GET
def review_view(request, year, report_id):
    draft = drafts.open_draft(request.user, year, report_id, "review")
    return _page(request, "review.j2", _review_context(request, draft))


def _transition(request, year, report_id, action: str):
    draft = drafts.open_draft(request.user, year, report_id, action)
    try:
        workflow.change_status(draft, user=request.user, action=action, expected=request.POST.get("base", ""),
                               comment=request.POST.get("comment", ""))
    except workflow.Refused as refusal:
        fresh = drafts.read(year, report_id)
        return _page(request, "review.j2", _review_context(request, fresh, str(refusal)), status=refusal.status)
    return redirect(f"{_review_url(draft)}?done={action}")


def _review_url(draft) -> str:
    from django.urls import reverse

    return reverse("workspace:review", args=[draft.year, draft.report_id])


@login_required
@require_POST
def return_view(request, year, report_id):
    """已提交 → 草稿, with the comment saying what should change."""
    return _transition(request, year, report_id, workflow.RETURN)


@login_required
@require_POST
def approve_view(request, year, report_id):
    """已提交 → 已审定, only without errors, only the version the reviewer looked at."""
    return _transition(request, year, report_id, workflow.APPROVE)


def _volume_order_text(draft) -> str:
    """The front matter's `volume_order` as written (even if invalid: the form shows what is there)."""
    field = draft.document.draft.fields.get(workflow.VOLUME_ORDER) if draft.text is not None else None
    return field.value.strip() if field is not None and isinstance(field.value, str) else ""


@login_required
@require_POST
def order_view(request, year, report_id):
    """Set (`order`: a whole number ≥ 1) or clear (`clear`, or an empty `order`) the report's volume order, on
    the version the reviewer looked at (`base`)."""
    draft = drafts.open_draft(request.user, year, report_id, "order")
    value = "" if "clear" in request.POST else request.POST.get("order", "").strip()
    try:
        if value and not (value.isascii() and value.isdigit() and int(value) >= 1):
            raise workflow.Refused(_("The volume order is a whole number of at least 1."))
        workflow.set_volume_order(draft, user=request.user, expected=request.POST.get("base", ""),
                                  order=int(value) if value else None)
    except workflow.Refused as refusal:
        fresh = drafts.read(year, report_id)
        return _page(request, "review.j2", _review_context(request, fresh, str(refusal)), status=refusal.status)
    return redirect(f"{_review_url(draft)}?done=order")


# --- comments ---------------------------------------------------------------------------------------------

def _line(value: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise PermissionDenied("no line") from None
    if number < 1:
        raise PermissionDenied("no line")
    return number


@login_required
@require_http_methods(["GET", "POST"])
def comments_view(request, year, report_id):
    """GET: the comments placed in the file's text. POST `text`: placed in that text (the editor's, as typed).
    POST `body`, `first_line`, `last_line`, `base`: a new comment (reviewers)."""
    if request.method == "POST" and "body" in request.POST:
        draft = drafts.open_draft(request.user, year, report_id, "comment")
        body = request.POST.get("body", "").strip()
        if not body:
            return JsonResponse({"error": _("Write the comment first.")}, status=400)
        first, last = _line(request.POST.get("first_line")), _line(request.POST.get("last_line")
                                                                   or request.POST.get("first_line"))
        if last < first:
            first, last = last, first
        comment = workflow.add_comment(draft, user=request.user, first_line=first, last_line=last, body=body,
                                       base=request.POST.get("base", ""))
        return JsonResponse({"id": comment.pk, "comments": workflow.located_comments(draft)})
    draft = drafts.open_draft(request.user, year, report_id, "view")
    text = request.POST.get("text") if request.method == "POST" else None
    return JsonResponse({"comments": workflow.located_comments(draft, text.replace("\r\n", "\n")
                                                                 if text is not None else None)})


@login_required
@require_POST
def resolve_view(request, year, report_id, number):
    draft = drafts.open_draft(request.user, year, report_id, "resolve")
    comment = Comment.objects.filter(pk=number, report=drafts.report_row(draft)).first()
    if comment is None:
        raise Http404("no such comment")
    workflow.resolve_comment(comment, user=request.user)
    return JsonResponse({"resolved": True, "comments": workflow.located_comments(draft)})


# --- timeline and audit log -------------------------------------------------------------------------------

def _event_row(event, labels: dict[str, str]) -> dict:
    return {"id": event.pk, "when": timezone.localtime(event.created), "who": event.actor.username if event.actor
            else "", "kind": event.kind, "what": labels.get(event.kind, event.kind),
            "report": f"{event.report.year}/{event.report.report_id}", "year": event.report.year,
            "report_id": event.report.report_id, "revision": event.revision_id,
            "transition": (f"{event.transition.from_status} → {event.transition.to_status}"
                           if event.transition_id else ""),
            "comment_lines": ("" if not event.comment_id else str(event.comment.first_line)
                              if event.comment.first_line == event.comment.last_line
                              else f"{event.comment.first_line}–{event.comment.last_line}"),
            "detail": event.detail}


def _labels() -> dict[str, str]:
    return {Event.Kind.CREATED: _("created"), Event.Kind.UPLOADED: _("uploaded"), Event.Kind.SAVED: _("saved"),
            Event.Kind.RESTORED: _("restored"), Event.Kind.EXTERNAL: _("changed outside the workspace"),
            Event.Kind.SUBMITTED: _("submitted"), Event.Kind.RETURNED: _("returned"),
            Event.Kind.APPROVED: _("approved"), Event.Kind.COMMENTED: _("commented"),
            Event.Kind.RESOLVED: _("resolved a comment"), Event.Kind.ORDERED: _("changed the volume order"),
            Event.Kind.REFUSED: _("refused")}


def _events(queryset):
    labels = _labels()
    return [_event_row(event, labels) for event in queryset.select_related("actor", "report", "transition", "comment")]


@login_required
@require_GET
def timeline_view(request, year, report_id):
    """Every save, submission, return, approval, comment and refused attempt on one report, oldest first."""
    draft = drafts.open_draft(request.user, year, report_id, "history")
    drafts.latest_revision(draft)
    report = drafts.report_row(draft)
    return _page(request, "timeline.j2", {"draft": draft, "events": _events(report.events.order_by("created", "id"))})


@login_required
@require_GET
def audit_view(request):
    """The audit log of every report (admins): filtered by year, report, person, kind and dates; `?format=csv`
    gives the filtered rows as CSV."""
    permissions.require(request.user, "audit", ())
    chosen = {key: request.GET.get(key, "").strip() for key in ("year", "report", "who", "kind", "since", "until")}
    events = Event.objects.all()
    if chosen["year"].isdigit():
        events = events.filter(report__year=int(chosen["year"]))
    if chosen["report"]:
        events = events.filter(report__report_id=chosen["report"])
    if chosen["who"]:
        events = events.filter(actor__username=chosen["who"])
    if chosen["kind"] in Event.Kind.values:
        events = events.filter(kind=chosen["kind"])
    for key, lookup in (("since", "created__date__gte"), ("until", "created__date__lte")):
        try:
            events = events.filter(**{lookup: dt.date.fromisoformat(chosen[key])}) if chosen[key] else events
        except ValueError:
            chosen[key] = ""
    events = events.order_by("-created", "-id")
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="reportgen-audit.csv"'
        response.write("\ufeff")   # Excel and WPS read UTF-8 CSV by its BOM
        writer = csv.writer(response)
        writer.writerow(["id", "time", "user", "action", "report", "revision", "status", "lines", "detail"])
        for row in _events(events):
            writer.writerow([row["id"], row["when"].isoformat(timespec="seconds"), row["who"], row["kind"],
                             row["report"], row["revision"] or "", row["transition"], row["comment_lines"],
                             row["detail"]])
        return response
    shown = _events(events[:500])
    return _page(request, "audit.j2", {"events": shown, "chosen": chosen, "kinds": list(Event.Kind.values),
                                       "count": events.count()})


def urls() -> list:
    """The desk's URLs, for urls.py's workspace list (after the `report` converter is registered)."""
    return [
        path("desk/", board_view, name="board"),
        path("desk/audit/", audit_view, name="audit"),
        path("r/<int:year>/<report:report_id>/review/", review_view, name="review"),
        path("r/<int:year>/<report:report_id>/review/return", return_view, name="return"),
        path("r/<int:year>/<report:report_id>/review/approve", approve_view, name="approve"),
        path("r/<int:year>/<report:report_id>/review/order", order_view, name="order"),
        path("r/<int:year>/<report:report_id>/comments", comments_view, name="comments"),
        path("r/<int:year>/<report:report_id>/comments/<int:number>/resolve", resolve_view, name="resolve"),
        path("r/<int:year>/<report:report_id>/timeline/", timeline_view, name="timeline"),
    ]
