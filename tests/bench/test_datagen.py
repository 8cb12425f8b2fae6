"""The benchmark data generator: reproducible, realistic enough to exercise kesu, and honest about
where its search needles are."""

from __future__ import annotations

import csv
import statistics
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bench import datagen
from kesu.complaints.lifecycle import CATEGORY, Status, StatusCategory
from kesu.complaints.models import Channel, Demand, TargetType
from kesu.complaints.schemas import ComplaintDraft
from kesu.text.classify import CATEGORIES

COUNT = 20_000


@pytest.fixture(scope="module")
def sample() -> list[datagen.Row]:
    return list(datagen.rows(COUNT, seed=11))


def test_the_same_seed_gives_the_same_rows() -> None:
    assert list(datagen.rows(500, seed=3)) == list(datagen.rows(500, seed=3))
    assert list(datagen.rows(500, seed=3)) != list(datagen.rows(500, seed=4))


def test_every_code_is_one_kesu_knows_and_every_category_and_channel_occurs(
    sample: list[datagen.Row],
) -> None:
    assert {row["category"] for row in sample} == set(CATEGORIES)
    assert {row["channel"] for row in sample} == {channel.value for channel in Channel}
    assert {row["target_type"] for row in sample} == {kind.value for kind in TargetType}
    assert {demand for row in sample for demand in row["demands"]} <= {d.value for d in Demand}
    assert {row["priority"] for row in sample} == {"P1", "P2", "P3", "P4"}
    assert {row["status"] for row in sample} <= {status.value for status in Status}
    assert len({row["product_line"] for row in sample}) == len(datagen.LINES)


def test_rows_are_valid_registration_forms(sample: list[datagen.Row]) -> None:
    for row in sample[::20]:
        ComplaintDraft.model_validate(
            {
                key: row[key]
                for key in (
                    "complainant_name",
                    "phone",
                    "email",
                    "channel",
                    "region",
                    "target_type",
                    "target",
                    "product_line",
                    "description",
                    "demands",
                )
            }
        )


def test_texts_run_from_short_gripes_to_long_narratives(sample: list[datagen.Row]) -> None:
    lengths = [len(row["description"]) for row in sample]
    assert min(lengths) >= datagen.MIN_CHARS
    assert max(lengths) <= datagen.MAX_CHARS
    assert 25 <= statistics.median(lengths) <= 80
    assert sum(length > 300 for length in lengths) > COUNT / 200
    assert sum(length < 30 for length in lengths) > COUNT / 10
    texts = [row["description"] for row in sample]
    assert sum("燃氣" in text or "說" in text for text in texts) > 0  # Traditional script
    assert sum(any(char in text for char in "😡😤🙄😭👎💔🤬😓🙏") for text in texts) > COUNT / 100
    assert sum("WiFi" in text or "App" in text or "VIP" in text for text in texts) > COUNT / 100


def test_statuses_follow_the_age_of_the_complaint(sample: list[datagen.Row]) -> None:
    times = [row["received_at"] for row in sample]
    assert times == sorted(times)
    assert all(datagen.DEFAULT_START <= at < datagen.DEFAULT_END for at in times)
    assert times[-1] - times[0] > timedelta(days=700)
    assert all(at.utcoffset() == timedelta(hours=8) for at in times[:100])

    def done_share(rows: list[datagen.Row]) -> float:
        done = [CATEGORY[Status(row["status"])] is StatusCategory.DONE for row in rows]
        return sum(done) / len(done)

    old = [row for row in sample if datagen.DEFAULT_END - row["received_at"] > timedelta(180)]
    recent = [row for row in sample if datagen.DEFAULT_END - row["received_at"] < timedelta(3)]
    assert done_share(old) > 0.9
    assert done_share(recent) < 0.2


def test_customers_come_back(sample: list[datagen.Row]) -> None:
    phones = Counter(row["phone"] for row in sample if row["phone"])
    assert len(phones) < 0.9 * COUNT
    assert sum(uses >= 3 for uses in phones.values()) > 100
    for phone, _ in phones.most_common(20):
        # One customer, one name, whatever they complain about.
        assert len({row["complainant_name"] for row in sample if row["phone"] == phone}) == 1
    assert all(row["phone"] or row["email"] for row in sample)


def test_the_sidecar_counts_the_rows_of_every_needle(tmp_path: Path) -> None:
    out = tmp_path / "complaints.csv"
    stats = datagen.write_csv(out, COUNT, seed=5)
    assert datagen.sidecar_path(out) == tmp_path / "complaints.stats.json"
    with out.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        assert tuple(next(reader)) == datagen.COLUMNS
        records = list(reader)
    assert len(records) == COUNT
    description = datagen.COLUMNS.index("description")
    target = datagen.COLUMNS.index("target")
    for needle in datagen.NEEDLES:
        word = needle.word
        in_text = sum(word in record[description] for record in records)
        folded = sum(word in datagen.simplified(record[description]) for record in records)
        assert (
            datagen.expected_matches(out, word) == in_text == stats["needles"][word]["description"]
        )
        assert datagen.expected_matches(out, word, "description_simplified") == folded
        assert stats["needles"][word]["target"] == sum(word in record[target] for record in records)
    assert datagen.expected_matches(out, "量子纠缠") == 0
    assert datagen.expected_matches(out, "退款") > COUNT / 20
    assert 0 < datagen.expected_matches(out, "燃气热水") < COUNT / 20
    assert datagen.count_matches("师傅", COUNT, seed=5) == sum(
        "师傅" in record[description] for record in records
    )
    first = records[0]
    assert datetime.fromisoformat(first[datagen.COLUMNS.index("received_at")]).tzinfo is not None
    assert all(first[datagen.COLUMNS.index("demands")].split(";"))


def test_controlled_needles_appear_only_where_inserted() -> None:
    for row in datagen.Generator(COUNT, seed=8, needles=False):
        assert not any(word in row["description"] for word in datagen.CONTROLLED)
        assert not any(
            word in datagen.simplified(row["description"]) for word in datagen.CONTROLLED
        )
