from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kesu.text.classify import ANGER_MODEL, load_model
from kesu.triage import training

EXAMPLES = [
    training.Example("快递一周还没到，物流不更新", "外卖", "logistics"),
    training.Example("配送太慢了，等了两个小时", "外卖", "logistics"),
    training.Example("骑手送错地址，饭都凉了还迟到", "外卖", "logistics"),
    training.Example("前台态度恶劣，爱答不理", "酒店", "service_attitude"),
    training.Example("服务员很凶，还骂人", "酒店", "service_attitude"),
    training.Example("客服态度差，说话难听", "手机", "service_attitude"),
]


def test_training_is_reproducible_and_the_saved_model_predicts_the_same(tmp_path: Path) -> None:
    first = training.fit(EXAMPLES, min_df=1)
    second = training.fit(EXAMPLES, min_df=1)
    assert first.vocabulary == second.vocabulary
    assert np.array_equal(first.coef, second.coef)
    path = tmp_path / "model.npz"
    first.save(path)
    loaded = load_model(path)
    features = training.featurise("快递太慢了，等了三天", "外卖")
    assert loaded.predict(features) == first.predict(features)
    assert loaded.predict(features).label == "logistics"
    assert loaded.meta["per_category"] == {"logistics": 3, "service_attitude": 3}


def test_unknown_categories_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown categories"):
        training.fit([*EXAMPLES, training.Example("x", None, "weather")], min_df=1)


def test_the_shipped_models_were_trained_on_the_repository_data() -> None:
    assert load_model(packaged=ANGER_MODEL).classes == ["0", "1", "2", "3"]
    meta = load_model().meta
    assert meta["examples"] >= 2500
    assert set(meta["per_category"]) == {
        "product_quality",
        "service_attitude",
        "logistics",
        "billing_refund",
        "misinformation",
        "communication",
        "safety",
        "privacy",
        "other",
    }
