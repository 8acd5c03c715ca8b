"""Where a comment's lines are in a later text: comments are anchored to lines of the revision they were made
on, and follow those lines as the text around them changes (as GitHub's review comments and Overleaf's
comments do). Pure functions over text; the views store what `anchor` gives and call `locate` when showing.

The search, in order: the lines are still where they were; the revision's lines map through the diff (difflib)
to unchanged lines of the new text; the anchored text occurs elsewhere verbatim (the occurrence nearest the old
place, ties broken by the context lines around it); a similar run of lines (difflib ratio at least
`SIMILAR_ENOUGH`) is there. Otherwise the comment is *outdated*: shown at its old line number (clamped), marked
so, as GitHub shows comments on lines that no longer exist."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

CONTEXT_LINES = 2
SIMILAR_ENOUGH = 0.6
DISTANCE_PENALTY = 0.01   # per line away from the old place, against the similarity ratio (0..1)


@dataclass(frozen=True)
class Anchor:
    first_line: int          # 1-based, inclusive
    last_line: int
    text: str                # the lines first..last, joined by "\n"
    before: str              # up to CONTEXT_LINES lines before them
    after: str               # up to CONTEXT_LINES lines after them


@dataclass(frozen=True)
class Location:
    first_line: int
    last_line: int
    state: str               # "same" (where it was), "moved" (the same lines elsewhere), "changed" (similar
                             # lines), "outdated" (not found: shown at the old place)


def anchor(text: str, first_line: int, last_line: int) -> Anchor:
    """The anchor of lines `first_line`..`last_line` of `text` (clamped to the text; ValueError if reversed)."""
    lines = text.split("\n")
    if first_line > last_line:
        raise ValueError("first_line after last_line")
    first = min(max(first_line, 1), len(lines))
    last = min(max(last_line, first), len(lines))
    return Anchor(first, last, "\n".join(lines[first - 1:last]),
                  "\n".join(lines[max(first - 1 - CONTEXT_LINES, 0):first - 1]),
                  "\n".join(lines[last:last + CONTEXT_LINES]))


def locate(old_text: str, found: Anchor, new_text: str) -> Location:
    """Where the lines `found` names in `old_text` (the revision commented on) are in `new_text`."""
    new_lines = new_text.split("\n")
    count = found.last_line - found.first_line + 1
    wanted = found.text.split("\n")
    if new_lines[found.first_line - 1:found.last_line] == wanted:
        return Location(found.first_line, found.last_line, "same")

    mapped = _through_diff(old_text.split("\n"), new_lines, found.first_line, found.last_line)
    if mapped is not None:
        return Location(mapped, mapped + count - 1, "moved")

    starts = [index + 1 for index in range(len(new_lines) - count + 1) if new_lines[index:index + count] == wanted]
    if starts:
        best = min(starts, key=lambda start: (-_context_score(new_lines, start, count, found),
                                              abs(start - found.first_line)))
        return Location(best, best + count - 1, "moved")

    # similar lines: the most similar, less a little for each line away from where the diff puts the old place
    # (in a text of similar lines, the edited line near its old place beats a look-alike far away)
    expected = _expected_line(old_text.split("\n"), new_lines, found.first_line)
    best_start, best_score = None, 0.0
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(found.text)
    for index in range(max(len(new_lines) - count + 1, 1)):
        matcher.set_seq1("\n".join(new_lines[index:index + count]))
        if matcher.real_quick_ratio() < SIMILAR_ENOUGH or matcher.quick_ratio() < SIMILAR_ENOUGH:
            continue
        ratio = matcher.ratio()
        score = ratio - DISTANCE_PENALTY * abs(index + 1 - expected)
        if ratio >= SIMILAR_ENOUGH and (best_start is None or score > best_score):
            best_start, best_score = index + 1, score
    if best_start is not None:
        return Location(best_start, min(best_start + count - 1, len(new_lines)), "changed")

    first = min(found.first_line, len(new_lines))
    return Location(first, min(first + count - 1, len(new_lines)), "outdated")


def _through_diff(old_lines: list[str], new_lines: list[str], first: int, last: int) -> int | None:
    """The new line number of old line `first`, if lines first..last all lie in one unchanged block."""
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, old_start, old_end, new_start, _new_end in matcher.get_opcodes():
        if tag == "equal" and old_start <= first - 1 and last <= old_end:
            return new_start + (first - 1 - old_start) + 1
    return None


def _expected_line(old_lines: list[str], new_lines: list[str], first: int) -> int:
    """Where old line `first` would be in the new text by the diff (inside a changed block: at its offset)."""
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for _tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if old_start <= first - 1 < old_end:
            return min(new_start + (first - 1 - old_start), max(new_end - 1, new_start)) + 1
    return min(first, len(new_lines))


def _context_score(lines: list[str], start: int, count: int, found: Anchor) -> int:
    """How many of the anchor's context lines stand next to the lines at `start`, nearest first."""
    score = 0
    before = found.before.split("\n") if found.before else []
    for offset, line in enumerate(reversed(before), 1):
        if start - 1 - offset < 0 or lines[start - 1 - offset] != line:
            break
        score += 1
    after = found.after.split("\n") if found.after else []
    for offset, line in enumerate(after):
        index = start - 1 + count + offset
        if index >= len(lines) or lines[index] != line:
            break
        score += 1
    return score
