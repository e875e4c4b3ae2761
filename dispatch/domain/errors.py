"""Domain errors: each carries a stable machine-readable ``code`` the API maps to a problem type.

Why codes and not exception classes at the edge: the console and crew app key their behaviour
on the code (e.g. refresh recommendations on ``unit-not-available``), so it must never change
with a refactor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class DomainError(Exception):
    """A rule of dispatch was broken; ``code`` is stable, ``detail`` is for people."""

    code = "domain-error"
    title = "Request breaks a dispatch rule"

    def __init__(self, detail: str, **params: str) -> None:
        super().__init__(detail)
        self.detail = detail
        #: The values ``detail`` names (a call sign, an incident number, a status), so that the
        #: API can say the same in the reader's language (``dispatch.api.problem_text``).
        self.params = params


class NotFound(DomainError):
    code = "not-found"
    title = "Not found"


class InvalidLocation(DomainError):
    code = "invalid-location"
    title = "Invalid location"


class UnitNotAvailable(DomainError):
    """Two dispatchers raced for one unit, or the unit changed status since it was recommended."""

    code = "unit-not-available"
    title = "Unit not available"


class PhoneCallAlreadyTaken(DomainError):
    """The phone call is already the call of an incident: a second submit of the same call (or a
    second call-taker on one line) must not open a second incident. Link a further caller's own
    phone call instead."""

    code = "phone-call-already-taken"
    title = "Phone call already taken"


class UnitNotCapable(DomainError):
    code = "unit-not-capable"
    title = "Unit lacks the capability this incident needs"


class IncidentNotAssignable(DomainError):
    code = "incident-not-assignable"
    title = "Incident cannot take this assignment"


class IllegalTransition(DomainError):
    code = "illegal-transition"
    title = "Illegal status change"


class UnitHasNoPosition(DomainError):
    code = "unit-has-no-position"
    title = "Unit position unknown"


class OffRoad(DomainError):
    """The point is too far from any road for an ambulance to reach it by the map."""

    code = "off-road"
    title = "Location is not near any road"


class AddressNotFound(DomainError):
    code = "address-not-found"
    title = "Address not found"


class ConcurrentChange(DomainError):
    """Another request changed the same record at the same moment; retrying is safe."""

    code = "concurrent-change"
    title = "Changed by someone else, try again"


class OrderNotCurrent(DomainError):
    code = "order-not-current"
    title = "Not the unit's current order"


class IdempotencyKeyReused(DomainError):
    """Same Idempotency-Key, different request: a client bug that must not create a call."""

    code = "idempotency-key-reused"
    title = "Idempotency-Key already used for a different request"


class CancelRefused(DomainError):
    code = "cancel-refused"
    title = "The incident cannot be cancelled"


class InvalidNote(DomainError):
    code = "invalid-note"
    title = "Invalid note"


class DivertRefused(DomainError):
    code = "divert-refused"
    title = "The unit cannot be diverted or reassigned"


class InvalidTriage(DomainError):
    code = "invalid-triage"
    title = "Triage incomplete"


class DestinationRefused(DomainError):
    code = "destination-refused"
    title = "The hospital cannot be the destination"


class OutsideMap(DomainError):
    """A GPS fix far outside the map: a device fault or a bogus fix, never a real position."""

    code = "outside-map"
    title = "Position outside the map"


@dataclass(frozen=True, slots=True)
class RowError:
    """One bad cell of an imported file: ``row`` as a spreadsheet numbers it (header = row 1)."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}: {self.reason}"


class FileRefused(DomainError):
    """An imported file refused as a whole (all rows or none); ``errors`` names every bad cell,
    so the file is fixed in one go (the API lists them as ``rows``)."""

    code = "file-refused"
    title = "File refused: nothing imported"

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = tuple(errors)
        shown = "; ".join(str(e) for e in self.errors[:20])
        more = f" (and {len(self.errors) - 20} more)" if len(self.errors) > 20 else ""
        super().__init__(f"{len(self.errors)} error(s), nothing imported: {shown}{more}")
