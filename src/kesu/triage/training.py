"""Training the category model with scikit-learn (``kesu triage train``)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from kesu.text import features, segment
from kesu.text.classify import CATEGORIES, CategoryModel
from kesu.text.normalize import normalise

REGULARISATION_C = 8.0
"""Inverse regularisation strength, chosen by cross-validated macro-F1 (bench/triage_eval.py)."""
MIN_DOCUMENT_FREQUENCY = 2
"""A feature seen in one complaint only is noise, and would make the shipped model larger."""


@dataclass(frozen=True)
class Example:
    text: str
    product_line: str | None
    category: str


def featurise(text: str, product_line: str | None) -> list[str]:
    normalised = normalise(text).text
    return features.category_features(normalised, segment.words(normalised), product_line)


def _identity(document: list[str]) -> list[str]:
    return document


def fit(
    examples: Sequence[Example],
    *,
    c: float = REGULARISATION_C,
    source: str = "",
    min_df: int = MIN_DOCUMENT_FREQUENCY,
) -> CategoryModel:
    """Fit TF-IDF + class-balanced logistic regression; deterministic for the same examples."""
    documents = [featurise(example.text, example.product_line) for example in examples]
    labels = [example.category for example in examples]
    return fit_documents(documents, labels, c=c, source=source, min_df=min_df)


def fit_documents(
    documents: Sequence[list[str]],
    labels: Sequence[str],
    *,
    c: float = REGULARISATION_C,
    source: str = "",
    min_df: int = MIN_DOCUMENT_FREQUENCY,
) -> CategoryModel:
    """``fit`` on documents already turned into features (cross-validation featurises once)."""
    unknown = set(labels) - set(CATEGORIES)
    if unknown:
        raise ValueError(f"unknown categories in training data: {sorted(unknown)}")
    vectorizer = TfidfVectorizer(
        analyzer=_identity, sublinear_tf=True, min_df=min_df, norm="l2", lowercase=False
    )
    matrix = vectorizer.fit_transform(documents)
    classifier = LogisticRegression(C=c, class_weight="balanced", max_iter=3000, random_state=0)
    classifier.fit(matrix, labels)
    vocabulary = [str(name) for name in vectorizer.get_feature_names_out()]
    return CategoryModel(
        classes=[str(name) for name in classifier.classes_],
        vocabulary=vocabulary,
        idf=np.asarray(vectorizer.idf_, dtype=np.float32),
        coef=np.asarray(classifier.coef_, dtype=np.float32),
        intercept=np.asarray(classifier.intercept_, dtype=np.float32),
        meta={
            "version": datetime.now(UTC).strftime("%Y%m%d%H%M%S"),
            "examples": len(labels),
            "per_category": dict(Counter(labels)),
            "features": len(vocabulary),
            "c": c,
            "source": source,
        },
    )


def read_labelled(path: Path) -> list[Example]:
    """JSON lines with at least ``text``, ``category`` and optionally ``product_line``."""
    examples = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row: dict[str, Any] = json.loads(line)
                examples.append(Example(row["text"], row.get("product_line"), row["category"]))
    return examples


def from_rows(rows: Iterable[tuple[str, str | None, str]]) -> list[Example]:
    return [Example(text, product_line, category) for text, product_line, category in rows]
