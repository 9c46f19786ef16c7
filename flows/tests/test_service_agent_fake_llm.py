"""The fake OpenAI-compatible server the agent tests (and the lead's e2e) use:
scripted replies in order, error statuses, malformed bodies, auth, records."""
from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_support import FakeLlmServer  # noqa: E402


def chat(base_url, content="hi", key=None, model="m1", timeout=5):
    body = {"model": model, "messages": [{"role": "user", "content": content}]}
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(base_url + "/chat/completions", method="POST",
                                     data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read().decode(), dict(response.headers)


@pytest.fixture(scope="module")
def llm(tmp_path_factory):
    server = FakeLlmServer([], script_dir=str(tmp_path_factory.mktemp("fake")))
    yield server
    server.stop()


def test_replies_in_order_with_usage_and_records(llm):
    llm.set_script({"replies": ["first", {"content": "second", "usage": {"completion_tokens": 7}}]})
    status, body, _ = chat(llm.base_url, "x" * 40)
    reply = json.loads(body)
    assert status == 200 and reply["choices"][0]["message"]["content"] == "first"
    assert reply["usage"]["prompt_tokens"] == 14 and reply["usage"]["completion_tokens"] == 2
    assert reply["usage"]["total_tokens"] == 16 and reply["model"] == "m1"
    reply = json.loads(chat(llm.base_url, "again")[1])
    assert reply["choices"][0]["message"]["content"] == "second"
    assert reply["usage"]["completion_tokens"] == 7
    with pytest.raises(urllib.error.HTTPError) as err:
        chat(llm.base_url)
    assert err.value.code == 500 and "exhausted" in err.value.read().decode()
    recorded = llm.requests()
    assert [r["body"]["messages"][0]["content"] for r in recorded] == ["x" * 40, "again", "hi"]
    assert [r["status"] for r in recorded] == [200, 200, 500]


def test_error_statuses_raw_and_json_bodies(llm):
    llm.set_script({"replies": [
        {"status": 429, "headers": {"Retry-After": "1"}},
        {"status": 401},
        {"raw": "<html>oops"},
        {"json": {"object": "chat.completion", "choices": []}},
    ], "default": "fallback"})
    with pytest.raises(urllib.error.HTTPError) as err:
        chat(llm.base_url)
    assert err.value.code == 429 and err.value.headers["Retry-After"] == "1"
    assert json.loads(err.value.read())["error"]["code"] == "rate_limit_exceeded"
    with pytest.raises(urllib.error.HTTPError) as err:
        chat(llm.base_url)
    assert err.value.code == 401
    assert chat(llm.base_url)[1] == "<html>oops"
    assert json.loads(chat(llm.base_url)[1])["choices"] == []
    for _ in range(2):
        assert json.loads(chat(llm.base_url)[1])["choices"][0]["message"]["content"] == "fallback"


def test_rejects_requests_openai_would_reject(llm):
    llm.set_script(["never served"])
    with pytest.raises(urllib.error.HTTPError) as err:
        chat(llm.base_url, model="")
    assert err.value.code == 400
    assert llm.requests()[0]["status"] == 400
    assert json.loads(chat(llm.base_url)[1])["choices"][0]["message"]["content"] == "never served"


def test_bad_script_is_refused(llm):
    request = urllib.request.Request(f"http://127.0.0.1:{llm.port}/admin/script", method="POST",
                                     data=json.dumps([{"nothing": 1}]).encode())
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=5)
    assert err.value.code == 400


def test_api_key_checked_and_v1_path(tmp_path):
    with FakeLlmServer(["ok"], api_key="sekret", script_dir=str(tmp_path)) as llm:
        with pytest.raises(urllib.error.HTTPError) as err:
            chat(llm.base_url, key="wrong")
        assert err.value.code == 401
        status, body, _ = chat(llm.base_url, key="sekret")
        assert json.loads(body)["choices"][0]["message"]["content"] == "ok"
        assert [r["status"] for r in llm.requests()] == [401, 200]
        assert llm.requests()[1]["authorization"] == "Bearer sekret"


def test_delay_reply_times_out_the_client(llm):
    llm.set_script([{"content": "late", "delay": 2}])
    with pytest.raises(OSError):
        chat(llm.base_url, timeout=0.5)
