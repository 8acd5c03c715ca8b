"""`reportgen users import|add`: accounts for the registry's counselors, and reviewers and admins by name.

New accounts get no usable password: a one-time link (Django's password-reset token, valid for
PASSWORD_RESET_TIMEOUT) lets each person set their own. `--password` sets a known one instead (demos)."""

from __future__ import annotations

from dataclasses import dataclass

from .permissions import ADMIN, COUNSELOR, REVIEWER, ROLES


@dataclass(frozen=True)
class CreatedAccount:
    username: str
    role: str
    created: bool
    link: str | None


def ensure_groups() -> dict:
    from django.contrib.auth.models import Group

    return {role: Group.objects.get_or_create(name=role)[0] for role in ROLES}


def _link(user, base_url: str) -> str:
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    path = reverse("workspace:set_password", args=[urlsafe_base64_encode(force_bytes(user.pk)),
                                                   default_token_generator.make_token(user)])
    return base_url.rstrip("/") + path


def add_user(username: str, *, role: str, registry_name: str | None = None, password: str | None = None,
             base_url: str = "http://127.0.0.1:8000") -> CreatedAccount:
    from django.contrib.auth import get_user_model

    from .models import Account

    groups = ensure_groups()
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username)
    if created:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
    elif password:
        user.set_password(password)
    user.is_staff = role == ADMIN
    user.is_superuser = role == ADMIN
    user.save()
    user.groups.add(groups[role])
    if registry_name is not None:
        Account.objects.update_or_create(user=user, defaults={"registry_name": registry_name})
    else:
        Account.objects.get_or_create(user=user)
    link = None if password or user.has_usable_password() else _link(user, base_url)
    return CreatedAccount(username, role, created, link)


def import_counselors(registry, **options) -> list[CreatedAccount]:
    """One counselor account per registry counselor (user name = the registry name); existing ones kept."""
    return [add_user(entry.name, role=COUNSELOR, registry_name=entry.name, **options)
            for entry in registry.counselors]


__all__ = ["ADMIN", "COUNSELOR", "REVIEWER", "add_user", "import_counselors", "CreatedAccount"]
