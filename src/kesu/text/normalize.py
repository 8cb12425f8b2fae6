"""Normalisation of complaint text: Traditional → Simplified, full-width → half-width, noise out.

Pure and deterministic. The original text is always kept by the caller; this is the form every
other function in ``kesu.text`` reads.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import opencc

MAX_ANALYSED_CHARS = 5000
"""Longer texts are analysed on their first 5,000 characters (a long letter's gist is up front)."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff]")
_SPACES = re.compile(r"\s+")
# Pictographs, dingbats, variation selectors and skin tones: counted (anger emoji carry signal)
# and removed from the text the classifiers read.
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\ufe0e\U0001f3fb-\U0001f3ff\u200d]"
)
ANGRY_EMOJI = frozenset("😡😠🤬💢👊🖕😤💩")


@dataclass(frozen=True)
class NormalisedText:
    text: str
    """Simplified, half-width, single-spaced, without emoji or control characters."""
    converted_traditional: bool
    truncated: bool
    angry_emoji: int
    emoji: int


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalise(raw: str, *, max_chars: int = MAX_ANALYSED_CHARS) -> NormalisedText:
    """Normalise ``raw`` for analysis; never raises on any str input."""
    text = raw[: max_chars * 2]
    emoji = _EMOJI.findall(text)
    angry = sum(1 for char in emoji if char in ANGRY_EMOJI)
    text = _EMOJI.sub(" ", text)
    # NFKC folds full-width Latin, digits and punctuation (ＡＢＣ１２３！) to their ASCII forms.
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    simplified = _converter().convert(text)
    truncated = len(simplified) > max_chars
    simplified = simplified[:max_chars]
    return NormalisedText(
        text=simplified,
        converted_traditional=simplified != text[:max_chars],
        truncated=truncated,
        angry_emoji=angry,
        emoji=sum(1 for char in emoji if char not in "\ufe0f\ufe0e\u200d"),
    )


_HAN = re.compile(r"[\u4e00-\u9fff]")
_WORDLIKE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


def han_ratio(text: str) -> float:
    """Share of Chinese characters among letters and digits (0 for text without any)."""
    wordlike = _WORDLIKE.findall(text)
    return len(_HAN.findall(text)) / len(wordlike) if wordlike else 0.0


def has_content(text: str) -> bool:
    """False for text made only of punctuation, symbols or spaces."""
    return _WORDLIKE.search(text) is not None
