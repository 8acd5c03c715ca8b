"""E-mail about transitions, through Django's e-mail framework: the counselors named by a report hear of its
return and its approval, the reviewers of its submission. Messages are in Simplified Chinese (the programme's
language); an account without an address (its own, or the registry's `email:` for a counselor) gets none.

The backend is the settings' (`EMAIL_BACKEND`): files under `.reportgen/mail/` by default, SMTP when
`REPORTGEN_EMAIL_HOST` is set (README, "E-mail"), locmem in tests. A failure to send is logged, never raised:
the transition has been made and recorded whatever the mail server does."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation

import generator

from . import drafts
from .i18n import _
from .permissions import REVIEWER

log = logging.getLogger(__name__)


def counselor_addresses(counselors) -> list[str]:
    """The e-mail addresses of the accounts of these registry names (or, failing that, the registry's)."""
    addresses = []
    users = {user.account.registry_name: user for user in
             get_user_model().objects.filter(account__registry_name__in=list(counselors), is_active=True)
             .select_related("account")}
    registry = drafts.registry()
    for name in counselors:
        user = users.get(name)
        entry = registry.counselor(name)
        address = (user.email if user else "") or (entry.get("email") if entry else "")
        if address:
            addresses.append(address)
    return addresses


def reviewer_addresses() -> list[str]:
    return sorted({user.email for user in get_user_model().objects.filter(
        groups__name=REVIEWER, is_active=True).exclude(email="")} - {""})


def transition_made(transition, draft) -> None:
    """Send the mail a transition calls for (called once its transaction has committed)."""
    statuses = drafts.config().front_matter.statuses
    with translation.override("zh-hans"), generator.messages_in("zh_CN"):
        title = draft.meta.title or draft.report_id
        link = settings.REPORTGEN_BASE_URL.rstrip("/") + reverse("workspace:edit", args=[draft.year,
                                                                                          draft.report_id])
        who = transition.actor.username if transition.actor else ""
        if transition.to_status == statuses[1]:
            recipients = reviewer_addresses()
            subject = _("Submitted for review: {id} {title}").format(id=draft.report_id, title=title)
            body = _("{who} submitted {year}/{id} “{title}” for review.\n\nReview it at {link}").format(
                who=who, year=draft.year, id=draft.report_id, title=title,
                link=settings.REPORTGEN_BASE_URL.rstrip("/") + reverse("workspace:review", args=[
                    draft.year, draft.report_id]))
        elif transition.to_status == statuses[0]:
            recipients = counselor_addresses(draft.counselors)
            subject = _("Returned for changes: {id} {title}").format(id=draft.report_id, title=title)
            body = _("{who} returned {year}/{id} “{title}” to you for changes:\n\n{comment}\n\nThe comments are "
                     "shown at their lines in the editor: {link}").format(
                who=who, year=draft.year, id=draft.report_id, title=title, comment=transition.comment, link=link)
        else:
            recipients = counselor_addresses(draft.counselors)
            subject = _("Approved: {id} {title}").format(id=draft.report_id, title=title)
            body = _("{who} approved {year}/{id} “{title}”; it will go into the annual volume.\n\n{link}").format(
                who=who, year=draft.year, id=draft.report_id, title=title, link=link)
    if not recipients:
        return
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception:   # noqa: BLE001 - the transition stands; the mail server's trouble is logged
        log.exception("could not send the mail about %s/%s", draft.year, draft.report_id)

