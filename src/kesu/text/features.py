"""The features the category model reads: one function, used for training and for prediction."""

from __future__ import annotations

from kesu.text import signals

CHAR_NGRAMS = (1, 2, 3)


def category_features(text: str, words: list[str], product_line: str | None) -> list[str]:
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
    if signals.safety(text) is not None:
        found.append("lex:safety")
    found.extend(f"lex:threat:{evidence.kind}" for evidence in signals.threats(text))
    return found
