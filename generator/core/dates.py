"""Dates as drafts write them: `YYYY-MM-DD` (a one-digit month or day is read too), and only dates that exist.
The one reading of a date, for report front matter and for a volume's `_volume.md` alike."""

from __future__ import annotations

import datetime as dt
import re

DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


class DateError(ValueError):
    """Not a date: `nonexistent` is true for a well-written date that does not exist (2022-02-30)."""

    def __init__(self, text: str, *, nonexistent: bool):
        super().__init__(text)
        self.nonexistent = nonexistent


def parse_date(text: str) -> dt.date:
    """The date `text` names; DateError if it is not written YYYY-MM-DD or does not exist."""
    match = DATE.match(text.strip())
    if not match:
        raise DateError(text, nonexistent=False)
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise DateError(text, nonexistent=True) from None
