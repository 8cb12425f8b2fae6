"""Training the text models with scikit-learn (``kesu triage train``).

Both models are TF-IDF (sublinear, L2) + logistic regression over the features of
``kesu.text.features.read``: the category model with balanced class weights (every category
counts the same in macro-F1), the anger model without (it should match how often each level occurs).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from kesu.text import features
from kesu.text.classify import CATEGORIES, LinearModel

REGULARISATION_C = 8.0
"""Inverse regularisation strength of the category model, chosen by cross-validated macro-F1
(bench/triage_eval.py --grid)."""
ANGER_REGULARISATION_C = 4.0
"""Same for the anger model, chosen by cross-validated exact agreement with the labels."""
MIN_DOCUMENT_FREQUENCY = 2
"""A feature seen in one complaint only is noise, and would make the shipped model larger."""
ANGER_LEVELS = ("0", "1", "2", "3")
MIN_ANGER_EXAMPLES = 100
"""Below this many anger-labelled complaints the shipped anger model is kept."""


@dataclass(frozen=True)
class Example:
    text: str
    product_line: str | None
    category: str
    anger: int | None = None


def featurise(text: str, product_line: str | None) -> list[str]:
    return features.read(text, product_line).category_features


def featurise_anger(text: str, product_line: str | None) -> list[str]:
    return features.read(text, product_line).anger_features


def _identity(document: list[str]) -> list[str]:
    return document


def fit(
    examples: Sequence[Example],
    *,
    c: float = REGULARISATION_C,
    source: str = "",
    min_df: int = MIN_DOCUMENT_FREQUENCY,
) -> LinearModel:
    """Fit the category model; deterministic for the same examples."""
    documents = [featurise(example.text, example.product_line) for example in examples]
    return fit_documents(
        documents, [example.category for example in examples], c=c, source=source, min_df=min_df
    )


def fit_anger(
    examples: Sequence[Example], *, c: float = ANGER_REGULARISATION_C, source: str = ""
) -> LinearModel:
    """Fit the anger-level model on the examples that carry an anger label."""
    labelled = [example for example in examples if example.anger is not None]
    documents = [featurise_anger(example.text, example.product_line) for example in labelled]
    labels = [str(example.anger) for example in labelled]
    return fit_documents(
        documents, labels, c=c, source=source, allowed=ANGER_LEVELS, balanced=False
    )


def fit_documents(
    documents: Sequence[list[str]],
    labels: Sequence[str],
    *,
    c: float = REGULARISATION_C,
    source: str = "",
    min_df: int = MIN_DOCUMENT_FREQUENCY,
    allowed: Collection[str] = CATEGORIES,
    balanced: bool = True,
) -> LinearModel:
    """Fit on documents already turned into features (cross-validation featurises once)."""
    unknown = set(labels) - set(allowed)
    if unknown:
        raise ValueError(f"unknown categories in training data: {sorted(unknown)}")
    vectorizer = TfidfVectorizer(
        analyzer=_identity, sublinear_tf=True, min_df=min_df, norm="l2", lowercase=False
    )
    matrix = vectorizer.fit_transform(documents)
    classifier = LogisticRegression(
        C=c, class_weight="balanced" if balanced else None, max_iter=3000, random_state=0
    )
    classifier.fit(matrix, labels)
    vocabulary = [str(name) for name in vectorizer.get_feature_names_out()]
    coef = np.asarray(classifier.coef_, dtype=np.float32)
    intercept = np.asarray(classifier.intercept_, dtype=np.float32)
    if len(classifier.classes_) == 2:
        # Binary logistic regression keeps one row, for the second class; softmax over the
        # logits (0, w·x + b) gives the same probabilities.
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([np.zeros_like(intercept), intercept])
    return LinearModel(
        classes=[str(name) for name in classifier.classes_],
        vocabulary=vocabulary,
        idf=np.asarray(vectorizer.idf_, dtype=np.float32),
        coef=coef,
        intercept=intercept,
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
    """JSON lines with ``text``, ``category``, and optionally ``product_line`` and ``anger``."""
    examples = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row: dict[str, Any] = json.loads(line)
                examples.append(
                    Example(row["text"], row.get("product_line"), row["category"], row.get("anger"))
                )
    return examples


def from_rows(rows: Iterable[tuple[str, str | None, str]]) -> list[Example]:
    return [Example(text, product_line, category) for text, product_line, category in rows]
