"""service_agent_v3 on bad input and broken dependencies: each ends with a clear error,
quickly (short timeouts), never a hang. Real runner process, real servers."""
from __future__ import annotations

import os
import sys
import time
import uuid

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_support import (AGENT_FLOW, CalendarServer, FakeLlmServer, JsonHttpServer,  # noqa: E402
                           agent_env, free_port, jsonrpc_answer, log_text, python_block, run_flow)

SELECT_CALENDAR = '["calendar"]'
VERIFY_DONE = '{"done": true, "reason": "created"}'


def good_script(title: str) -> str:
    return python_block(f'''
from services import calendar
event = calendar.event_set(data={{"title": {title!r}, "start_time": "2026-05-08T10:00:00Z",
    "end_time": "2026-05-08T11:00:00Z", "location": "", "description": "", "attendees": []}})
print("created", event["id"])
''')



def agent(llm_url, services, prompt="Create an event called Review", env=None, **inputs):
    started = time.monotonic()
    run = run_flow(AGENT_FLOW, {"prompt": prompt, **inputs},
                   agent_env(llm_url, services, **(env or {})), timeout=60)
    run.seconds = time.monotonic() - started
    return run


def root_error(run):
    root = next(s for s in run.spans.values() if s["parent_id"] is None)
    return root["error"]["message"]


# ---------------------------------------------------------------- inputs and configuration

@pytest.mark.parametrize("prompt", ["", "   \n"])
def test_empty_prompt_fails_at_once(calendar, workdir, prompt):
    with FakeLlmServer([SELECT_CALENDAR], script_dir=workdir) as llm:
        run = agent(llm.base_url, f"calendar={calendar.url}", prompt=prompt)
        assert llm.requests() == []
    assert run.returncode == 1, run.describe()
    assert run.error_message == "the prompt is empty: say what the agent should do"
    assert root_error(run) == run.error_message
    assert not run.named("discover_services")


def test_missing_prompt_input_is_a_usage_error(calendar):
    run = run_flow(AGENT_FLOW, {}, agent_env("http://127.0.0.1:1/v1", f"calendar={calendar.url}"))
    assert run.returncode == 2, run.describe()
    assert "prompt" in run.error_message and "required" in run.error_message


def test_llm_not_configured_locally_names_the_variable(calendar):
    env = agent_env("", f"calendar={calendar.url}")
    del env["HEROLOGIC_LLM_BASE_URL"]
    run = run_flow(AGENT_FLOW, {"prompt": "x"}, env)
    assert run.returncode == 1
    assert run.error_message == ("no LLM base URL: set HEROLOGIC_LLM_BASE_URL "
                                 "(an OpenAI-compatible endpoint, e.g. https://api.openai.com/v1)")


def test_no_model_configured(calendar):
    run = run_flow(AGENT_FLOW, {"prompt": "x"},
                   agent_env("http://127.0.0.1:1/v1", f"calendar={calendar.url}",
                             HEROLOGIC_LLM_MODEL=""))
    assert run.returncode == 1
    assert run.error_message == "no model: set the `model` input or HEROLOGIC_LLM_MODEL"


# What a Play's Pod gets: no LLM variable whose Secret key is missing (the operator marks
# those optional), the Secret's name, the Play's name and namespace.
IN_A_PLAY = {"HEROLOGIC_PLAY_NAME": "agent-x1", "HEROLOGIC_PLAY_NAMESPACE": "team-a",
             "HEROLOGIC_LLM_SECRET": "herologic-llm"}


def test_in_a_play_a_missing_base_url_names_the_secret_key_and_the_field(calendar):
    env = agent_env("", f"calendar={calendar.url}", **IN_A_PLAY)
    del env["HEROLOGIC_LLM_BASE_URL"]
    run = run_flow(AGENT_FLOW, {"prompt": "x"}, env)
    assert run.returncode == 1, run.describe()
    assert run.error_message == (
        "no LLM base URL: set key `baseUrl` of Secret `herologic-llm` in namespace `team-a`, "
        "or `spec.llm.baseUrl` on the Workflow or Play (an OpenAI-compatible endpoint, e.g. https://api.openai.com/v1)")


def test_in_a_play_a_bad_base_url_and_a_missing_model_name_the_secret_key(calendar):
    bad = run_flow(AGENT_FLOW, {"prompt": "x"}, agent_env("ftp://llm", f"calendar={calendar.url}", **IN_A_PLAY))
    assert bad.error_message == ("the LLM base URL must be an http(s) URL, got 'ftp://llm': fix key `baseUrl` of "
                                 "Secret `herologic-llm` in namespace `team-a`, or `spec.llm.baseUrl` on the "
                                 "Workflow or Play")
    env = agent_env("http://127.0.0.1:1/v1", f"calendar={calendar.url}", **IN_A_PLAY)
    del env["HEROLOGIC_LLM_MODEL"]
    no_model = run_flow(AGENT_FLOW, {"prompt": "x"}, env)
    assert no_model.error_message == ("no model: set the `model` input or key `model` of Secret `herologic-llm` "
                                      "in namespace `team-a`, or `spec.llm.model` on the Workflow or Play")


def test_in_a_play_whose_workflow_declares_no_llm(calendar):
    env = agent_env("", f"calendar={calendar.url}", HEROLOGIC_PLAY_NAME="agent-x1",
                    HEROLOGIC_PLAY_NAMESPACE="team-a")
    for name in ("HEROLOGIC_LLM_BASE_URL", "HEROLOGIC_LLM_MODEL", "HEROLOGIC_LLM_API_KEY"):
        del env[name]
    run = run_flow(AGENT_FLOW, {"prompt": "x"}, env)
    assert run.returncode == 1, run.describe()
    assert run.error_message.startswith(
        "no LLM base URL: set `spec.llm.baseUrl` on the Workflow (this Play's Workflow declares no `spec.llm`, "
        "so its Pods get no LLM settings)")


# ---------------------------------------------------------------- discovery

def test_unreachable_service_alone_is_a_clear_error(workdir):
    dead = f"http://127.0.0.1:{free_port()}/rpc"
    with FakeLlmServer([SELECT_CALENDAR], script_dir=workdir) as llm:
        run = agent(llm.base_url, f"calendar={dead}")
        assert llm.requests() == []
    assert run.returncode == 1, run.describe()
    message = run.error_message
    assert message.startswith("no discoverable service in HEROLOGIC_SERVICES "
                              "(label herologic.io/discover=true); failed: calendar (")
    assert "cannot reach" in message
    rpc = run.one("calendar.rpc.discover")
    assert rpc["status"] == "error" and rpc["parent_id"] == run.one("discover_services")["id"]
    assert run.one("discover_services")["tags"]["herologic.discovery"] == "env", "set by hand, outside a Play"


def test_unreachable_service_is_skipped_when_another_works(calendar, workdir):
    title = f"Skip {uuid.uuid4().hex[:8]}"
    dead = f"http://127.0.0.1:{free_port()}/rpc"
    with FakeLlmServer([SELECT_CALENDAR, good_script(title), VERIFY_DONE], script_dir=workdir) as llm:
        run = agent(llm.base_url, f"ghost={dead},calendar={calendar.url}")
        select_prompt = str(llm.requests()[0]["body"]["messages"])
    assert run.returncode == 0, run.describe()
    assert run.one("ghost.rpc.discover")["status"] == "error"
    assert run.one("calendar.rpc.discover")["status"] == "ok"
    assert "skipping ghost" in log_text(run.one("discover_services"))
    assert "ghost" not in select_prompt
    assert title in [e["title"] for e in calendar.call("event.list")]


def test_empty_services_from_the_operator_is_an_error_without_asking_the_api(workdir):
    # The operator found no discoverable Service: HEROLOGIC_SERVICES is set but empty. The
    # agent has no API token then; even with an API server reachable it must not fall back.
    with JsonHttpServer(lambda m, p, b: (200, {"kind": "ServiceList", "items": []})) as api, \
            FakeLlmServer([SELECT_CALENDAR], script_dir=workdir) as llm:
        run = agent(llm.base_url, "", env={"HEROLOGIC_KUBE_API_URL": api.url, **IN_A_PLAY})
        paths, asked_llm = list(api.paths), llm.requests()
    assert run.returncode == 1, run.describe()
    assert run.error_message == ("no discoverable service in namespace team-a "
                                 "(label herologic.io/discover=true)")
    assert paths == [] and asked_llm == []
    discover = run.one("discover_services")
    # In a Play only the operator sets HEROLOGIC_SERVICES: the trace says it chose the services.
    assert discover["tags"]["herologic.discovery"] == "operator" and discover["tags"]["k8s.namespace.name"] == "team-a"


def test_unreachable_service_from_the_operator_names_the_namespace(workdir):
    dead = f"http://127.0.0.1:{free_port()}/rpc"
    run = agent("http://127.0.0.1:1/v1", f"calendar={dead}", env=IN_A_PLAY)
    assert run.returncode == 1, run.describe()
    assert run.error_message.startswith("no discoverable service in namespace team-a "
                                        "(label herologic.io/discover=true); failed: calendar (")


def test_no_discoverable_service_in_namespace(workdir):
    def kube(method, path, body):
        return 200, {"kind": "ServiceList", "items": []}
    with JsonHttpServer(kube) as api, FakeLlmServer([SELECT_CALENDAR], script_dir=workdir) as llm:
        run = agent(llm.base_url, None, env={"HEROLOGIC_KUBE_API_URL": api.url,
                                             "HEROLOGIC_PLAY_NAMESPACE": "team-a"})
        paths = list(api.paths)
    assert run.returncode == 1, run.describe()
    assert run.error_message == ("no discoverable service in namespace team-a "
                                 "(label herologic.io/discover=true)")
    assert paths == ["/api/v1/namespaces/team-a/services?labelSelector=herologic.io%2Fdiscover%3Dtrue"]


def test_kubernetes_discovery_uses_annotation_url(calendar, workdir):
    title = f"Kube {uuid.uuid4().hex[:8]}"
    services = {"kind": "ServiceList", "items": [
        {"metadata": {"name": "calendar", "namespace": "team-a",
                      "annotations": {"herologic.io/rpc-url": calendar.url}},
         "spec": {"ports": [{"port": 8080}]}},
        {"metadata": {"name": "portless", "namespace": "team-a"}, "spec": {}},
    ]}
    with JsonHttpServer(lambda m, p, b: (200, services)) as api, \
            FakeLlmServer([SELECT_CALENDAR, good_script(title), VERIFY_DONE], script_dir=workdir) as llm:
        run = agent(llm.base_url, None, env={"HEROLOGIC_KUBE_API_URL": api.url,
                                             "HEROLOGIC_PLAY_NAMESPACE": "team-a"})
    assert run.returncode == 0, run.describe()
    discover = run.one("discover_services")
    assert discover["tags"]["k8s.namespace.name"] == "team-a"
    assert discover["tags"]["herologic.discovery"] == "kubernetes"
    assert "skipping Service portless" in log_text(discover)
    assert title in [e["title"] for e in calendar.call("event.list")]


def test_forbidden_service_listing(workdir):
    def kube(method, path, body):
        return 403, {"kind": "Status", "status": "Failure", "reason": "Forbidden",
                     "message": 'services is forbidden: User "system:serviceaccount:team-a:default" '
                                'cannot list resource "services"'}
    with JsonHttpServer(kube) as api, FakeLlmServer([SELECT_CALENDAR], script_dir=workdir) as llm:
        run = agent(llm.base_url, None, env={"HEROLOGIC_KUBE_API_URL": api.url,
                                             "HEROLOGIC_PLAY_NAMESPACE": "team-a"})
    assert run.returncode == 1, run.describe()
    assert run.error_message.startswith(
        "cannot list the Services of namespace team-a: HTTP 403: services is forbidden")
    assert run.error_message.endswith("(the Workflow's service account needs get and list on services)")


@pytest.mark.parametrize("attempts", [0, 11])
def test_max_attempts_is_bounded(calendar, attempts):
    run = run_flow(AGENT_FLOW, {"prompt": "x", "max_attempts": attempts},
                   agent_env("http://127.0.0.1:1/v1", f"calendar={calendar.url}"))
    assert run.returncode == 1
    assert run.error_message == f"max_attempts must be between 1 and 10, got {attempts}"


def test_not_in_a_cluster_and_no_services_configured(workdir):
    with FakeLlmServer([SELECT_CALENDAR], script_dir=workdir) as llm:
        run = agent(llm.base_url, None)
    assert run.returncode == 1, run.describe()
    assert "no service account token" in run.error_message
    assert run.one("discover_services")["status"] == "error"


@pytest.mark.parametrize("document, problem", [
    ({"openrpc": "1.2.6", "info": {"title": "broken", "version": "1"}},
     "'methods' is missing or empty"),
    ("not a document", "rpc.discover returned str, not an object"),
    ({"openrpc": "1.2.6", "methods": [{"summary": "nameless"}]}, "methods[0] has no 'name'"),
    ({"openrpc": "1.2.6", "methods": [{"name": "x.y", "params": [{"name": "a"}]}]},
     "method 'x.y' param 'a' has no 'schema'"),
    ({"openrpc": "1.2.6", "methods": [{"name": "x.y", "params": [
        {"name": "a", "schema": {"$ref": "#/components/schemas/Missing"}}]}]},
     "method 'x.y' param 'a' refers to '#/components/schemas/Missing', "
     "which is not in the document"),
    ({"openrpc": "2.0.0", "methods": [{"name": "x.y", "params": []}]}, "openrpc version '2.0.0' is not 1.x"),
    ({"openrpc": "1.2.6", "methods": [{"name": "x.y", "params": [
        {"name": "a", "schema": {"$ref": "https://example.com/schemas/a.json"}}]}]},
     "method 'x.y' param 'a' refers to 'https://example.com/schemas/a.json': "
     "only references inside the document (#/...) are supported"),
    ({"openrpc": "1.2.6", "methods": [{"name": "x.y", "params": [{"$ref": "#/components/contentDescriptors/A"}]}],
      "components": {"contentDescriptors": {"A": {"$ref": "#/components/contentDescriptors/A"}}}},
     "method 'x.y' params[0] has a $ref cycle: #/components/contentDescriptors/A -> "
     "#/components/contentDescriptors/A"),
])
def test_invalid_openrpc_document(workdir, document, problem):
    with JsonHttpServer(jsonrpc_answer(document)) as broken, \
            FakeLlmServer(['["broken"]'], script_dir=workdir) as llm:
        run = agent(llm.base_url, f"broken={broken.url}/rpc")
    reason = f"invalid OpenRPC document from service 'broken': {problem}"
    assert run.returncode == 1, run.describe()
    assert run.error_message.endswith(f"; failed: {reason}"), run.describe()
    bad = run.one("openrpc broken")
    assert bad["status"] == "error" and bad["error"]["message"] == reason
    assert run.spans[bad["parent_id"]]["name"] == "discover_services"
    assert not run.named("select_services") and not run.named("generate_stubs")


def test_a_broken_document_next_to_a_good_one_leaves_only_that_service_out(calendar, workdir):
    title = f"Beside broken {uuid.uuid4().hex[:8]}"
    broken_document = {"openrpc": "1.2.6", "info": {"title": "mail", "version": "1"},
                       "methods": [{"name": "send", "params": [{"name": "to"}]}]}
    with JsonHttpServer(jsonrpc_answer(broken_document)) as broken, \
            FakeLlmServer([SELECT_CALENDAR, good_script(title), VERIFY_DONE], script_dir=workdir) as llm:
        run = agent(llm.base_url, f"mail={broken.url}/rpc,calendar={calendar.url}")
        requests = llm.requests()
    assert run.returncode == 0, run.describe()
    assert run.output["services"] == ["calendar"]
    bad = run.one("openrpc mail")
    assert bad["error"]["message"] == ("invalid OpenRPC document from service 'mail': "
                                       "method 'send' param 'to' has no 'schema'")
    discover = run.one("discover_services")
    assert discover["status"] == "ok" and discover["tags"]["herologic.services.found"] == ["calendar"]
    assert '"name": "mail"' not in requests[0]["body"]["messages"][-1]["content"]  # not offered to the model


def test_llm_selects_nothing_known(calendar, workdir):
    with FakeLlmServer(['["weather", "mail"]', 'I would pick {"services": ["Weather"]}'],
                       script_dir=workdir) as llm:
        run = agent(llm.base_url, f"calendar={calendar.url}")
        requests = llm.requests()
    assert run.returncode == 1, run.describe()
    assert run.error_message.startswith(
        "the LLM's select_services answer could not be read, even after asking again: "
        "'Weather' is not one of the available services (calendar)")
    assert run.one("select_services")["status"] == "error"
    assert len(requests) == 2  # one repair attempt, no more
    repair = requests[1]["body"]["messages"]
    assert repair[-2] == {"role": "assistant", "content": '["weather", "mail"]'}
    assert repair[-1]["content"].startswith(
        "Your answer could not be read: 'weather' is not one of the available services (calendar).")


def test_selection_is_repaired_once_and_case_insensitive(calendar, workdir):
    title = f"Repair {uuid.uuid4().hex[:8]}"
    replies = ["The calendar service, obviously.", '{"services": ["CALENDAR"]}', good_script(title), VERIFY_DONE]
    with FakeLlmServer(replies, script_dir=workdir) as llm:
        run = agent(llm.base_url, f"calendar={calendar.url}")
        requests = llm.requests()
    assert run.returncode == 0, run.describe()
    assert run.output["services"] == ["calendar"]
    assert "the reply holds no JSON value" in requests[1]["body"]["messages"][-1]["content"]
    assert [s["tags"]["herologic.purpose"] for s in run.one("select_services").children] == [
        "select_services", "select_services (repair)"]


# ---------------------------------------------------------------- the LLM endpoint

def test_llm_rejects_api_key(calendar, workdir):
    with FakeLlmServer([SELECT_CALENDAR], api_key="the-right-key", script_dir=workdir) as llm:
        run = agent(llm.base_url, f"calendar={calendar.url}")
        statuses = [r["status"] for r in llm.requests()]
    assert run.returncode == 1, run.describe()
    assert run.error_message.startswith("LLM endpoint rejected the API key (401)")
    assert run.error_message.endswith(" — check HEROLOGIC_LLM_API_KEY")
    assert statuses == [401]  # not retried
    llm_span = next(s for s in run.spans.values() if s["kind"] == "llm")
    assert llm_span["status"] == "error" and "401" in llm_span["error"]["message"]


def test_in_a_play_a_rejected_key_names_the_secret_key_and_the_field(calendar, workdir):
    with FakeLlmServer([SELECT_CALENDAR], api_key="the-right-key", script_dir=workdir) as llm:
        run = agent(llm.base_url, f"calendar={calendar.url}", env=IN_A_PLAY)
    assert run.returncode == 1, run.describe()
    assert run.error_message.startswith("LLM endpoint rejected the API key (401)")
    assert run.error_message.endswith(" — check key `apiKey` of Secret `herologic-llm` in namespace `team-a`, "
                                      "or `spec.llm.apiKeySecretRef` on the Workflow or Play")


def test_rate_limit_then_success_is_retried(calendar, workdir):
    title = f"Retry {uuid.uuid4().hex[:8]}"
    replies = [{"status": 429, "headers": {"Retry-After": "0.2"}}, {"status": 503},
               SELECT_CALENDAR, good_script(title), VERIFY_DONE]
    with FakeLlmServer(replies, script_dir=workdir) as llm:
        run = agent(llm.base_url, f"calendar={calendar.url}")
        requests = llm.requests()
    assert run.returncode == 0, run.describe()
    assert [r["status"] for r in requests] == [429, 503, 200, 200, 200]
    assert requests[1]["time"] - requests[0]["time"] >= 0.2  # Retry-After honoured
    select_llm = run.one("select_services").children[0]
    assert select_llm["status"] == "ok"
    assert select_llm["tags"]["herologic.llm.retries"] == 2
    assert "HTTP 429" in log_text(select_llm) and "HTTP 503" in log_text(select_llm)


def test_server_errors_exhaust_retries(calendar, workdir):
    with FakeLlmServer({"replies": [], "default": {"status": 500}}, script_dir=workdir) as llm:
        run = agent(llm.base_url, f"calendar={calendar.url}", env={"HEROLOGIC_LLM_RETRIES": "2"})
        count = len(llm.requests())
    assert run.returncode == 1, run.describe()
    assert count == 3
    assert "still failing after 3 tries: HTTP 500" in run.error_message


def test_unreachable_llm_endpoint(calendar):
    run = agent(f"http://127.0.0.1:{free_port()}/v1", f"calendar={calendar.url}",
                env={"HEROLOGIC_LLM_RETRIES": "1"})
    assert run.returncode == 1, run.describe()
    assert "still failing after 2 tries: cannot connect" in run.error_message


@pytest.mark.parametrize("reply, message", [
    ({"raw": "<html>Bad gateway</html>"}, "LLM reply is not JSON (HTTP 200): '<html>Bad gateway</html>'"),
    ({"json": {"object": "chat.completion", "choices": []}}, "LLM reply has no choices"),
    ({"json": {"choices": [{"message": {"role": "assistant"}, "finish_reason": "length"}]}},
     "the model used up its max_tokens before writing any answer (finish_reason length"),
])
def test_malformed_llm_reply(calendar, workdir, reply, message):
    with FakeLlmServer([reply], script_dir=workdir) as llm:
        run = agent(llm.base_url, f"calendar={calendar.url}")
    assert run.returncode == 1, run.describe()
    assert run.error_message.startswith(message)
    llm_span = next(s for s in run.spans.values() if s["kind"] == "llm")
    assert llm_span["status"] == "error"


def test_llm_timeout_is_a_clear_error(calendar, workdir):
    with FakeLlmServer([{"content": SELECT_CALENDAR, "delay": 5}], script_dir=workdir) as llm:
        run = agent(llm.base_url, f"calendar={calendar.url}", env={"HEROLOGIC_LLM_TIMEOUT_S": "0.5"})
    assert run.returncode == 1, run.describe()
    assert run.error_message.endswith("/chat/completions did not answer within 0.5s")
    assert run.seconds < 4


def test_slow_service_times_out(workdir):
    def slow(method, path, body):
        time.sleep(3)
        return 200, {"jsonrpc": "2.0", "id": 1, "result": {}}
    with JsonHttpServer(slow) as server, FakeLlmServer([SELECT_CALENDAR], script_dir=workdir) as llm:
        run = agent(llm.base_url, f"calendar={server.url}/rpc", env={"HEROLOGIC_RPC_TIMEOUT_S": "0.5"})
    assert run.returncode == 1, run.describe()
    assert "within 0.5s" in run.error_message
    assert run.one("calendar.rpc.discover")["status"] == "error"


# ---------------------------------------------------------------- request settings and cut replies

def test_max_tokens_and_temperature_are_settings_and_inputs(calendar, workdir):
    title = f"Settings {uuid.uuid4().hex[:8]}"
    with FakeLlmServer([SELECT_CALENDAR, good_script(title), VERIFY_DONE], script_dir=workdir) as llm:
        run = agent(llm.base_url, f"calendar={calendar.url}",
                    env={"HEROLOGIC_LLM_MAX_TOKENS": "777", "HEROLOGIC_LLM_TEMPERATURE": "0.3"})
        configured = [r["body"] for r in llm.requests()]
    assert run.returncode == 0, run.describe()
    assert {(b["max_tokens"], b["temperature"]) for b in configured} == {(777, 0.3)}
    with FakeLlmServer([SELECT_CALENDAR, good_script(title), VERIFY_DONE], script_dir=workdir) as llm:
        run = agent(llm.base_url, f"calendar={calendar.url}", env={"HEROLOGIC_LLM_MAX_TOKENS": "777"},
                    max_tokens=55, temperature=0)
        overridden = [r["body"] for r in llm.requests()]
    assert run.returncode == 0, run.describe()
    assert {(b["max_tokens"], b["temperature"]) for b in overridden} == {(55, 0)}
    with FakeLlmServer([SELECT_CALENDAR, good_script(title), VERIFY_DONE], script_dir=workdir) as llm:
        run = agent(llm.base_url, f"calendar={calendar.url}")
        unset = [r["body"] for r in llm.requests()]
    assert run.returncode == 0, run.describe()
    assert not any("max_tokens" in b or "temperature" in b for b in unset)  # the endpoint's defaults


def test_bad_setting_is_named(calendar, workdir):
    with FakeLlmServer([SELECT_CALENDAR], script_dir=workdir) as llm:
        run = agent(llm.base_url, f"calendar={calendar.url}", env={"HEROLOGIC_LLM_MAX_TOKENS": "lots"})
    assert run.returncode == 1, run.describe()
    assert run.error_message == "HEROLOGIC_LLM_MAX_TOKENS must be an integer, got 'lots'"


def test_a_400_naming_an_unsupported_parameter_is_retried_once_without_it(calendar, workdir):
    title = f"Refused {uuid.uuid4().hex[:8]}"
    refusal = {"status": 400, "body": {"error": {
        "message": "Unsupported value: 'temperature' does not support 0.2 with this model. "
                   "Only the default (1) value is supported.",
        "type": "invalid_request_error", "param": "temperature", "code": "unsupported_value"}}}
    with FakeLlmServer([refusal, SELECT_CALENDAR, good_script(title), VERIFY_DONE], script_dir=workdir) as llm:
        run = agent(llm.base_url, f"calendar={calendar.url}", temperature=0.2)
        bodies = [r["body"] for r in llm.requests()]
    assert run.returncode == 0, run.describe()
    assert bodies[0]["temperature"] == 0.2
    assert len(bodies) == 4 and not any("temperature" in b for b in bodies[1:])  # dropped for the run
    select_llm = run.one("select_services").children[0]
    assert select_llm["tags"]["herologic.llm.refused_fields"] == ["temperature"]
    assert "the endpoint refused 'temperature'" in log_text(select_llm)


def test_a_400_for_anything_else_is_not_retried(calendar, workdir):
    refusal = {"status": 400, "body": {"error": {"message": "messages: too many", "param": None}}}
    with FakeLlmServer([refusal, SELECT_CALENDAR], script_dir=workdir) as llm:
        run = agent(llm.base_url, f"calendar={calendar.url}", temperature=0.2, max_tokens=100)
        count = len(llm.requests())
    assert run.returncode == 1, run.describe()
    assert count == 1
    assert run.error_message.endswith("answered HTTP 400 for POST "
                                      f"{llm.base_url}/chat/completions: messages: too many")


def test_a_reply_cut_by_the_length_limit_is_continued(calendar, workdir):
    title = f"Continued {uuid.uuid4().hex[:8]}"
    whole = good_script(title)
    half = len(whole) // 2
    replies = [SELECT_CALENDAR, {"content": whole[:half], "finish_reason": "length"},
               {"content": whole[half:]}, VERIFY_DONE]
    with FakeLlmServer(replies, script_dir=workdir) as llm:
        run = agent(llm.base_url, f"calendar={calendar.url}", max_tokens=64)
        requests = llm.requests()
    assert run.returncode == 0, run.describe()
    assert run.output["script"].strip() in whole
    continuation = requests[2]["body"]["messages"]
    assert continuation[-2] == {"role": "assistant", "content": whole[:half]}
    assert continuation[-1]["content"].startswith("Your reply was cut off by the length limit.")
    code_llm = run.one("generate_code").children
    assert [s["tags"]["gen_ai.response.finish_reasons"] for s in code_llm] == [["length"], ["stop"]]


def test_a_reply_cut_for_good_is_reported_as_cut(calendar, workdir):
    cut = {"content": "```python\nfrom services import calendar\n", "finish_reason": "length"}
    with FakeLlmServer({"replies": [SELECT_CALENDAR], "default": cut}, script_dir=workdir) as llm:
        run = agent(llm.base_url, f"calendar={calendar.url}", max_attempts=1, max_tokens=10)
        count = len(llm.requests())
    assert run.returncode == 1, run.describe()
    assert count == 1 + 3  # the first reply and two continuations
    assert run.error_message == (
        "no working script after 1 attempt: the reply was cut by the length limit (finish_reason "
        "length, max_tokens 10) even after 2 continuations: raise the `max_tokens` input or spec.llm.maxTokens")
    assert not run.named("execute")


def test_max_tokens_refused_in_favour_of_max_completion_tokens(calendar, workdir):
    title = f"Completion tokens {uuid.uuid4().hex[:8]}"
    refusal = {"status": 400, "body": {"error": {
        "message": "Unsupported parameter: 'max_tokens' is not supported with this model. "
                   "Use 'max_completion_tokens' instead.",
        "type": "invalid_request_error", "param": "max_tokens", "code": "unsupported_parameter"}}}
    with FakeLlmServer([refusal, SELECT_CALENDAR, good_script(title), VERIFY_DONE], script_dir=workdir) as llm:
        run = agent(llm.base_url, f"calendar={calendar.url}", max_tokens=900)
        bodies = [r["body"] for r in llm.requests()]
    assert run.returncode == 0, run.describe()
    assert bodies[0]["max_tokens"] == 900 and "max_completion_tokens" not in bodies[0]
    assert all(b["max_completion_tokens"] == 900 and "max_tokens" not in b for b in bodies[1:])


def test_response_format_refused_is_dropped_and_the_answer_still_read(calendar, workdir):
    title = f"No schema {uuid.uuid4().hex[:8]}"
    refusal = {"status": 400, "body": {"error": {"message": "response_format json_schema is not supported by this model"}}}
    with FakeLlmServer([refusal, SELECT_CALENDAR, good_script(title), VERIFY_DONE], script_dir=workdir) as llm:
        run = agent(llm.base_url, f"calendar={calendar.url}")
        bodies = [r["body"] for r in llm.requests()]
    assert run.returncode == 0, run.describe()
    assert bodies[0]["response_format"]["type"] == "json_schema"
    assert not any("response_format" in b for b in bodies[1:])
