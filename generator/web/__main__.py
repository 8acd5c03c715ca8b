"""`python -m generator.web COMMAND`: Django's manage.py for the workspace (e.g. `check --deploy`,
`createsuperuser`). DJANGO_SETTINGS_MODULE defaults to the local settings."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "generator.web.settings.local")
    from django.core.management import execute_from_command_line

    execute_from_command_line([sys.argv[0], *sys.argv[1:]])


if __name__ == "__main__":
    main()
