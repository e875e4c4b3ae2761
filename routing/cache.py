"""Map cache directory conventions and the crash-safe swap used to (re)write one."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import MapCacheError, MapImportError

__all__ = ["CACHE_FORMAT", "META_FILE", "read_meta", "replace_directory"]

META_FILE = "meta.json"
#: Bumped whenever the cache layout changes incompatibly; older caches must be re-imported.
CACHE_FORMAT = 1


def replace_directory(target: Path, write: Callable[[Path], None]) -> None:
    """Fill a fresh sibling directory with ``write`` and swap it in place of ``target``.

    If ``write`` fails the old ``target`` is untouched. The swap is two renames, so the
    window without a complete map is a few microseconds. A non-empty ``target`` that is
    not a map cache is refused rather than replaced: a mistyped path must never delete
    someone's files.
    """
    target = Path(target)
    if target.exists() and any(target.iterdir()) and not (target / META_FILE).is_file():
        raise MapImportError(f"{target} exists and is not a map cache; refusing to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    tmp = target.parent / f".{target.name}.tmp-{tag}"
    old = target.parent / f".{target.name}.old-{tag}"
    tmp.mkdir()
    try:
        write(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def read_meta(directory: Path) -> dict[str, Any]:
    """The ``meta.json`` of a cache, checked for the format this code understands."""
    path = Path(directory) / META_FILE
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MapCacheError(
            f"{directory} is not a map cache (cannot read {META_FILE}: {exc})"
        ) from exc
    if not isinstance(meta, dict) or meta.get("format") != CACHE_FORMAT:
        raise MapCacheError(
            f"{directory} was written by an incompatible version; re-import the map"
        )
    return meta
