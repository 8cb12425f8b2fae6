"""kesu.text on its own: pure functions, hand-checked expectations, and hostile input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kesu.text import analysis, signals, validity
from kesu.text.analysis import Priority, load_models
from kesu.text.normalize import MAX_ANALYSED_CHARS, normalise

HANDCHECKED = Path(__file__).resolve().parents[1] / "triage" / "handchecked.jsonl"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _handchecked() -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for line in HANDCHECKED.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def test_the_hand_checked_set_is_varied() -> None:
    rows = _handchecked()
    styles = {str(row["style"]) for row in rows}
    assert len(rows) >= 150
    assert {
        "calm",
        "angry",
        "threatening",
        "sarcastic",
        "traditional",
        "mixed_english",
        "very_short",
        "very_long",
    } <= styles


def test_threat_recall_and_precision_on_the_hand_checked_set() -> None:
    rows = _handchecked()
    flagged = [bool(signals.threats(normalise(str(row["text"])).text)) for row in rows]
    truth = [bool(row["threat"]) for row in rows]
    true_positives = sum(f and t for f, t in zip(flagged, truth, strict=True))
    assert true_positives / sum(truth) >= 0.9
    assert true_positives / sum(flagged) >= 0.85


def test_threat_kinds_on_the_hand_checked_set() -> None:
    rows = [row for row in _handchecked() if row["threat"]]
    found = 0
    for row in rows:
        kinds = {evidence.kind for evidence in signals.threats(normalise(str(row["text"])).text)}
        found += bool(kinds & set(row["threat_kinds"]))
    assert found / len(rows) >= 0.8


def test_safety_recall_on_the_hand_checked_set() -> None:
    rows = [row for row in _handchecked() if row["safety"]]
    flagged = sum(signals.safety(normalise(str(row["text"])).text) is not None for row in rows)
    assert flagged / len(rows) >= 0.85


def test_anger_is_within_one_level_of_the_hand_checked_value() -> None:
    rows = _handchecked()
    models = load_models()
    levels = [
        analysis.analyse(str(row["text"]), models=models, received_at=NOW).anger.level
        for row in rows
    ]
    close = sum(
        abs(level - int(row["anger"])) <= 1 for level, row in zip(levels, rows, strict=True)
    )
    assert close / len(rows) >= 0.75


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("我要向消費者協會投訴，你們等著！", "regulator"),
        ("再不解决我就打１２３１５", "regulator"),
        ("我会在微博上曝光你们", "media"),
        ("已经请了律師，法庭見", "lawyer"),
        ("我已经报警了", "police"),
        ("我要去 court 告你们", "lawyer"),
    ],
)
def test_threats_in_traditional_full_width_and_mixed_text(text: str, kind: str) -> None:
    assert kind in {evidence.kind for evidence in signals.threats(normalise(text).text)}


@pytest.mark.parametrize(
    "text",
    [
        "我不想去12315投诉，只要换个新的就行",
        "这台相机曝光不准，拍出来全是白的",
        "厨房的烟雾报警器坏了，一直响",
        "收到你们寄来的律师函，但我已经还清了",
    ],
)
def test_look_alikes_are_not_threats(text: str) -> None:
    assert signals.threats(normalise(text).text) == []


def test_normalisation_folds_traditional_full_width_and_noise() -> None:
    result = normalise("  消費者協會\u3000ＡＢＣ１２３！！😡\x00\u200b ")
    assert result.text == "消费者协会 ABC123!!"
    assert (result.converted_traditional, result.angry_emoji, result.truncated) == (True, 1, False)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "😀😀😀",
        "！！！？？？……",
        "\x00\x01\x02",
        "\udcff".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
        "a" * 200_000,
        "Mixed 中文 English Кириллица العربية 日本語",
    ],
)
def test_any_text_gets_a_clear_result(text: str) -> None:
    result = analysis.analyse(text, models=load_models(), received_at=NOW)
    assert result.priority in set(Priority)
    assert 0 <= result.category.confidence <= 1
    assert result.anger.level in {0, 1, 2, 3}


def test_over_long_text_is_analysed_on_its_beginning() -> None:
    result = analysis.analyse("质量太差" * 20_000, models=load_models(), received_at=NOW)
    assert result.truncated is True
    assert len(normalise("质量太差" * 20_000).text) == MAX_ANALYSED_CHARS


def test_priority_rules() -> None:
    threat = (signals.Evidence("media", ("曝光",)),)
    danger = signals.Evidence("safety", ("烫伤",))
    cases = [
        ({"anger_level": 0, "threats": (), "safety": danger, "is_vip": False}, Priority.P1),
        ({"anger_level": 2, "threats": threat, "safety": None, "is_vip": False}, Priority.P1),
        ({"anger_level": 0, "threats": threat, "safety": None, "is_vip": True}, Priority.P1),
        ({"anger_level": 0, "threats": threat, "safety": None, "is_vip": False}, Priority.P2),
        ({"anger_level": 3, "threats": (), "safety": None, "is_vip": False}, Priority.P2),
        ({"anger_level": 2, "threats": (), "safety": None, "is_vip": True}, Priority.P2),
        ({"anger_level": 2, "threats": (), "safety": None, "is_vip": False}, Priority.P3),
        ({"anger_level": 0, "threats": (), "safety": None, "is_vip": True}, Priority.P3),
        ({"anger_level": 1, "threats": (), "safety": None, "is_vip": False}, Priority.P4),
    ]
    for kwargs, expected in cases:
        priority, reasons = analysis.prioritise(**kwargs)  # type: ignore[arg-type]
        assert priority is expected
        assert (priority is Priority.P4) == (not reasons)


def test_validity_hints() -> None:
    def read(
        text: str, occurred: datetime | None = None, category: str = "product_quality"
    ) -> validity.ValidityReading:
        return validity.read_validity(
            normalise(text).text,
            category=category,
            category_confidence=0.9,
            occurred_at=occurred,
            received_at=NOW,
            policy_days=365,
        )

    assert read("11月3日买的热水器漏水，订单号 2026110301").suggestion is validity.Suggestion.ACCEPT
    assert read("太差了").hints == (validity.Hint.TOO_SHORT,)
    assert read("东西很不好，客服也不理人，很不满意").hints == (validity.Hint.MISSING_FACTS,)
    assert validity.Hint.OUTSIDE_PERIOD in read("这台冰箱用了三年，今天突然不制冷了").hints
    assert (
        validity.Hint.OUTSIDE_PERIOD
        in read("订单 123 的冰箱坏了", occurred=NOW - timedelta(days=400)).hints
    )
    assert read("😀😀").suggestion is validity.Suggestion.LIKELY_INVALID
    assert (
        validity.Hint.OPINION_ONLY
        in read("这本书的观点我不同意，作者太自恋了，写于2010年", category="other").hints
    )


def test_the_shipped_model_reads_typical_complaints() -> None:
    models = load_models()
    cases = {
        "快递一个星期了还没送到，物流信息一直不更新": "logistics",
        "外卖里吃出一根头发，还有虫子，吃完拉肚子": "safety",
        "退款申请了半个月还没到账，客服一直推": "billing_refund",
        "前台服务员态度恶劣，爱答不理": "service_attitude",
    }
    for text, expected in cases.items():
        result = analysis.analyse(text, models=models, received_at=NOW)
        assert result.category.label == expected, text
        assert result.category.drivers
