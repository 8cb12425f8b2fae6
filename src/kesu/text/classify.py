"""Linear text models over TF-IDF-weighted features, stored as NumPy arrays: the category
classifier and the anger-level model are both one.

Training lives in ``kesu.triage.training`` (scikit-learn); prediction here needs only NumPy, so
triage of one complaint costs a dictionary lookup per feature and one small matrix product.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

CATEGORIES = (
    "product_quality",
    "service_attitude",
    "logistics",
    "billing_refund",
    "misinformation",
    "communication",
    "safety",
    "privacy",
    "other",
)
CATEGORY_LABELS = {
    "product_quality": ("产品质量", "Product quality"),
    "service_attitude": ("服务态度", "Service attitude"),
    "logistics": ("物流/运输", "Logistics"),
    "billing_refund": ("价格/收费/退款", "Billing & refund"),
    "misinformation": ("虚假宣传/承诺不符", "Misinformation"),
    "communication": ("沟通不畅", "Communication"),
    "safety": ("安全", "Safety"),
    "privacy": ("隐私", "Privacy"),
    "other": ("其他", "Other"),
}
CATEGORY_MODEL = "category_model.npz"
ANGER_MODEL = "anger_model.npz"


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    """Probability of the chosen label (0–1)."""
    drivers: tuple[str, ...]
    """The words and character sequences that pushed most towards the label."""
    scores: dict[str, float]


class LinearModel:
    def __init__(
        self,
        *,
        classes: list[str],
        vocabulary: list[str],
        idf: npt.NDArray[np.float32],
        coef: npt.NDArray[np.float32],
        intercept: npt.NDArray[np.float32],
        meta: dict[str, Any],
    ) -> None:
        self.classes = classes
        self.index = {feature: position for position, feature in enumerate(vocabulary)}
        self.vocabulary = vocabulary
        self.idf = idf
        self.coef = coef
        self.intercept = intercept
        self.meta = meta

    @property
    def fallback(self) -> str:
        """The label for a text with no known feature: ``other`` for categories, else the first."""
        return "other" if "other" in self.classes else self.classes[0]

    @property
    def version(self) -> str:
        return str(self.meta.get("version", "unknown"))

    def _weights(
        self, positions: npt.NDArray[np.int64], counts: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float32]:
        """Sublinear TF × IDF, L2-normalised: exactly scikit-learn's TfidfVectorizer at training."""
        weights = ((1.0 + np.log(counts)) * self.idf[positions]).astype(np.float32)
        return weights / (float(np.linalg.norm(weights)) or 1.0)

    def predict(
        self, features: list[str], *, top_drivers: int = 5, with_scores: bool = True
    ) -> Prediction:
        """The most likely label; ``top_drivers`` readable features behind it and the probability
        of every label only when asked for (triage of one complaint runs this twice)."""
        counted = Counter(features)
        # Lookups through map() stay in C: this is the hot loop of triage.
        found = np.fromiter(
            map(self.index.get, counted, repeat(-1)), dtype=np.int64, count=len(counted)
        )
        known = found >= 0
        positions = found[known]
        if positions.size == 0:
            return Prediction(self.fallback, 0.0, (), dict.fromkeys(self.classes, 0.0))
        counts = np.fromiter(counted.values(), dtype=np.float32, count=len(counted))[known]
        weights = self._weights(positions, counts)
        block = self.coef[:, positions]
        contributions = block * weights if top_drivers else None
        logits = (
            contributions.sum(axis=1) if contributions is not None else block @ weights
        ) + self.intercept
        best = int(logits.argmax())
        probabilities = np.exp(logits - logits[best])
        probabilities /= probabilities.sum()
        drivers: list[str] = []
        if contributions is not None:
            for i in np.argsort(-contributions[best]):
                if contributions[best, i] <= 0 or len(drivers) == top_drivers:
                    break
                readable = _readable(self.vocabulary[int(positions[i])])
                if readable is not None and readable not in drivers:
                    drivers.append(readable)
        scores = (
            {name: round(float(p), 4) for name, p in zip(self.classes, probabilities, strict=True)}
            if with_scores
            else {}
        )
        return Prediction(
            label=self.classes[best],
            confidence=round(float(probabilities[best]), 4),
            drivers=tuple(drivers),
            scores=scores,
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez_compressed(
                handle,
                classes=np.array(self.classes),
                vocabulary=np.array(self.vocabulary),
                idf=self.idf.astype(np.float32),
                coef=self.coef.astype(np.float32),
                intercept=self.intercept.astype(np.float32),
                meta=np.array(json.dumps(self.meta, ensure_ascii=False)),
            )


def _readable(feature: str) -> str | None:
    """A feature as a person can read it; None for character runs that mean nothing alone."""
    kind, _, value = feature.partition(":")
    if kind in {"lex", "pl"}:
        return f"[{value}]"
    if len(value) < 2 or value.isdigit() or (kind == "c" and not value.isalnum()):
        return None
    return value


@cache
def load_model(path: Path | None = None, *, packaged: str = CATEGORY_MODEL) -> LinearModel:
    """The model at ``path``, or the one shipped with kesu under the name ``packaged`` (loaded
    once per process and path; a retrained model is picked up by a restart)."""
    if path is None:
        with resources.as_file(resources.files("kesu.text") / "resources" / packaged) as shipped:
            return _load(shipped)
    return _load(path)


def _load(path: Path) -> LinearModel:
    with np.load(path, allow_pickle=False) as data:
        return LinearModel(
            classes=[str(name) for name in data["classes"]],
            vocabulary=[str(feature) for feature in data["vocabulary"]],
            idf=data["idf"],
            coef=data["coef"],
            intercept=data["intercept"],
            meta=json.loads(str(data["meta"])),
        )
