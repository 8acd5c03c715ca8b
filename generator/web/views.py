"""The workspace's pages and the editor's JSON endpoints. Each view that touches a draft gets it from
`drafts.open_draft` (id resolved inside the year directory, permission required); each POST is CSRF-checked."""

from __future__ import annotations

import base64
import difflib
import hashlib
import re

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

import generator

from . import drafts, images, permissions, preview, workflow
from .i18n import _
from .middleware import LANGUAGE_COOKIE
from .models import Revision


def _page(request, template: str, context: dict, status: int = 200):
    return render(request, f"workspace/{template}", context, status=status)


# --- accounts ---------------------------------------------------------------------------------------------

def _login_key(request, username: str) -> str:
    digest = hashlib.sha256(f"{username}\0{request.META.get('REMOTE_ADDR', '')}".encode()).hexdigest()
    return f"login-failures:{digest}"


def login_view(request):
    error = None
    if request.method == "POST":
        username = request.POST.get("username", "")[:150]
        key = _login_key(request, username)
        failures = cache.get(key, 0)
        if failures >= settings.LOGIN_FAILURES_ALLOWED:
            error = _("Too many failed attempts; try again in 15 minutes.")
            return _page(request, "login.j2", {"error": error, "username": username}, status=429)
        user = authenticate(request, username=username, password=request.POST.get("password", ""))
        if user is None:
            cache.set(key, failures + 1, settings.LOGIN_FAILURE_WINDOW)
            error = _("Wrong name or password.")
            return _page(request, "login.j2", {"error": error, "username": username}, status=401)
        cache.delete(key)
        login(request, user)
        target = request.POST.get("next") or ""
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            target = reverse("workspace:reports")
        return redirect(target)
    return _page(request, "login.j2", {"error": error, "next": request.GET.get("next", "")})


@require_POST
def logout_view(request):
    logout(request)
    return redirect("workspace:login")


@require_POST
def language_view(request):
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = redirect(target)
    response.set_cookie(LANGUAGE_COOKIE, "en" if request.POST.get("language") == "en" else "zh_CN",
                        max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                        secure=settings.SESSION_COOKIE_SECURE)
    return response


# --- the list, new drafts, uploads ------------------------------------------------------------------------

@login_required
@require_GET
def reports_view(request):
    mine = permissions.registry_name(request.user)
    rows = []
    for draft in drafts.all_drafts():
        if draft.text is None or not permissions.can(request.user, "view", draft.counselors):
            continue
        errors, warnings = draft.counts()
        report = drafts.report_row(draft)
        latest = report.revisions.select_related("author").first()
        rows.append({"draft": draft, "title": draft.meta.title or draft.report_id, "status": draft.status,
                     "errors": errors, "warnings": warnings,
                     "changed": latest.created if latest and latest.content_hash == draft.content_hash else None,
                     "changed_by": latest.author if latest and latest.content_hash == draft.content_hash else None,
                     "mtime": draft.path.stat().st_mtime})
    rows.sort(key=lambda row: (-row["draft"].year, row["draft"].report_id))
    return _page(request, "reports.j2", {"rows": rows, "mine": mine,
                                         "all": permissions.sees_all(request.user)})


def _new_form_context(request, values: dict, error: str | None = None) -> dict:
    registry = drafts.registry()
    return {"companies": [entry.name for entry in registry.companies],
            "counselors": [entry.name for entry in registry.counselors], "themes": list(drafts.config().themes),
            "values": values, "error": error, "mine": permissions.registry_name(request.user)}


@login_required
def new_view(request):
    mine = permissions.registry_name(request.user)
    if request.method != "POST":
        import datetime as dt

        return _page(request, "new.j2", _new_form_context(
            request, {"year": dt.date.today().year, "counselors": [mine] if mine else []}))
    values = {key: request.POST.get(key, "").strip() for key in ("year", "report_id", "company", "theme", "title")}
    values["counselors"] = [name for name in request.POST.getlist("counselors") if name]
    permissions.require(request.user, "create", values["counselors"])
    try:
        path = drafts.draft_path(values["year"], values["report_id"])
    except Http404:
        return _page(request, "new.j2", _new_form_context(request, values, _(
            "The year must be four digits and the id only ASCII letters, digits, “-” and “_”.")), status=400)
    try:
        _path, text = generator.new_draft_text(
            drafts.config(), drafts.registry(), report_id=values["report_id"], year=int(values["year"]),
            company=values["company"], counselors=values["counselors"], theme=values["theme"],
            title=values["title"] or None)
        draft = drafts.DraftFile(int(values["year"]), values["report_id"], path, None, None)
        drafts.save(draft, text, user=request.user, expected=None, kind=Revision.Kind.CREATED)
    except generator.DraftChanged:
        return _page(request, "new.j2", _new_form_context(request, values, _(
            "A report with this id already exists in that year.")), status=409)
    except generator.ReportgenError as error:
        return _page(request, "new.j2", _new_form_context(request, values, str(error)), status=400)
    return redirect("workspace:edit", values["year"], values["report_id"])


@login_required
@require_POST
def upload_view(request):
    """A `.md` file becomes a new draft of the year given (its id from the file name unless one is given)."""
    upload = request.FILES.get("file")
    year = request.POST.get("year", "").strip()
    if upload is None:
        return HttpResponseBadRequest(_("Choose a .md file to upload."))
    report_id = request.POST.get("report_id", "").strip() or re.sub(r"\.md$", "", upload.name or "")
    path = drafts.draft_path(year, report_id)
    if upload.size > drafts.config().check.max_draft_bytes:
        return HttpResponseBadRequest(_("The file is larger than a draft may be."))
    try:
        text = upload.read().decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        return HttpResponseBadRequest(_("The file is not UTF-8 text."))
    draft = drafts.DraftFile(int(year), report_id, path, text, None)
    permissions.require(request.user, "create", draft.counselors)
    try:
        drafts.save(draft, text, user=request.user, expected=None, kind=Revision.Kind.UPLOADED)
    except generator.DraftChanged:
        return HttpResponse(_("A report with this id already exists in that year."), status=409)
    return redirect("workspace:edit", year, report_id)


# --- Word import (issue 18) ---------------------------------------------------------------------------------

IMPORT_MAX_BYTES = 20 * 1024 * 1024


def _import_dir(token: str):
    """The state directory's folder of one import in progress (its images until the draft is saved)."""
    if not re.fullmatch(r"[0-9a-f]{32}", token or ""):
        raise Http404("no such import")
    return settings.STATE_DIR / "imports" / token


@login_required
@require_POST
def import_view(request):
    """A .docx on the New report page: converted (the file is read in memory and by pandoc in a temporary
    directory; its images wait in the state directory) and shown with its diagnostics for review; saved as a new
    draft only when the user saves the reviewed text."""
    import json
    import secrets
    import shutil

    from generator import importer

    year, report_id = request.POST.get("year", "").strip(), request.POST.get("report_id", "").strip()
    context = _new_form_context(request, {"year": year, "report_id": report_id, "counselors": []})
    upload = request.FILES.get("docx")
    if upload is not None:                         # step 1: convert and show
        data = upload.read(IMPORT_MAX_BYTES + 1)
        if len(data) > IMPORT_MAX_BYTES:
            context["import_error"] = _("The file is larger than {limit} MB.").format(limit=IMPORT_MAX_BYTES >> 20)
            return _page(request, "new.j2", context, status=400)
        name = re.sub(r"[^\w.\-]+", "_", (upload.name or "upload.docx").rsplit("/", 1)[-1])[-80:]
        try:
            if report_id:
                drafts.draft_path(year, report_id)
            elif not re.fullmatch(r"\d{4}", year):
                raise Http404("no such year")
            with generator.messages_in(language_of(request)):
                converted = importer.convert_docx(data, name=name, config=drafts.config(), year=int(year),
                                                  report_id=report_id or None, registry=drafts.registry())
        except Http404:
            context["import_error"] = _("The year must be four digits and the id only ASCII letters, digits, “-” "
                                        "and “_”.")
            return _page(request, "new.j2", context, status=400)
        except generator.ReportgenError as error:
            context["import_error"] = str(error)
            return _page(request, "new.j2", context, status=400)
        _forget_old_imports()
        token = secrets.token_hex(16)
        folder = _import_dir(token)
        (folder / "assets").mkdir(parents=True)
        for image_name, image in converted.images.items():
            (folder / "assets" / image_name).write_bytes(image)
        (folder / "import.json").write_text(json.dumps({"user": request.user.pk, "images": list(converted.images)}))
        text, path = converted.text, converted.path
        context["values"]["report_id"] = path.stem
    else:                                          # step 2: save the reviewed text as a new draft
        token = request.POST.get("token", "")
        folder = _import_dir(token)
        try:
            state = json.loads((folder / "import.json").read_text())
        except (OSError, ValueError):
            raise Http404("no such import") from None
        if state.get("user") != request.user.pk:
            raise PermissionDenied("import")
        text, path = _text(request), drafts.draft_path(year, report_id)
        draft = drafts.DraftFile(int(year), report_id, path, text, None)
        permissions.require(request.user, "create", draft.counselors)
        try:
            if path.exists():
                raise generator.DraftChanged(path, None)
            importer.write_images(path.parent / "assets",
                                  {image: (folder / "assets" / image).read_bytes() for image in state["images"]})
            drafts.save(draft, text, user=request.user, expected=None, kind=Revision.Kind.UPLOADED)
        except generator.DraftChanged:
            context["import_error"] = _("A report with this id already exists in that year.")
        except generator.ReportgenError as error:
            context["import_error"] = str(error)
        else:
            shutil.rmtree(folder, ignore_errors=True)
            return redirect("workspace:edit", year, report_id)
    staged = {f"assets/{image}" for image in json.loads((folder / "import.json").read_text())["images"]}
    found = [item for item in ([] if upload is None else converted.diagnostics) + drafts.check(text, path)
             if not (item.code == "AST501" and any(image in item.message for image in staged))]
    context["imported"] = {"text": text, "token": token, "year": year, "report_id": path.stem,
                           "diagnostics": sorted(found, key=lambda item: item.sort_key)}
    return _page(request, "new.j2", context, status=200 if "import_error" not in context else 409)


def _forget_old_imports(max_age_seconds: int = 24 * 3600) -> None:
    """Imports converted but never saved keep their pictures a day, then go."""
    import shutil
    import time

    for folder in (settings.STATE_DIR / "imports").glob("*"):
        try:
            if time.time() - folder.stat().st_mtime > max_age_seconds:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass


def language_of(request) -> str:
    from .i18n import current_language

    return current_language()


# --- the editor -------------------------------------------------------------------------------------------

@login_required
@require_GET
def edit_view(request, year, report_id):
    draft = drafts.open_draft(request.user, year, report_id, "view")
    revision = drafts.latest_revision(draft)
    registry = drafts.registry()
    return _page(request, "edit.j2", {
        "draft": draft, "revision": revision, "meta": draft.meta,
        "editable": permissions.can(request.user, "edit", draft.counselors),
        "can_submit": permissions.can(request.user, "submit", draft.counselors),
        "can_resolve": permissions.can(request.user, "resolve", draft.counselors),
        "can_review": permissions.can(request.user, "review", draft.counselors),
        "companies": [entry.name for entry in registry.companies],
        "counselors": [entry.name for entry in registry.counselors], "themes": list(drafts.config().themes),
        "draft_status": drafts.config().front_matter.statuses[0],
        "returned": workflow.last_return(draft),
    })


def _text(request) -> str:
    text = request.POST.get("text")
    if text is None:
        raise PermissionDenied("no text")
    return text.replace("\r\n", "\n")


@login_required
@require_POST
def check_view(request, year, report_id):
    draft = drafts.open_draft(request.user, year, report_id, "view")
    text = _text(request)
    found = drafts.check(text, draft.path)
    here = [item for item in found if item.path == draft.path]
    return JsonResponse({"diagnostics": drafts.diagnostics_json(text, here),
                         "errors": sum(item.severity == generator.Severity.ERROR for item in found),
                         "warnings": sum(item.severity == generator.Severity.WARNING for item in found)})


@login_required
@require_POST
def front_matter_view(request, year, report_id):
    """A picker's value written into the front matter (only that value's characters change)."""
    draft = drafts.open_draft(request.user, year, report_id, "edit")
    key = request.POST.get("key", "")
    registry = drafts.registry()
    if key == "counselors":
        value = request.POST.getlist("value")
        allowed = registry.counselor_names
        if not value or any(name not in allowed for name in value):
            return JsonResponse({"error": _("Choose counselors from the registry.")}, status=400)
    else:
        value = request.POST.get("value", "")
        allowed = {"company": registry.company_names, "theme": set(drafts.config().themes)}.get(key)
        if allowed is None or value not in allowed:
            return JsonResponse({"error": _("Choose a value from the list.")}, status=400)
    try:
        text = generator.set_front_matter_value(_text(request), key, value, path=draft.path, config=drafts.config())
    except generator.ReportgenError as error:
        return JsonResponse({"error": str(error)}, status=400)
    return JsonResponse({"text": text})


def _conflict(draft, base_hash: str, mine: str, error: generator.DraftChanged) -> JsonResponse:
    """The three versions — the one the editor started from, the file's now, the editor's — and the two diffs."""
    report = drafts.report_row(draft)
    base = report.revisions.filter(content_hash=base_hash).first()
    base_text = base.text if base else ""
    theirs = error.current or ""

    def diff(old, new, old_name, new_name):
        return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                            fromfile=old_name, tofile=new_name))
    return JsonResponse({
        "conflict": True, "message": _("The file was changed by someone else since you opened it; nothing was "
                                       "saved. Compare the versions, then reload or copy your text.")
        + " " + workflow.changed_since(report, base_hash),   # e.g. a reviewer approved it meanwhile
        "base": base_text, "theirs": theirs, "mine": mine,
        "theirs_diff": diff(base_text, theirs, _("opened"), _("saved meanwhile")),
        "mine_diff": diff(base_text, mine, _("opened"), _("yours")),
        "current_hash": generator.file_hash(draft.path),   # to save over it once the user has compared
    }, status=409)


def _saved(draft, revision) -> JsonResponse:
    found = drafts.check(revision.text, draft.path)
    return JsonResponse({"saved": True, "hash": revision.content_hash, "revision": revision.pk,
                         "errors": sum(item.severity == generator.Severity.ERROR for item in found)})


@login_required
@require_POST
def save_view(request, year, report_id):
    draft = drafts.open_draft(request.user, year, report_id, "edit")
    text, base = _text(request), request.POST.get("base", "")
    if len(text.encode("utf-8")) > drafts.config().check.max_draft_bytes:
        return JsonResponse({"error": _("The text is longer than a draft may be.")}, status=413)
    try:
        revision = drafts.save(draft, text, user=request.user, expected=base, kind=Revision.Kind.SAVED)
    except generator.DraftChanged as error:
        return _conflict(draft, base, text, error)
    return _saved(draft, revision)


@login_required
@require_POST
def submit_view(request, year, report_id):
    """草稿 → 已提交: only the saved file (at the version the page holds), only without errors."""
    draft = drafts.open_draft(request.user, year, report_id, "submit")
    statuses = drafts.config().front_matter.statuses
    if request.POST.get("base", "") != draft.content_hash:
        return JsonResponse({"error": _("Save your changes before submitting.")}, status=409)
    if draft.status != statuses[0]:
        return JsonResponse({"error": _("Only a draft can be submitted; this report is “{status}”.").format(
            status=draft.status)}, status=400)
    try:   # the transition, its event and the reviewers' e-mail (issue 17)
        done = workflow.change_status(draft, user=request.user, action=workflow.SUBMIT, expected=draft.content_hash)
    except workflow.Refused as refusal:
        return JsonResponse({"error": str(refusal)}, status=refusal.status)
    return _saved(draft, done.revision)


# --- preview and downloads --------------------------------------------------------------------------------

@login_required
@require_POST
def preview_view(request, year, report_id):
    draft = drafts.open_draft(request.user, year, report_id, "view")
    try:
        line = int(request.POST.get("line", "1"))
    except ValueError:
        line = 1
    result = preview.render("preview", _text(request), draft.path, cursor_line=line)
    return JsonResponse({"pages": result["pages"], "page": result["page"], "problems": result["problems"],
                         "image": "data:image/png;base64," + base64.b64encode(result["image"]).decode("ascii")})


@login_required
@require_GET
def download_view(request, year, report_id, kind):
    if kind not in ("pdf", "docx"):
        raise Http404("no such format")
    draft = drafts.open_draft(request.user, year, report_id, "download")
    result = preview.render(kind, draft.text, draft.path)
    content_type = {"pdf": "application/pdf",
                    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}[kind]
    response = HttpResponse(result["data"], content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{draft.year}-{draft.report_id}.{kind}"'
    return response


# --- history ----------------------------------------------------------------------------------------------

@login_required
@require_GET
def history_view(request, year, report_id):
    draft = drafts.open_draft(request.user, year, report_id, "history")
    drafts.latest_revision(draft)
    report = drafts.report_row(draft)
    return _page(request, "history.j2", {
        "draft": draft, "revisions": report.revisions.select_related("author"),
        "transitions": report.transitions.select_related("actor"),
        "editable": permissions.can(request.user, "edit", draft.counselors)})


def _revision(draft, number: int) -> Revision:
    revision = drafts.report_row(draft).revisions.filter(pk=number).first()
    if revision is None:
        raise Http404("no such revision")
    return revision


@login_required
@require_GET
def revision_view(request, year, report_id, number):
    draft = drafts.open_draft(request.user, year, report_id, "history")
    revision = _revision(draft, number)
    previous = revision.parent.text if revision.parent else ""
    diff = list(difflib.unified_diff(previous.splitlines(), revision.text.splitlines(), lineterm="",
                                     fromfile=_("previous"), tofile=_("this revision")))
    return _page(request, "revision.j2", {
        "draft": draft, "revision": revision, "diff": diff,
        "editable": permissions.can(request.user, "edit", draft.counselors)})


@login_required
@require_POST
def restore_view(request, year, report_id, number):
    draft = drafts.open_draft(request.user, year, report_id, "edit")
    revision = _revision(draft, number)
    try:
        drafts.save(draft, revision.text, user=request.user, expected=request.POST.get("base", ""),
                    kind=Revision.Kind.RESTORED)
    except generator.DraftChanged:
        return HttpResponse(_("The file was changed by someone else since you opened it; nothing was saved."),
                            status=409)
    return redirect("workspace:edit", year, report_id)


# --- images -----------------------------------------------------------------------------------------------

@login_required
@require_POST
def asset_upload_view(request, year, report_id):
    draft = drafts.open_draft(request.user, year, report_id, "upload")
    upload = request.FILES.get("image")
    if upload is None:
        return JsonResponse({"error": _("Choose an image to upload.")}, status=400)
    try:
        name = images.store(draft, upload)
    except images.Refused as refusal:
        return JsonResponse({"error": str(refusal)}, status=400)
    return JsonResponse({"name": name, "markdown": f"![](assets/{name})"})


@login_required
@require_GET
def asset_view(request, year, report_id, name):
    draft = drafts.open_draft(request.user, year, report_id, "view")
    path = images.asset_path(draft, name)
    if f"assets/{name}" not in draft.text or not path.is_file():   # only the images this draft shows
        raise Http404("no such image")
    return FileResponse(path.open("rb"), content_type=images.content_type(path))


def set_password_view(request, uid, token):
    """The one-time link `reportgen users` prints: choose a password (the link works until it is used)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.forms import SetPasswordForm
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.http import urlsafe_base64_decode

    try:
        user = get_user_model().objects.get(pk=int(urlsafe_base64_decode(uid).decode()))
    except (ValueError, TypeError, OverflowError, get_user_model().DoesNotExist):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        return _page(request, "set_password.j2", {"invalid": True}, status=400)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("workspace:login")
    errors = [str(message) for messages in form.errors.values() for message in messages]
    return _page(request, "set_password.j2", {"invalid": False, "errors": errors, "name": user.username},
                 status=400 if errors else 200)
