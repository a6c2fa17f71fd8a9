"""Small, strict parsers for values that come from query strings and forms."""

from __future__ import annotations

MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """An id as an int, or None. Only ASCII digits: "²".isdigit() is true, but int("²") fails."""
    text = str(value).strip()
    if not text or not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def parse_ids(values) -> list[int]:
    return [number for value in values if (number := parse_id(value)) is not None]
