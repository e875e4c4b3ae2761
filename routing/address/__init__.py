"""Address conventions as data plus code: how people write addresses in one locale, and
how the geocoder reads and writes them.

- :mod:`.vocabulary` loads the per-convention word lists (``data/*.json``);
- :mod:`.english` folds US/English abbreviations (W, Rd, Blvd ...) and reads unit,
  ZIP and state parts;
- :mod:`.chinese` folds Traditional to Simplified and reads administrative prefixes,
  lanes (巷/弄), sections (段) and units (栋/室);
- :mod:`.keys` is the one search key both the index and the queries go through;
- :mod:`.query` turns a typed query into the readings the geocoder looks up;
- :mod:`.labels` writes labels in the locale's own order.
"""

from __future__ import annotations

from .keys import search_key
from .labels import address_label, crossing_label, near_label, street_place_label
from .query import AddressQuery, Reading, read_query

__all__ = [
    "AddressQuery",
    "Reading",
    "address_label",
    "crossing_label",
    "near_label",
    "read_query",
    "search_key",
    "street_place_label",
]
