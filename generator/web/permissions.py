"""Who may do what to which draft: the one place that decides (views ask `require`, templates ask nothing).

Roles are groups: counselor, reviewer (publicity staff), admin. A counselor reads and writes only the drafts
whose front matter names them (their registry name), and those drafts' assets; a reviewer reads every draft;
an admin may do everything.

The publicity desk (issue 17): reviewers see the year's board, review submitted reports, comment on their lines,
return and approve them; the counselors named by a report (and reviewers) resolve its comments; the audit log is
the admins'. A reviewer changes only the front matter that is theirs to decide (the status, through return and
approve; the volume order, `volume_order`), never a counselor's text, unless given the Django permission
`workspace.edit_counselor_text` explicitly (in /admin/, per user or group). The README's permissions table is
this module written out."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

COUNSELOR, REVIEWER, ADMIN = "counselor", "reviewer", "admin"
ROLES = (COUNSELOR, REVIEWER, ADMIN)

# action -> roles allowed it on any draft; counselors get the actions in OWN on the drafts naming them.
ANY_DRAFT = {
    "view": {REVIEWER, ADMIN}, "download": {REVIEWER, ADMIN}, "history": {REVIEWER, ADMIN},
    "edit": {ADMIN}, "submit": {ADMIN}, "upload": {ADMIN}, "create": {ADMIN},
    # the desk (issue 17); "board" and "audit" concern no one draft (asked with no counselors)
    "board": {REVIEWER, ADMIN}, "review": {REVIEWER, ADMIN}, "comment": {REVIEWER, ADMIN},
    "resolve": {REVIEWER, ADMIN}, "return": {REVIEWER, ADMIN}, "approve": {REVIEWER, ADMIN}, "audit": {ADMIN},
    # the volume order (`volume_order`): the reviewers' to decide, never a counselor's through the desk (a
    # counselor writing the field in their own text is an "edit" of their text, as any other)
    "order": {REVIEWER, ADMIN},
}
OWN = {"view", "download", "history", "edit", "submit", "upload", "create", "resolve"}
# A reviewer holding this Django permission may also change counselors' text (and insert images into it).
TEXT_PERMISSION = "workspace.edit_counselor_text"
TEXT_ACTIONS = {"edit", "upload"}


def roles(user) -> set[str]:
    if not user.is_authenticated or not user.is_active:
        return set()
    found = {group.name for group in user.groups.all() if group.name in ROLES}
    if user.is_superuser:
        found.add(ADMIN)
    return found


def registry_name(user) -> str | None:
    account = getattr(user, "account", None) if user.is_authenticated else None
    return account.registry_name if account else None


def can(user, action: str, counselors: tuple[str, ...] | list[str]) -> bool:
    """Whether `user` may do `action` to a draft naming `counselors` (for "create": the draft to be created)."""
    held = roles(user)
    if held & ANY_DRAFT.get(action, set()):
        return True
    if action in TEXT_ACTIONS and REVIEWER in held and user.has_perm(TEXT_PERMISSION):
        return True
    name = registry_name(user)
    return COUNSELOR in held and action in OWN and name is not None and name in counselors


def require(user, action: str, counselors) -> None:
    if not can(user, action, counselors):
        raise PermissionDenied(action)


def sees_all(user) -> bool:
    """Whether the report list shows every draft (reviewers, admins) or only the user's own."""
    return bool(roles(user) & {REVIEWER, ADMIN})


# Actions on a whole year rather than one draft: compiling its volume (issue 17) and downloading what a compile
# made (the volume, every report's files, the year's ZIP).
FOR_YEAR = {"compile": {REVIEWER, ADMIN}}


def can_for_year(user, action: str) -> bool:
    return bool(roles(user) & FOR_YEAR.get(action, set()))


def require_for_year(user, action: str) -> None:
    if not can_for_year(user, action):
        raise PermissionDenied(action)
