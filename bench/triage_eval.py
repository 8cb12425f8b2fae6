"""Triage quality and speed on the labelled development complaints.

    python bench/triage_eval.py [--data data/triage/dev.jsonl] [--folds 5] [--grid]

Category: macro-F1 (mean over stratified folds), per-class precision/recall and a confusion matrix
(predictions pooled over the folds) for kesu's model and two baselines: keyword rules, and TF-IDF
character 1–3-grams + logistic regression. Anger: agreement of kesu's 0–3 level with the labels.
Threats: precision and recall on the labels and on tests/triage/handchecked.jsonl. Speed: full triage
(normalise, segment, classify, anger, threats, safety, priority, validity) per second on one core.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from kesu.text import analysis, anger, signals
from kesu.text.classify import CATEGORIES
from kesu.text.normalize import normalise
from kesu.triage import training

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {
    "product_quality": [
        "质量",
        "坏",
        "不好用",
        "难吃",
        "脏",
        "旧",
        "破",
        "问题",
        "故障",
        "味道",
        "假",
    ],
    "service_attitude": ["态度", "服务", "前台", "客服", "不理", "爱理不理", "骂"],
    "logistics": ["物流", "快递", "送货", "配送", "慢", "送到", "发货", "到货", "等了"],
    "billing_refund": ["退款", "价格", "贵", "收费", "钱", "退货", "发票", "优惠", "涨价"],
    "misinformation": ["描述不符", "不符", "宣传", "图片", "虚假", "骗", "与描述"],
    "communication": ["沟通", "通知", "解释", "没人告诉", "说明"],
    "safety": ["中毒", "拉肚子", "虫", "头发", "异物", "烫伤", "漏电", "危险", "过敏"],
    "privacy": ["隐私", "信息泄露", "骚扰电话", "泄露"],
}


def keyword_rules(text: str) -> str:
    hits = {
        category: sum(text.count(word) for word in words) for category, words in KEYWORDS.items()
    }
    best = max(hits, key=lambda category: hits[category])
    return best if hits[best] else "other"


def _tfidf_char_baseline(
    train_texts: list[str], train_labels: list[str], test_texts: list[str], c: float
) -> list[str]:
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
    classifier = LogisticRegression(C=c, class_weight="balanced", max_iter=3000, random_state=0)
    classifier.fit(vectorizer.fit_transform(train_texts), train_labels)
    return [str(label) for label in classifier.predict(vectorizer.transform(test_texts))]


def _kesu(
    train_docs: list[list[str]], train_labels: list[str], test_docs: list[list[str]], c: float
) -> list[str]:
    model = training.fit_documents(train_docs, train_labels, c=c)
    return [model.predict(doc, top_drivers=0).label for doc in test_docs]


def cross_validate(
    rows: list[dict[str, Any]],
    folds: int,
    c_kesu: float,
    c_baseline: float,
    extra: list[dict[str, Any]],
) -> dict[str, Any]:
    """Scores on the real reviews only; ``extra`` (complaints written for kesu) joins every
    training fold of both linear systems and is never tested on."""
    texts = [row["text"] for row in rows]
    labels = [row["category"] for row in rows]
    documents = [training.featurise(row["text"], row["product_line"]) for row in rows]
    extra_texts = [row["text"] for row in extra]
    extra_labels = [row["category"] for row in extra]
    extra_documents = [training.featurise(row["text"], row.get("product_line")) for row in extra]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    results: dict[str, dict[str, Any]] = {
        name: {"f1": [], "pred": [""] * len(rows)}
        for name in ("keyword rules", "tf-idf char + LR", "kesu")
    }
    for train, test in splitter.split(texts, labels):
        train_labels = [labels[i] for i in train] + extra_labels
        predictions = {
            "keyword rules": [keyword_rules(normalise(texts[i]).text) for i in test],
            "tf-idf char + LR": _tfidf_char_baseline(
                [texts[i] for i in train] + extra_texts,
                train_labels,
                [texts[i] for i in test],
                c_baseline,
            ),
            "kesu": _kesu(
                [documents[i] for i in train] + extra_documents,
                train_labels,
                [documents[i] for i in test],
                c_kesu,
            ),
        }
        truth = [labels[i] for i in test]
        for name, predicted in predictions.items():
            results[name]["f1"].append(
                f1_score(
                    truth, predicted, average="macro", labels=list(CATEGORIES), zero_division=0
                )
            )
            for position, label in zip(test, predicted, strict=True):
                results[name]["pred"][position] = label
    return {"labels": labels, **results}


def _per_class(labels: list[str], predicted: list[str]) -> str:
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=list(CATEGORIES), zero_division=0
    )
    lines = [
        "| category | precision | recall | F1 | support |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for i, name in enumerate(CATEGORIES):
        lines.append(
            f"| {name} | {precision[i]:.2f} | {recall[i]:.2f} | {f1[i]:.2f} | {support[i]} |"
        )
    return "\n".join(lines)


def _confusion(labels: list[str], predicted: list[str]) -> str:
    matrix = confusion_matrix(labels, predicted, labels=list(CATEGORIES))
    short = [name[:8] for name in CATEGORIES]
    lines = [
        "| true \\ predicted | " + " | ".join(short) + " |",
        "| --- |" + " ---: |" * len(short),
    ]
    for name, row in zip(CATEGORIES, matrix, strict=True):
        lines.append(f"| {name} | " + " | ".join(str(int(v)) for v in row) + " |")
    return "\n".join(lines)


def _agreement(levels: list[int], truth: list[int]) -> str:
    pairs = list(zip(levels, truth, strict=True))
    exact = sum(a == b for a, b in pairs) / len(pairs)
    within_one = sum(abs(a - b) <= 1 for a, b in pairs) / len(pairs)
    mae = statistics.mean(abs(a - b) for a, b in pairs)
    return f"{exact:.2f} | {within_one:.2f} | {mae:.2f}"


def anger_agreement(rows: list[dict[str, Any]], hand: list[dict[str, Any]], folds: int) -> str:
    """Lexicon thresholds alone, and the anger model (cross-validated on the labels; the shipped
    model on the hand-checked set, which it never saw)."""
    truth = [int(row["anger"]) for row in rows]
    lexicon = []
    for row in rows:
        normalised = normalise(row["text"])
        lexicon.append(
            anger.read_anger(
                normalised.text, raw=row["text"], angry_emoji=normalised.angry_emoji
            ).level
        )
    documents = [training.featurise_anger(row["text"], row["product_line"]) for row in rows]
    learned = [0] * len(rows)
    for train, test in StratifiedKFold(n_splits=folds, shuffle=True, random_state=0).split(
        documents, truth
    ):
        model = training.fit_documents(
            [documents[i] for i in train],
            [str(truth[i]) for i in train],
            c=training.ANGER_REGULARISATION_C,
            allowed=training.ANGER_LEVELS,
            balanced=False,
        )
        for i in test:
            learned[i] = int(model.predict(documents[i], top_drivers=0).label)
    models = analysis.load_models()
    now = datetime.now(UTC)
    shipped_hand = [
        analysis.analyse(row["text"], models=models, received_at=now).anger.level for row in hand
    ]
    lines = [
        "| reader | set | exact | within one level | MAE |",
        "| --- | --- | ---: | ---: | ---: |",
        f"| lexicon thresholds | development labels | {_agreement(lexicon, truth)} |",
        f"| anger model, {folds}-fold CV | development labels | {_agreement(learned, truth)} |",
        f"| anger model (shipped) | hand-checked set | {_agreement(shipped_hand, [int(r['anger']) for r in hand])} |",
    ]
    return "\n".join(lines)


def threat_scores(rows: list[dict[str, Any]]) -> dict[str, float]:
    predicted = [bool(signals.threats(normalise(row["text"]).text)) for row in rows]
    truth = [bool(row["threat"]) for row in rows]
    tp = sum(p and t for p, t in zip(predicted, truth, strict=True))
    return {
        "precision": tp / max(sum(predicted), 1),
        "recall": tp / max(sum(truth), 1),
        "positives": float(sum(truth)),
        "flagged": float(sum(predicted)),
    }


def throughput(rows: list[dict[str, Any]], model_path: Path | None) -> float:
    models = analysis.load_models(model_path)
    now = datetime.now(UTC)
    texts = [row["text"] for row in rows]
    analysis.analyse(texts[0], models=models, received_at=now)  # warm the dictionaries
    started = time.perf_counter()
    for text in texts:
        analysis.analyse(text, models=models, received_at=now)
    return len(texts) / (time.perf_counter() - started)


def _read(path: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "triage" / "dev.jsonl")
    parser.add_argument(
        "--handchecked", type=Path, default=ROOT / "tests" / "triage" / "handchecked.jsonl"
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--extra",
        type=Path,
        default=ROOT / "data" / "triage" / "written.jsonl",
        help="Complaints written for kesu, added to every training fold.",
    )
    parser.add_argument("--grid", action="store_true", help="Also search C for both linear models.")
    args = parser.parse_args()
    rows = _read(args.data)
    extra = _read(args.extra) if args.extra.exists() else []
    print(
        f"{len(rows)} labelled complaints: {dict(Counter(row['category'] for row in rows).most_common())}"
    )
    if args.grid:
        for c in (1.0, 2.0, 4.0, 8.0, 16.0, 32.0):
            result = cross_validate(rows, args.folds, c, c, extra)
            print(
                f"C={c}: kesu {np.mean(result['kesu']['f1']):.3f}  tf-idf {np.mean(result['tf-idf char + LR']['f1']):.3f}"
            )
    result = cross_validate(
        rows, args.folds, training.REGULARISATION_C, training.REGULARISATION_C, extra
    )
    print(f"\n## Category, {args.folds}-fold stratified cross-validation\n")
    print("| system | macro-F1 (mean) | min–max over folds |\n| --- | ---: | ---: |")
    for name in ("keyword rules", "tf-idf char + LR", "kesu"):
        scores = result[name]["f1"]
        print(f"| {name} | {np.mean(scores):.3f} | {min(scores):.3f}–{max(scores):.3f} |")
    for name in ("keyword rules", "tf-idf char + LR", "kesu"):
        print(f"\n### {name}: per class (pooled predictions)\n")
        print(_per_class(result["labels"], result[name]["pred"]))
    print("\n### kesu: confusion matrix (pooled)\n")
    print(_confusion(result["labels"], result["kesu"]["pred"]))
    hand = _read(args.handchecked)
    print(f"\n## Anger level\n\n{anger_agreement(rows, hand, args.folds)}")
    print(
        "\n## Threats\n\n| set | precision | recall | labelled threats | flagged |\n| --- | ---: | ---: | ---: | ---: |"
    )
    for name, data in (
        ("development labels", rows),
        ("hand-checked set", hand),
    ):
        scores = threat_scores(data)
        print(
            f"| {name} | {scores['precision']:.2f} | {scores['recall']:.2f} | {scores['positives']:.0f} | {scores['flagged']:.0f} |"
        )
    median_length = statistics.median(len(row["text"]) for row in rows)
    typical = [row for row in rows if abs(len(row["text"]) - median_length) <= median_length / 4]
    print(
        "\n## Speed (one core, full triage: normalise, segment, both models, signals, validity)\n"
    )
    print("| texts | count | complaints/s (median of 3) | min–max |\n| --- | ---: | ---: | ---: |")
    for name, sample in (
        ("all development complaints", rows),
        (f"typical: {median_length:.0f} ± 25% characters", typical),
    ):
        speeds = [throughput(sample, None) for _ in range(3)]
        print(
            f"| {name} | {len(sample)} | {statistics.median(speeds):,.0f} | {min(speeds):,.0f}–{max(speeds):,.0f} |"
        )


if __name__ == "__main__":
    sys.exit(main())
