"""Every page in zh-CN and English: the switch is remembered, and no page text lacks its English."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kesu.web.pages import rendering
from kesu.web.translation import english
from tests.factories import PASSWORD, Personas

PAGES_DIR = Path(rendering.__file__).parent
HAN = re.compile(r"[\u4e00-\u9fff]")
TAGS = re.compile(r"<[^>]+>")
# What may stay Chinese on an English page: the brand and the name of the other language.
ALLOWED_HAN = ("kesu 客诉", "中文", ">诉<")


def _template_phrases() -> set[str]:
    phrases: set[str] = set()
    for path in rendering.TEMPLATES_DIR.rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        found = rendering.env.extract_translations(source)  # type: ignore[attr-defined]
        for _line, _function, message in found:
            phrases.update(
                part for part in (message if isinstance(message, tuple) else (message,)) if part
            )
    return phrases


def _python_phrases() -> set[str]:
    phrases: set[str] = set()
    for path in PAGES_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name | ast.Attribute)
                and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr)
                in {"translate", "N_"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                phrases.add(node.args[0].value)
    return phrases


def test_every_phrase_on_a_page_has_its_english() -> None:
    phrases = _template_phrases() | _python_phrases()
    assert len(phrases) > 20, "the extractor found almost nothing: is the i18n extension loaded?"
    missing = sorted(phrase for phrase in phrases if phrase not in english())
    assert missing == []


def _visible_text(html: str) -> str:
    body = html.split("<body>", 1)[1]
    body = re.sub(r"<script.*?</script>", "", body, flags=re.S)
    for allowed in ALLOWED_HAN:
        body = body.replace(allowed, "")
    return TAGS.sub(" ", body)


@pytest.mark.parametrize("path", ["/", "/track", "/login"])
def test_the_switch_turns_a_public_page_english_and_is_remembered(
    client: TestClient, path: str
) -> None:
    assert "我要投诉" in client.get("/").text
    switched = client.get(f"/language/en?next={path}", follow_redirects=False)
    assert (switched.status_code, switched.headers["location"]) == (303, path)
    page = client.get(path)
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert HAN.findall(_visible_text(page.text)) == []
    client.get("/language/zh-CN?next=/", follow_redirects=False)
    assert "我要投诉" in client.get("/").text


def test_the_switch_refuses_other_sites_and_unknown_languages(client: TestClient) -> None:
    bounced = client.get("/language/en?next=//evil.example/", follow_redirects=False)
    assert bounced.headers["location"] == "/"
    assert client.get("/language/fr?next=/").status_code == 422


def test_staff_pages_speak_english_after_the_switch(client: TestClient, personas: Personas) -> None:
    client.get("/language/en?next=/", follow_redirects=False)
    signed_in = client.post(
        "/login", data={"username": "zhangmin", "password": PASSWORD, "next": "/agent"}
    )
    assert signed_in.status_code == 200
    assert "Sign out" in signed_in.text
    wrong = client.post("/login", data={"username": "zhangmin", "password": "nope", "next": "/"})
    assert wrong.status_code == 401
    assert HAN.findall(_visible_text(wrong.text)) == []
