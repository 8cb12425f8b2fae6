"""One reading of a complaint text, and the features both linear models read from it.

The same function serves training and prediction, so the two can never drift apart, and each
signal (threats, safety, anger lexicon) is computed once per complaint.
"""

from __future__ import annotations

from dataclasses import dataclass

from kesu.text import anger, segment, signals
from kesu.text.normalize import NormalisedText, normalise

CHAR_NGRAMS = (1, 2, 3)
_ANGER_SCORE_CAP = 10  # lexicon scores above this all read as "very high"
_EXCLAMATION_CAP = 5


@dataclass(frozen=True)
class TextReading:
    normalised: NormalisedText
    words: list[str]
    threats: tuple[signals.Evidence, ...]
    safety: signals.Evidence | None
    anger: anger.AngerReading
    category_features: list[str]
    anger_features: list[str]


def read(raw: str, product_line: str | None) -> TextReading:
    normalised = normalise(raw)
    text = normalised.text
    words = segment.words(text)
    threats = tuple(signals.threats(text))
    safety = signals.safety(text)
    reading = anger.read_anger(text, raw=raw, angry_emoji=normalised.angry_emoji)
    base = _category_features(text, words, product_line, threats, safety)
    anger_features = [
        *base,
        *[f"anger:score:{min(int(reading.score), _ANGER_SCORE_CAP)}"] * 3,
        *(f"anger:word:{word}" for word in reading.evidence),
        f"anger:exclamations:{min(text.count('!'), _EXCLAMATION_CAP)}",
    ]
    return TextReading(normalised, words, threats, safety, reading, base, anger_features)


def _category_features(
    text: str,
    words: list[str],
    product_line: str | None,
    threats: tuple[signals.Evidence, ...],
    safety: signals.Evidence | None,
) -> list[str]:
    """Char 1–3-grams, jieba words, the product line and lexicon hits of normalised ``text``.

    Char n-grams carry what segmentation misses (new product names, typos); words carry meaning
    across positions; the product line tells a hotel's "房间" from a phone's; the lexicon flags
    help the rare classes (safety, privacy) that few labelled examples show.
    """
    compact = "".join(char for char in text.lower() if not char.isspace())
    found = [
        f"c:{compact[start : start + size]}"
        for size in CHAR_NGRAMS
        for start in range(len(compact) - size + 1)
    ]
    found.extend(f"w:{word}" for word in words)
    if product_line:
        found.append(f"pl:{product_line}")
    if safety is not None:
        found.append("lex:safety")
    found.extend(f"lex:threat:{evidence.kind}" for evidence in threats)
    return found
