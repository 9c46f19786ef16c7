"""The agent's pure parts, without processes: reading LLM replies, generating stubs."""
from __future__ import annotations

import importlib.util
import os
import re
import sys
import types

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_support import AGENT_FLOW, CALENDAR_SCRIPT  # noqa: E402


def _load(name: str, path: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


agent = _load("service_agent_v3_under_test", AGENT_FLOW)
calendar_service = _load("calendar_service_for_units", CALENDAR_SCRIPT)


def test_flow_declares_its_inputs():
    info = agent.service_agent_v3.__herologic_flow__
    assert info.name == "service_agent_v3"
    assert set(info.inputs) == {"prompt", "model", "max_attempts", "timeout_seconds", "max_tokens", "temperature"}
    assert info.inputs["max_tokens"]["default"] == 0 and info.inputs["temperature"]["default"] == -1
    assert "default" not in info.inputs["prompt"]
    assert info.inputs["model"]["default"] == "" and info.inputs["max_attempts"]["default"] == 3


@pytest.mark.parametrize("reply, expected", [
    ('["calendar"]', ["calendar"]),
    ('{"services": ["mail"]}', ["mail"]),
    ('Sure!\n```json\n["calendar", "mail"]\n```', ["calendar", "mail"]),
    ('[{"name": "calendar"}]', ["calendar"]),
    ('{"services": ["Calendar", "MAIL", "calendar"]}', ["calendar", "mail"]),
    # the catalogue echoed first, the answer last: only the answer counts
    ('Available: ["mail","crm"]. I choose ["calendar"]', ["calendar"]),
    ('<think>maybe ["mail"]?</think>{"services": ["crm"]}', ["crm"]),
    ("[]", []),
])
def test_parse_selection(reply, expected):
    assert agent.parse_selection(reply, ["calendar", "mail", "crm"]) == expected


@pytest.mark.parametrize("reply, problem", [
    ("You need the calendar service.", "holds no JSON value"),
    ('I pick ["mail", "weather"]', "'weather' is not one of the available services"),
    ('{"service": "calendar"}', 'has no "services" list'),
    ('"calendar"', "not a list of service names"),
])
def test_parse_selection_says_why_it_cannot_read_a_reply(reply, problem):
    with pytest.raises(agent.AnswerError, match=re.escape(problem)):
        agent.parse_selection(reply, ["calendar", "mail", "crm"])


STUBS_CALL = "from services import calendar\ncalendar.event_list()\n"


@pytest.mark.parametrize("reply, expected", [
    ("```python\nprint(1)\n```", "print(1)\n"),
    ("```\nprint(2)\n```", "print(2)\n"),
    ("~~~python\nprint(3)\n~~~", "print(3)\n"),
    ("~~~~\nprint(4)\n~~~~", "print(4)\n"),
    ("```python\r\nprint(5)\r\n```\r\n", "print(5)\n"),
    ('```{.python title="main.py"}\nprint(6)\n```', "print(6)\n"),
    ('```python title="main.py" linenums="1"\nprint(7)\n```', "print(7)\n"),
    ("```Python3\nprint(8)\n```", "print(8)\n"),
    ("```python print(9)```", "print(9)\n"),
    ("```python\nprint(10)```", "print(10)\n"),
    ("```python\nprint(11)\n", "print(11)\n"),  # unclosed: the reply ends inside the block
    ("````python\nx = '''\n```\n'''\nprint(x)\n````", "x = '''\n```\n'''\nprint(x)\n"),
    # the block that uses the stubs wins over shell snippets and other Python
    ("Install nothing:\n```bash\npip install requests\n```\nThen:\n```python\n" + STUBS_CALL + "```",
     STUBS_CALL),
    ("```sh\npython3 script.py\n```", None),
    ("```\npip install x\n```", None),
    ("```python\nprint('example')\n```\nThe script:\n```python\n" + STUBS_CALL + "```", STUBS_CALL),
    # a draft in <think> loses to the final answer, even when longer
    ("<think>\n```python\nfrom services import calendar\n" + "# draft\n" * 50 + "```\n</think>\n```python\n"
     + STUBS_CALL + "```", STUBS_CALL),
    # a draft and a correction: the last block that uses the stubs
    ("```python\nfrom services import calendar\ncalendar.event_get(id=1)\n```\nBetter:\n```python\n"
     + STUBS_CALL + "```", STUBS_CALL),
    # a helper block the script needs is put in front of it
    ("```python\ndef when():\n    return 'now'\n```\n```python\nfrom services import calendar\nprint(when())\n```",
     "def when():\n    return 'now'\n\nfrom services import calendar\nprint(when())\n"),
    ('```json\n["calendar"]\n```', None),
    ("```\n{\"a\": 1}\n```", None),
    ("just words", None),
    ("```python\n\n```", None),
])
def test_extract_code(reply, expected):
    assert agent.extract_code(reply) == expected


def test_extraction_says_what_it_ran_and_ignored():
    found = agent.extract_script("```bash\nls\n```\n```python\n" + STUBS_CALL + "```\n```json\n{}\n```")
    assert found.how == "ran block 2 (python) of 3 (imports the stubs); ignored block 1 (bash), block 3 (json)"
    assert agent.extract_script("```bash\nls\n```").how == "no Python block; ignored block 1 (bash)"


def _calendar_service():
    return agent.Service("calendar", "http://calendar:8080/rpc", calendar_service.openrpc_document())


def test_calendar_stub_compiles_and_documents_the_event():
    source = agent.stub_source([_calendar_service()], 7.0)
    namespace: dict = {}
    exec(compile(source, "services.py", "exec"), namespace)
    client = namespace["calendar"]
    assert client.url == "http://calendar:8080/rpc"
    assert namespace["RPC_TIMEOUT_S"] == 7.0
    assert {"event_set", "event_get", "event_list", "event_delete"} <= set(dir(client))
    assert "rpc_discover" not in dir(client)
    doc = type(client).__doc__
    for field in ("title", "start_time", "end_time", "location", "description", "attendees"):
        assert f"{field}: " in doc and "required" in doc
    assert "Event, required" in client.event_set.__doc__


def test_stub_methods_build_the_params(monkeypatch):
    source = agent.stub_source([_calendar_service()], 5)
    namespace: dict = {}
    exec(compile(source, "services.py", "exec"), namespace)
    calls = []
    client = namespace["calendar"]
    monkeypatch.setattr(client, "_call", lambda method, params: calls.append((method, params)))
    client.event_set(data={"title": "x"})
    client.event_list()
    assert calls == [("event.set", {"data": {"title": "x"}}), ("event.list", {})]
    with pytest.raises(TypeError):
        client.event_set({"title": "x"})  # keyword only


def test_awkward_names_and_texts_give_valid_python():
    document = {
        "openrpc": "1.2.6",
        "info": {"title": 'Odd """ service \\ with escapes', "version": "1"},
        "methods": [
            {"name": "class.import", "description": 'ends in a backslash \\',
             "params": [{"name": "from", "required": True, "schema": {"type": "string"}},
                        {"name": "max-items", "schema": {"type": "integer"}},
                        {"name": "self", "schema": {"type": "string"}}],
             "result": {"name": "r", "schema": {"type": "array", "items": {"$ref": "#/components/schemas/T"}}}},
            {"name": "class_import", "paramStructure": "by-position",
             "params": [{"name": "a", "required": True, "schema": {"enum": ["x", "y"]}},
                        {"name": "b", "required": True, "schema": {"type": "boolean"}}]},
        ],
        "components": {"schemas": {"T": {"type": "object", "description": 'has """ quotes',
                                         "properties": {"n": {"type": "integer"}}}}},
    }
    source = agent.stub_source([agent.Service("my-odd.svc", "http://x/rpc", document)], 5)
    namespace: dict = {}
    exec(compile(source, "services.py", "exec"), namespace)
    client = namespace["my_odd_svc"]
    assert type(client).__name__ == "MyOddSvcService"
    calls = []
    client._call = lambda method, params: calls.append((method, params))
    client.class_import(from_="a", max_items=3)
    client.class_import(from_="b")
    client.class_import_2(a="x", b=True)
    assert calls == [("class.import", {"from": "a", "max-items": 3}),
                     ("class.import", {"from": "b"}),
                     ("class_import", ["x", True])]
    assert 'has """ quotes' in type(client).__doc__
    assert "one of \"x\", \"y\"" in client.class_import_2.__doc__


def test_two_services_get_two_instances():
    other = dict(calendar_service.openrpc_document(), info={"title": "other", "version": "2"})
    source = agent.stub_source([_calendar_service(), agent.Service("class", "http://y/rpc", other)], 5)
    assert "from services import calendar, class_`" in source
    namespace: dict = {}
    exec(compile(source, "services.py", "exec"), namespace)
    assert namespace["class_"].url == "http://y/rpc"


@pytest.mark.parametrize("value, expected", [
    ("2", 2.0), ("0.5", 0.5), (None, None), ("600", None), ("-1", None),
    ("Wed, 21 Oct 2015 07:28:00 GMT", None),
])
def test_retry_after(value, expected):
    assert agent._retry_after(value) == expected


def test_parse_completion():
    text, usage, model, reason = agent._parse_completion({
        "model": "m-2024", "choices": [{"message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1}})
    assert (text, usage["prompt_tokens"], model, reason) == ("hi", 3, "m-2024", "stop")
    with pytest.raises(agent.LlmError, match="used up its max_tokens before writing any answer"):
        agent._parse_completion({"choices": [{"message": {"content": ""}, "finish_reason": "length"}]})
    assert agent._parse_completion({"choices": [{"message": {"content": None}, "finish_reason": "length"}]},
                                   allow_empty=True)[0] == ""
    parts = {"choices": [{"message": {"content": [{"type": "text", "text": "a"},
                                                  {"type": "text", "text": "b"}]}}]}
    assert agent._parse_completion(parts)[0] == "ab"
    with pytest.raises(agent.LlmError, match="LLM endpoint returned an error: nope"):
        agent._parse_completion({"error": {"message": "nope"}})
    with pytest.raises(agent.LlmError, match="not a JSON object"):
        agent._parse_completion(["x"])


def test_service_url_from_a_service_object():
    service = {"metadata": {"name": "cal"}, "spec": {"ports": [{"port": 9000}, {"port": 1}]}}
    assert agent.service_url(service, "ns") == "http://cal.ns.svc:9000/rpc"
    service["metadata"]["annotations"] = {"herologic.io/rpc-path": "api/jsonrpc"}
    assert agent.service_url(service, "ns") == "http://cal.ns.svc:9000/api/jsonrpc"
    service["metadata"]["annotations"]["herologic.io/rpc-url"] = " http://127.0.0.1:5/rpc "
    assert agent.service_url(service, "ns") == "http://127.0.0.1:5/rpc"
    assert agent.service_url({"metadata": {"name": "x"}, "spec": {}}, "ns") is None


def test_services_env_is_checked():
    assert agent._parse_services_env(" a=http://x/rpc, b=https://y ,") == [
        ("a", "http://x/rpc"), ("b", "https://y")]
    with pytest.raises(agent.AgentError, match="is not name=http"):
        agent._parse_services_env("a=ftp://x")


def test_feedback_keeps_the_traceback_when_output_is_long():
    attempt = agent.Attempt(1, "reply")
    attempt.code = "print(1)\n"
    attempt.returncode = 1
    attempt.error = "the script exited with code 1: ValueError: bad"
    attempt.stdout = "x" * 50_000
    attempt.stderr = "noise\n" * 5000 + "Traceback (most recent call last):\n  File 'a'\nValueError: bad\n"
    text = attempt.feedback(3)
    assert text.startswith("Attempt 1 of 3 failed: the script exited with code 1: ValueError: bad")
    assert "ValueError: bad" in text and "characters cut" in text and len(text) < 20_000
    assert text.count("Traceback (most recent call last)") == 1
