"""The bounds of what may enter the system from outside: ids, sequence numbers, times, text.

Why one module: REST bodies and queries (``dispatch.api.schemas.types``) and socket messages
(``dispatch.hub``) must refuse the same values, and a value past these bounds must be refused
where it enters, as a 4xx, instead of reaching PostgreSQL and failing there as a 500: an id past
the range of an ``integer`` column, a NUL that PostgreSQL cannot store in ``text``, a year the
driver cannot convert.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

#: The largest id any client may name. Units, stations and hospitals are PostgreSQL ``integer``
#: columns; incidents and orders are ``bigint`` but numbered from 1 by a sequence. One bound for
#: every id keeps the rule a client must know to one number, and two billion incidents is beyond
#: the life of any dispatch centre.
MAX_ID = 2**31 - 1

#: The largest client sequence number (``bigint``): a crew device counts its updates from 0.
MAX_SEQ = 2**63 - 1

#: Times a client may send (GPS fixes, review filters) lie in ``[EARLIEST, LATEST)``: wide enough
#: for any record and any device clock, narrow enough that converting one never overflows.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

#: C0 control characters other than tab and newline: no person types them into a complaint or
#: an address, PostgreSQL refuses NUL in text, and the rest corrupt logs, CSV and terminals.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f]")
#: The same set as a JSON Schema (ECMA 262) pattern, published in ``/openapi.json``.
PLAIN_TEXT_PATTERN = r"^[^\x00-\x08\x0B-\x1F]*$"


def control_character(text: str) -> str | None:
    """A description of the first forbidden control character in ``text``, or None if clean."""
    found = CONTROL_CHARACTERS.search(text)
    if found is None:
        return None
    return f"control character U+{ord(found.group()):04X} at position {found.start()}"


def time_out_of_range(at: datetime) -> str | None:
    """Why ``at`` (timezone-aware) is refused, or None when it lies within the accepted years."""
    if EARLIEST <= at < LATEST:
        return None
    return f"{at.isoformat()} is outside {EARLIEST.year}..{LATEST.year - 1}"
