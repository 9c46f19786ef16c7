"""The built-in service_agent_v3 flow, run as a Play's Pod runs it (the runner in a real
process) against the real calendar service and the scripted fake LLM server."""
from __future__ import annotations

import json
import os
import sys
import uuid

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_support import (AGENT_FLOW, EXAMPLES_DIR, CalendarServer, FakeLlmServer,  # noqa: E402
                           agent_env, log_text, python_block, run_flow)

SELECT_CALENDAR = 'The calendar is all this needs.\n```json\n["calendar"]\n```'
VERIFY_DONE = '{"done": true, "reason": "the event was created"}'


def good_script(title: str) -> str:
    return python_block(f'''
import os
from services import calendar

print("llm key visible:", "HEROLOGIC_LLM_API_KEY" in os.environ)
event = calendar.event_set(data={{
    "title": {title!r},
    "start_time": "2026-05-08T10:00:00Z",
    "end_time": "2026-05-08T11:00:00Z",
    "location": "Room 4",
    "description": "created by the agent test",
    "attendees": ["ann@example.com"],
}})
print(f"created event {{event['id']}}: {{event['title']}}")
''')


def incomplete_script(title: str) -> str:
    # The mistake the original system saw models make: a partial Event.
    return python_block(f'''
import os
from services import calendar

print("llm key visible:", "HEROLOGIC_LLM_API_KEY" in os.environ)
event = calendar.event_set(data={{"title": {title!r}, "start_time": "2026-05-08T10:00:00Z",
                                  "end_time": "2026-05-08T11:00:00Z"}})
print("created", event["id"])
''')



def unique_title() -> str:
    return f"Agent test {uuid.uuid4().hex[:10]}"


def run_agent(llm: FakeLlmServer, services: str, prompt: str, **inputs):
    return run_flow(AGENT_FLOW, {"prompt": prompt, **inputs}, agent_env(llm.base_url, services))


def titles(calendar: CalendarServer):
    return [event["title"] for event in calendar.call("event.list")]


def assert_seq_gap_free(run):
    seqs = [event["seq"] for event in run.events]
    assert seqs == list(range(1, len(seqs) + 1)), seqs


# ---------------------------------------------------------------- scenario 1

def test_creates_event_with_spans_nested_and_tokens(calendar, workdir):
    title = unique_title()
    with FakeLlmServer([SELECT_CALENDAR, good_script(title), VERIFY_DONE], api_key="test-key",
                       script_dir=workdir) as llm:
        run = run_agent(llm, f"calendar={calendar.url}",
                        f"Create an event called {title!r} tomorrow at 10:00")
        requests = llm.requests()
    assert run.returncode == 0, run.describe()
    assert titles(calendar).count(title) == 1

    output = run.output
    assert output["services"] == ["calendar"] and output["attempts"] == 1
    assert "created event" in output["stdout"] and title in output["stdout"]
    assert "llm key visible: False" in output["stdout"]
    assert "calendar.event_set(" in output["script"]
    assert_seq_gap_free(run)

    root = next(s for s in run.spans.values() if s["parent_id"] is None)
    assert root["name"] == "service_agent_v3" and root["kind"] == "flow"
    for name in ("discover_services", "select_services", "generate_stubs", "generate_code",
                 "execute", "verify"):
        assert run.one(name)["parent_id"] == root["id"], run.tree()
        assert run.one(name)["status"] == "ok", run.describe()

    discover = run.one("discover_services")
    assert [c["name"] for c in discover.children] == ["calendar.rpc.discover"]
    assert discover.children[0]["kind"] == "rpc"

    execute = run.one("execute")
    assert execute["kind"] == "subprocess"
    assert execute["tags"]["process.exit_code"] == 0 and execute["tags"]["attempt"] == 1
    event_set = [c for c in execute.children if c["name"] == "calendar.event.set"]
    assert len(event_set) == 1, run.tree()
    assert event_set[0]["kind"] == "rpc" and event_set[0]["status"] == "ok"
    assert event_set[0]["tags"]["rpc.params"]["data"]["title"] == title
    assert title in log_text(execute)

    stubs = run.one("generate_stubs")
    assert "def event_set(self, *, data):" in log_text(stubs)
    assert stubs["tags"]["code.size"] > 500
    code = run.one("generate_code")
    assert code["tags"]["code.size"] == len(output["script"])
    assert "calendar.event_set(" in log_text(code)

    llm_spans = [s for s in run.spans.values() if s["kind"] == "llm"]
    assert sorted(run.spans[s["parent_id"]]["name"] for s in llm_spans) == [
        "generate_code", "select_services", "verify"]
    tokens = run.of_type("tokens")
    assert len(tokens) == 3
    assert all(t["input_tokens"] > 0 and t["output_tokens"] > 0 for t in tokens)
    assert sum(t["input_tokens"] for t in tokens) == sum(
        s["tags"]["gen_ai.usage.input_tokens"] for s in llm_spans)
    assert all(s["tags"]["gen_ai.request.model"] == "fake-model" for s in llm_spans)
    assert output["tokens"] == {"input": sum(t["input_tokens"] for t in tokens),
                                "output": sum(t["output_tokens"] for t in tokens)}

    assert output["judged"] == {"done": True, "reason": "the event was created", "by": "model", "calls": 1}
    verify = run.one("verify")
    assert verify["tags"]["herologic.verify.by"] == "model" and verify["tags"]["herologic.verify.done"] is True
    assert len(requests) == 3
    verify_prompt = requests[2]["body"]["messages"][-1]["content"]
    assert '"method": "event.set"' in verify_prompt and title in verify_prompt and "created event" in verify_prompt
    assert requests[2]["body"]["response_format"]["json_schema"]["schema"]["required"] == ["done", "reason"]
    assert all(r["authorization"] == "Bearer test-key" for r in requests)
    assert all(r["body"]["model"] == "fake-model" for r in requests)
    select_prompt = json.dumps(requests[0]["body"]["messages"])
    assert "calendar" in select_prompt and title in select_prompt and "event.set" in select_prompt
    code_prompt = requests[1]["body"]["messages"]
    assert "every field" in code_prompt[0]["content"].lower()
    assert "def event_set(self, *, data):" in code_prompt[1]["content"]


def test_model_input_overrides_the_configured_default(calendar, workdir):
    title = unique_title()
    with FakeLlmServer([SELECT_CALENDAR, good_script(title), VERIFY_DONE], script_dir=workdir) as llm:
        run = run_agent(llm, f"calendar={calendar.url}", f"Create {title}", model="other-model")
        requests = llm.requests()
    assert run.returncode == 0, run.describe()
    assert [r["body"]["model"] for r in requests] == ["other-model"] * 3
    assert run.output["model"] == "other-model"


# ---------------------------------------------------------------- scenario 2

def test_debug_attempt_fixes_a_failing_script(calendar, workdir):
    title = unique_title()
    replies = [SELECT_CALENDAR, incomplete_script(title), good_script(title), VERIFY_DONE]
    with FakeLlmServer(replies, script_dir=workdir) as llm:
        run = run_agent(llm, f"calendar={calendar.url}", f"Create an event called {title}")
        requests = llm.requests()
    assert run.returncode == 0, run.describe()
    assert run.output["attempts"] == 2
    assert titles(calendar).count(title) == 1
    assert_seq_gap_free(run)

    assert [s["tags"]["attempt"] for s in run.named("generate_code")] == [1]
    assert [s["tags"]["attempt"] for s in run.named("debug")] == [2]
    executes = sorted(run.named("execute"), key=lambda s: s["tags"]["attempt"])
    assert [s["status"] for s in executes] == ["error", "ok"], run.describe()
    failed_call = [c for c in executes[0].children if c["name"] == "calendar.event.set"]
    assert failed_call and failed_call[0]["status"] == "error"
    assert failed_call[0]["tags"]["rpc.jsonrpc.error_code"] == -32602
    assert "missing field `location`" in failed_call[0]["error"]["message"]
    assert executes[0]["tags"]["process.exit_code"] == 1
    assert "Traceback" in log_text(executes[0])

    assert len(requests) == 4
    debug_prompt = requests[2]["body"]["messages"]
    feedback = debug_prompt[-1]["content"]
    assert "missing field `location`" in feedback
    assert "Traceback (most recent call last)" in feedback
    assert "Attempt 1 of 3 failed" in feedback
    assert "The code that ran (ran block 1 (python) of 1 (imports the stubs))" in feedback
    assert '"method": "event.set"' in feedback and 'missing field `location` in Event"}' in feedback
    assert debug_prompt[-2]["role"] == "assistant" and '"start_time"' in debug_prompt[-2]["content"]


# ---------------------------------------------------------------- scenario 3

def test_gives_up_when_no_reply_has_code(calendar, workdir):
    script = {"replies": [SELECT_CALENDAR], "default": "Sorry, I would rather not write code."}
    with FakeLlmServer(script, script_dir=workdir) as llm:
        run = run_agent(llm, f"calendar={calendar.url}", "Create an event", max_attempts=2)
        requests = llm.requests()
    assert run.returncode == 1, run.describe()
    assert run.error_message == ("no working script after 2 attempts: "
                                 "the reply contained no ```python code block")
    assert len(requests) == 3
    assert not run.named("execute")
    assert [s["status"] for s in run.named("generate_code") + run.named("debug")] == ["error", "error"]
    assert "no ```python code block" in requests[2]["body"]["messages"][-1]["content"]


def test_gives_up_when_every_script_fails(calendar, workdir):
    title = unique_title()
    script = {"replies": [SELECT_CALENDAR], "default": incomplete_script(title)}
    with FakeLlmServer(script, script_dir=workdir) as llm:
        run = run_agent(llm, f"calendar={calendar.url}", "Create an event", max_attempts=2)
    assert run.returncode == 1, run.describe()
    assert run.error_message.startswith("no working script after 2 attempts: "
                                        "the script exited with code 1: ")
    assert "missing field `location`" in run.error_message
    assert len(run.named("execute")) == 2
    assert title not in titles(calendar)


def test_script_timeout_kills_it(calendar, workdir):
    sleepy = python_block("import time\nprint('working', flush=True)\ntime.sleep(60)\n")
    with FakeLlmServer({"replies": [SELECT_CALENDAR], "default": sleepy}, script_dir=workdir) as llm:
        run = run_agent(llm, f"calendar={calendar.url}", "Wait", max_attempts=1, timeout_seconds=1)
    assert run.returncode == 1, run.describe()
    assert run.error_message == ("no working script after 1 attempt: "
                                 "the script did not finish within 1s and was killed")
    execute = run.one("execute")
    assert execute["error"]["type"].endswith("TimeoutExpired")
    assert execute["tags"]["process.timed_out"] is True
    assert "working" in log_text(execute)


def test_syntax_error_is_fed_back_without_running(calendar, workdir):
    title = unique_title()
    replies = [SELECT_CALENDAR, python_block("print('unclosed'\n"), good_script(title), VERIFY_DONE]
    with FakeLlmServer(replies, script_dir=workdir) as llm:
        run = run_agent(llm, f"calendar={calendar.url}", f"Create {title}")
        requests = llm.requests()
    assert run.returncode == 0, run.describe()
    assert run.output["attempts"] == 2 and len(run.named("execute")) == 1
    assert "SyntaxError" in requests[2]["body"]["messages"][-1]["content"]


def test_documented_demo_script(calendar):
    """flows/examples/fake_llm/calendar-demo.json, served by the CLI as the README shows."""
    demo = os.path.join(EXAMPLES_DIR, "fake_llm", "calendar-demo.json")
    before = titles(calendar).count("Team sync")
    with FakeLlmServer(None, api_key="test-key", script_file=demo) as llm:
        run = run_agent(llm, f"calendar={calendar.url}", "Create Team sync tomorrow at 10")
    assert run.returncode == 0, run.describe()
    assert run.output["attempts"] == 2
    assert titles(calendar).count("Team sync") == before + 1


# ---------------------------------------------------------------- judged success

def test_a_script_that_calls_nothing_is_not_done_and_the_next_attempt_is(calendar, workdir):
    title = unique_title()
    idle = python_block("from services import calendar\nprint('all done!')\n")
    with FakeLlmServer([SELECT_CALENDAR, idle, good_script(title), VERIFY_DONE], script_dir=workdir) as llm:
        run = run_agent(llm, f"calendar={calendar.url}", f"Create an event called {title}")
        requests = llm.requests()
    assert run.returncode == 0, run.describe()
    assert run.output["attempts"] == 2 and titles(calendar).count(title) == 1
    assert run.output["judged"]["by"] == "model" and run.output["judged"]["done"] is True
    first, second = sorted(run.named("verify"), key=lambda s: s["tags"]["attempt"])
    # judged by the rule, without asking the model: 4 requests, not 5
    assert first["tags"]["herologic.verify.by"] == "rule" and first["tags"]["herologic.verify.done"] is False
    assert first["status"] == "error" and not first.children
    assert second["tags"]["herologic.verify.by"] == "model" and second["status"] == "ok"
    assert len(requests) == 4
    feedback = requests[2]["body"]["messages"][-1]["content"]
    assert feedback.startswith("Attempt 1 of 3 failed: the script ran but the request is not done: "
                               "the script called no service")
    assert "(none: the script called no service)" in feedback and "all done!" in feedback


def test_the_models_verdict_not_done_feeds_the_next_attempt(calendar, workdir):
    title = unique_title()
    wrong = python_block("from services import calendar\nprint(len(calendar.event_list()), 'events')\n")
    not_done = '```json\n{"done": false, "reason": "it only listed events; nothing was created"}\n```'
    replies = [SELECT_CALENDAR, wrong, not_done, good_script(title), VERIFY_DONE]
    with FakeLlmServer(replies, script_dir=workdir) as llm:
        run = run_agent(llm, f"calendar={calendar.url}", f"Create an event called {title}")
        requests = llm.requests()
    assert run.returncode == 0, run.describe()
    assert run.output["attempts"] == 2
    verify_prompt = requests[2]["body"]["messages"][-1]["content"]
    assert '"method": "event.list"' in verify_prompt and "events" in verify_prompt
    feedback = requests[3]["body"]["messages"][-1]["content"]
    assert "not done: it only listed events; nothing was created" in feedback


def test_an_unreadable_verdict_is_asked_again_once_then_fails(calendar, workdir):
    title = unique_title()
    replies = [SELECT_CALENDAR, good_script(title), "Looks good to me!", "Yes, done."]
    with FakeLlmServer(replies, script_dir=workdir) as llm:
        run = run_agent(llm, f"calendar={calendar.url}", f"Create an event called {title}")
        count = len(llm.requests())
    assert run.returncode == 1, run.describe()
    assert count == 4
    assert run.error_message.startswith("the LLM's verify answer could not be read, even after asking again: "
                                        "the reply holds no JSON value")
