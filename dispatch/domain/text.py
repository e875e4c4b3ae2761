"""Bilingual text: every word a call-taker or crew reads exists in English and Chinese.

Why a value type and not a dict: a missing translation then fails where the data is loaded,
not in front of a dispatcher at three in the morning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Text:
    """One phrase in English (``en``) and Simplified Chinese (``zh``)."""

    en: str
    zh: str

    def get(self, lang: str) -> str:
        """The phrase for a BCP 47 tag: any ``zh*`` tag gets Chinese, everything else English."""
        return self.zh if lang.lower().startswith("zh") else self.en

    @classmethod
    def from_mapping(cls, data: object, where: str) -> Text:
        """Read ``{"en": ..., "zh": ...}``; both must be non-empty strings."""
        if not isinstance(data, Mapping):
            raise ValueError(f"{where}: expected {{'en': ..., 'zh': ...}}")
        en, zh = data.get("en"), data.get("zh")
        if not (isinstance(en, str) and en.strip() and isinstance(zh, str) and zh.strip()):
            raise ValueError(f"{where}: both 'en' and 'zh' text are required")
        return cls(en=en, zh=zh)
