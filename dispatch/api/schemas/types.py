"""Field types for everything a client sends: ids, counts, coordinates, times and text.

Why types and not checks in routes: a bound written once on the type is applied to every body
and query that uses it and published in ``/openapi.json`` (``maximum``, ``pattern``), so a
generated client and a fuzzer know it too. The bounds themselves are ``dispatch.domain.limits``,
shared with the socket sessions. Numbers in bodies are strict: JSON ``true`` is not priority 1
and the string ``"24.9"`` is not a longitude.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints
from pydantic_core import PydanticCustomError

from dispatch.domain.limits import MAX_ID, MAX_SEQ, PLAIN_TEXT_PATTERN, time_out_of_range

#: An id in a request body: a JSON integer from 1 to 2**31 - 1 (out of range: 422).
Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]

#: An id in the path. Out of range it names nothing, so it answers 404 like any unused id
#: (``dispatch.api.problems``): a client needs no second rule, and the storage type stays private.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]

#: A crew device's update counter (``client_seq``): a JSON integer from 0 to 2**63 - 1.
Seq = Annotated[int, Field(strict=True, ge=0, le=MAX_SEQ)]

#: A count in a body (free beds): a JSON integer, never a boolean or a string.
Count = Annotated[int, Field(strict=True, ge=0)]

#: A coordinate: a finite JSON number. Its range is checked by ``Location`` (``invalid-location``).
Coordinate = Annotated[float, Field(strict=True, allow_inf_nan=False)]
LonLat = tuple[Coordinate, Coordinate]

#: Text a person typed: any character but the C0 controls other than tab and newline (NUL
#: included, which PostgreSQL refuses in ``text``). Lengths are set per field with ``Field``.
#: Refused with a ``validation-error`` naming the field (see ``dispatch.api.problems``).
PlainText = Annotated[str, StringConstraints(pattern=PLAIN_TEXT_PATTERN)]


def _in_range(at: datetime) -> datetime:
    why = time_out_of_range(at)
    if why is not None:
        raise PydanticCustomError("time_out_of_range", "{why}", {"why": why})
    return at


#: A moment with its UTC offset, from 2000 to 2099 (``dispatch.domain.limits``).
Instant = Annotated[AwareDatetime, AfterValidator(_in_range)]
