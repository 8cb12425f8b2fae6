"""Near-duplicate texts: Jaccard similarity of character bigrams on normalised text."""

from __future__ import annotations


def bigrams(text: str) -> frozenset[str]:
    compact = "".join(char for char in text.lower() if char.isalnum())
    return frozenset(compact[i : i + 2] for i in range(len(compact) - 1))


def jaccard(left: frozenset[str], right: frozenset[str]) -> float:
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)
