from __future__ import annotations

from fastapi.testclient import TestClient

from kesu.bootstrap import Kesu
from kesu.web.app import create_app


def test_echo_returns_the_body_as_sent(client: TestClient) -> None:
    body = {"text": "热水器漏水，客服态度差 😡 JSQ25-12"}
    response = client.post("/api/v1/echo", json=body)
    assert response.status_code == 200
    assert response.json() == body


def test_echo_needs_no_sign_in_and_accepts_the_longest_text(client: TestClient) -> None:
    response = client.post("/api/v1/echo", json={"text": "投" * 5000})
    assert response.status_code == 200
    assert response.json()["text"] == "投" * 5000


def test_an_invalid_body_gets_the_error_body_of_every_api_error(client: TestClient) -> None:
    for body in ({"text": "投" * 5001}, {}, {"text": 3}, {"text": "x", "extra": 1}):
        response = client.post("/api/v1/echo", json=body)
        assert response.status_code == 422, body
        error = response.json()
        assert error["code"] == "validation_error"
        assert isinstance(error["detail"], str)
        assert error["detail"]


def test_a_body_that_is_not_json_is_refused_with_a_code(client: TestClient) -> None:
    response = client.post(
        "/api/v1/echo", content=b"not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_echo_is_documented_as_the_http_floor(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/echo"]["post"]
    assert "request overhead" in operation["description"]


def test_requests_in_progress_are_counted_for_the_embedded_worker(kesu: Kesu) -> None:
    app = create_app(kesu)
    seen: list[bool] = []

    @app.get("/probe")
    def probe() -> dict[str, bool]:
        seen.append(kesu.activity.busy())
        return {}

    with TestClient(app) as client:
        assert not kesu.activity.busy()
        client.get("/probe")
        client.get("/no-such-page")  # answered by the app too, counted and finished alike
        assert not kesu.activity.busy()
    assert seen == [True]
