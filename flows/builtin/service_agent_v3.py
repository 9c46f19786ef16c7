"""service_agent_v3: do what a prompt asks by writing and running a script against the
JSON-RPC services of the Play's namespace.

Steps (each a span): discover_services (Services labelled herologic.io/discover=true,
each asked for its OpenRPC document), select_services (the LLM picks the relevant
ones), generate_stubs (a Python client module from their OpenRPC documents),
generate_code (the LLM writes a script using the stubs), execute (the script runs
as a subprocess; its RPC calls are spans under this one), verify (a script that exited 0
is judged against the prompt: one that called no service is never done; otherwise the
LLM gets the calls it made and its output and answers {"done", "reason"}), and when the
script failed or is not done, debug (the LLM gets the code that ran, its calls, output,
traceback or the verdict's reason, and writes a fix), up to max_attempts. The Play's
output says how the result was judged (`judged`).

Replies. The script is read from fenced blocks of any common form (``` or ~~~, any info
string, CRLF): the last Python block that imports the stubs wins, shell and other
languages and <think> drafts never run (extract_script). Selection and verdicts are
structured answers: a JSON-schema `response_format` (left out when the endpoint refuses
it), read strictly, asked again once with the reason when unreadable (ask_structured). A
reply cut by the length limit is continued, twice at most, then reported as cut.

Configuration. In a Play the operator resolves the LLM settings from the Play's
`spec.llm`, else the Workflow's `spec.llm`, else the namespace's LLM Secret (default
`herologic-llm`, keys `baseUrl`, `model`, `apiKey`); the agent reads them through
`herologic.llm_settings()` (the runner keeps the API key out of the environment, so the
generated script never sees it) and its errors name the Secret key or `spec.llm` field to
fix. The services are the ones the operator found at launch (HEROLOGIC_SERVICES): the
agent's Pod has no Kubernetes API token, and an empty list is an error, never a reason to
ask the API. The discover_services span's tag `herologic.discovery` says where the list came
from: `operator` (in a Play), `env` (HEROLOGIC_SERVICES set by hand) or `kubernetes`. Locally the same environment variables configure it:
  HEROLOGIC_LLM_BASE_URL   OpenAI-compatible base URL ({base}/chat/completions)
  HEROLOGIC_LLM_API_KEY    bearer token for it (may be empty for a local server)
  HEROLOGIC_LLM_MODEL      default model; the `model` input overrides it
  HEROLOGIC_LLM_MAX_TOKENS most tokens per reply (spec.llm.maxTokens); the `max_tokens` input
                           overrides it; unset: not sent
  HEROLOGIC_LLM_TEMPERATURE sampling temperature (spec.llm.temperature); the `temperature`
                           input overrides it; unset: not sent. A 400 that names one of these
                           (or response_format) is retried once without it.
  HEROLOGIC_SERVICES       "name=url,name=url": the services to use; when unset, the
                           Services of HEROLOGIC_PLAY_NAMESPACE are listed through the
                           Kubernetes API (HEROLOGIC_KUBE_API_URL: a plain-HTTP API server
                           URL such as kubectl proxy, else the Pod's service account)
Tuning (local runs and tests): HEROLOGIC_LLM_TIMEOUT_S seconds per LLM request (default
120), HEROLOGIC_LLM_RETRIES extra tries after 429/5xx/connection errors (default 4),
HEROLOGIC_LLM_BACKOFF_S first backoff delay, doubled each retry (default 1),
HEROLOGIC_RPC_TIMEOUT_S seconds per JSON-RPC call, discovery and script (default 30).

Only the standard library and herologic: the operator ships this file as one ConfigMap key.
"""
from __future__ import annotations

import ast
import builtins
import datetime
import json
import keyword
import os
import re
import shutil
import socket
import tempfile
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Optional, Tuple

from herologic import JsonRpcClient, LlmSettings, flow, instrument, llm_settings, llm_span, run_python, step
from herologic.core import active_run
from herologic.kube import KubeApiError, KubeClient

DISCOVER_LABEL = "herologic.io/discover"
URL_ANNOTATION = "herologic.io/rpc-url"
PATH_ANNOTATION = "herologic.io/rpc-path"
STUB_MODULE = "services"
PROMPT_OUTPUT_CHARS = 6000  # of stdout / stderr shown to the LLM when debugging
RETRY_AFTER_MAX_S = 30.0  # a longer Retry-After is not waited for
MAX_ATTEMPTS = 10  # each attempt is an LLM call someone pays for


class AgentError(RuntimeError):
    """A failure of the agent with a message meant for the person reading the Play."""


class LlmError(AgentError):
    """The LLM endpoint could not be used (auth, rate limit, timeout, malformed reply)."""


class OpenRpcError(AgentError):
    """A service's OpenRPC document cannot be turned into a client stub."""


# ---------------------------------------------------------------- configuration

def _env_float(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        raise AgentError(f"{name} must be a number of seconds, got {text!r}") from None


def _cut(text: str, limit: int) -> str:
    """Head and tail of `text` within about `limit` characters."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n… [{len(text) - 2 * half} characters cut] …\n{text[-half:]}"


# ---------------------------------------------------------------- the LLM

#: Request fields the agent may leave out when an endpoint refuses them (HTTP 400 naming one).
OPTIONAL_REQUEST_FIELDS = ("temperature", "max_tokens", "max_completion_tokens", "response_format")
MAX_CONTINUATIONS = 2  # a reply cut by the length limit is continued this many times at most
CONTINUE_PROMPT = ("Your reply was cut off by the length limit. Continue exactly where it stopped, "
                   "without repeating anything and without any preamble.")


class Completion:
    """A reply: its text and whether the length limit cut it (after any continuations)."""

    def __init__(self, text: str, cut: bool) -> None:
        self.text = text
        self.cut = cut


class ChatClient:
    """OpenAI-compatible chat completions over urllib; each call is one llm span."""

    def __init__(self, base_url: str, api_key: str, model: str, timeout: float,
                 retries: int, backoff: float, settings: Optional[LlmSettings] = None,
                 max_tokens: Optional[int] = None, temperature: Optional[float] = None) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.api_key = api_key
        self.settings = settings or LlmSettings()  # for error messages: where each setting comes from
        self.model = model
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.refused: Dict[str, str] = {}  # request field -> the endpoint's 400 message; never sent again
        self.input_tokens = 0
        self.output_tokens = 0

    @classmethod
    def from_settings(cls, settings: LlmSettings, model_input: str, max_tokens: int = 0,
                      temperature: Optional[float] = None) -> "ChatClient":
        """The client for the Play's LLM settings; the inputs (`model`, `max_tokens` > 0,
        `temperature` >= 0) win over the settings."""
        base_url = settings.base_url
        if not base_url:
            raise LlmError(f"no LLM base URL: set {settings.where('baseUrl')} "
                           "(an OpenAI-compatible endpoint, e.g. https://api.openai.com/v1)")
        if not base_url.startswith(("http://", "https://")):
            raise LlmError(f"the LLM base URL must be an http(s) URL, got {base_url!r}: "
                           f"fix {settings.where('baseUrl')}")
        model = (model_input or "").strip() or settings.model
        if not model:
            raise LlmError(f"no model: set the `model` input or {settings.where('model')}")
        retries = int(_env_float("HEROLOGIC_LLM_RETRIES", 4))
        return cls(base_url, settings.api_key, model, _env_float("HEROLOGIC_LLM_TIMEOUT_S", 120.0),
                   max(0, retries), _env_float("HEROLOGIC_LLM_BACKOFF_S", 1.0), settings,
                   max_tokens=max_tokens if max_tokens and max_tokens > 0 else settings.max_tokens,
                   temperature=temperature if temperature is not None and temperature >= 0
                   else settings.temperature)

    def complete(self, messages: List[Dict[str, str]], purpose: str,
                 response_format: Optional[Dict[str, Any]] = None) -> Completion:
        """Send `messages`, return the reply; raises LlmError with a clear message. A reply the
        length limit cut (finish_reason "length") is continued up to MAX_CONTINUATIONS times."""
        text = ""
        conversation = list(messages)
        for continuation in range(MAX_CONTINUATIONS + 1):
            part, reason = self._complete_once(conversation, purpose if not continuation
                                               else f"{purpose} (continuation {continuation})",
                                               response_format, allow_empty=bool(text))
            text += part
            if reason != "length":
                return Completion(text, False)
            conversation = messages + [{"role": "assistant", "content": text},
                                       {"role": "user", "content": CONTINUE_PROMPT}]
        return Completion(text, True)

    def cut_message(self) -> str:
        """What to tell a person when the length limit cut a reply for good."""
        limit = f"max_tokens {self.max_tokens}" if self.max_tokens else "the endpoint's default max_tokens"
        return (f"the reply was cut by the length limit (finish_reason length, {limit}) even after "
                f"{MAX_CONTINUATIONS} continuations: raise the `max_tokens` input or spec.llm.maxTokens")

    def _payload(self, messages: List[Dict[str, str]], response_format: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        payload: Dict[str, Any] = {"model": self.model, "messages": messages}
        if self.temperature is not None:
            payload["temperature"] = self.temperature
        if self.max_tokens:
            key = "max_completion_tokens" if "max_tokens" in self.refused else "max_tokens"
            payload[key] = self.max_tokens
        if response_format is not None:
            payload["response_format"] = response_format
        return {k: v for k, v in payload.items() if k not in self.refused}

    def _complete_once(self, messages: List[Dict[str, str]], purpose: str,
                       response_format: Optional[Dict[str, Any]], allow_empty: bool) -> Tuple[str, Optional[str]]:
        with llm_span(self.model, provider="openai", **{"herologic.purpose": purpose}) as span:
            span.record_prompt(messages)
            reply = self._post(lambda: self._payload(messages, response_format), span)
            text, usage, response_model, reason = _parse_completion(reply, allow_empty)
            span.record_reply(text)
            if reason:
                span.tag(**{"gen_ai.response.finish_reasons": [reason]})
            input_tokens = int(usage.get("prompt_tokens") or 0)
            output_tokens = int(usage.get("completion_tokens") or 0)
            span.record_usage(input_tokens, output_tokens, response_model=response_model)
            self.input_tokens += input_tokens
            self.output_tokens += output_tokens
            if reason == "length":
                span.log("the reply was cut by the length limit (finish_reason length)", level="warning")
            return text, reason

    def _refusable_field(self, payload: Dict[str, Any], status: int, detail: str, param: Optional[str]) -> Optional[str]:
        """The optional request field a 400 answer names (OpenAI: "Unsupported parameter:
        'temperature' ..."), when it is one we sent and have not dropped yet."""
        if status != 400:
            return None
        for field in OPTIONAL_REQUEST_FIELDS:
            if field in payload and field not in self.refused and (
                    param == field or re.search(rf"(?<![\w.]){field}(?![\w])", detail)):
                return field
        return None

    def _post(self, make_payload: Any, span: Any) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        delay = self.backoff
        attempt = 0
        while True:
            last = attempt >= self.retries
            payload = make_payload()
            request = urllib.request.Request(self.url, data=json.dumps(payload).encode("utf-8"),
                                             headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    raw = response.read()
                    status = response.status
                break
            except urllib.error.HTTPError as exc:
                body = exc.read()
                detail = _error_detail(body)
                if exc.code == 401:
                    raise LlmError("LLM endpoint rejected the API key (401)"
                                   + (f": {detail}" if detail else "")
                                   + f" — check {self.settings.where('apiKey')}") from None
                field = self._refusable_field(payload, exc.code, detail, _error_param(body))
                if field is not None:
                    # Retried at once without it (and never sent again): not a transient failure.
                    self.refused[field] = detail
                    span.log(f"the endpoint refused {field!r} (HTTP 400: {detail}); "
                             f"retrying without it", level="warning")
                    span.tag(**{"herologic.llm.refused_fields": sorted(self.refused)})
                    continue
                if exc.code != 429 and exc.code < 500:
                    raise LlmError(f"LLM endpoint answered HTTP {exc.code} for POST {self.url}"
                                   + (f": {detail}" if detail else "")) from None
                problem = f"HTTP {exc.code}" + (f" ({detail})" if detail else "")
                wait = _retry_after(exc.headers.get("Retry-After")) if exc.headers else None
            except (socket.timeout, TimeoutError):
                raise LlmError(f"LLM endpoint {self.url} did not answer within {self.timeout:g}s") from None
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, (socket.timeout, TimeoutError)):
                    raise LlmError(f"LLM endpoint {self.url} did not answer within {self.timeout:g}s") from None
                problem, wait = f"cannot connect: {exc.reason}", None
            except OSError as exc:
                problem, wait = f"connection failed: {exc}", None
            if last:
                raise LlmError(f"LLM endpoint {self.url} still failing after "
                               f"{self.retries + 1} tries: {problem}")
            pause = wait if wait is not None else delay
            span.log(f"LLM request failed ({problem}); retry {attempt + 1} of {self.retries} "
                     f"in {pause:g}s", level="warning")
            span.tag(**{"herologic.llm.retries": attempt + 1})
            time.sleep(pause)
            delay *= 2
            attempt += 1
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise LlmError(f"LLM reply is not JSON (HTTP {status}): "
                           f"{raw[:200].decode('utf-8', 'replace')!r}") from None


def _retry_after(value: Optional[str]) -> Optional[float]:
    """Seconds of a small Retry-After header; None when absent, a date, or too long."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    if seconds is None or seconds < 0 or seconds > RETRY_AFTER_MAX_S:
        return None
    return seconds


def _error_detail(raw: bytes) -> str:
    """The message of an OpenAI-style error body, or the start of the body."""
    try:
        body = json.loads(raw.decode("utf-8"))
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
        if isinstance(error, str):
            return error[:300]
    except (UnicodeDecodeError, ValueError):
        pass
    return raw[:200].decode("utf-8", "replace").strip()


def _error_param(raw: bytes) -> Optional[str]:
    """The `param` an OpenAI-style error body names, if any."""
    try:
        error = json.loads(raw.decode("utf-8")).get("error")
    except (UnicodeDecodeError, ValueError, AttributeError):
        return None
    param = error.get("param") if isinstance(error, dict) else None
    return param if isinstance(param, str) else None


def _parse_completion(reply: Any, allow_empty: bool = False) -> Tuple[str, Dict[str, Any], Optional[str], Optional[str]]:
    """(text, usage, response model, finish_reason) of a chat.completion object; LlmError when
    malformed or empty (an empty continuation is allowed when `allow_empty`)."""
    if not isinstance(reply, dict):
        raise LlmError(f"LLM reply is not a JSON object: {str(reply)[:200]}")
    if isinstance(reply.get("error"), (dict, str)):
        raise LlmError(f"LLM endpoint returned an error: {_error_detail(json.dumps(reply).encode())}")
    choices = reply.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise LlmError(f"LLM reply has no choices: {json.dumps(reply)[:300]}")
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):  # content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    reason = choices[0].get("finish_reason")
    reason = reason if isinstance(reason, str) else None
    if not isinstance(content, str) or not content.strip():
        if reason == "length" and not allow_empty:
            raise LlmError("the model used up its max_tokens before writing any answer (finish_reason "
                           "length; reasoning models spend tokens on thinking): raise the `max_tokens` "
                           "input or spec.llm.maxTokens")
        if not allow_empty:
            raise LlmError("LLM reply has no message content"
                           + (f" (finish_reason {reason})" if reason else ""))
        content = ""
    usage = reply.get("usage") if isinstance(reply.get("usage"), dict) else {}
    model = reply.get("model") if isinstance(reply.get("model"), str) else None
    return content, usage, model, reason


# ---------------------------------------------------------------- discovery

class Service:
    """A discovered JSON-RPC service: its name, URL and OpenRPC document."""

    def __init__(self, name: str, url: str, document: Any) -> None:
        self.name = name
        self.url = url
        self.document = document

    def summary(self) -> Dict[str, Any]:
        """What the LLM sees when choosing services."""
        doc = self.document if isinstance(self.document, dict) else {}
        info = doc.get("info") if isinstance(doc.get("info"), dict) else {}
        methods = []
        for method in doc.get("methods") or []:
            if isinstance(method, dict) and isinstance(method.get("name"), str):
                text = method["name"]
                if method.get("summary"):
                    text += f": {method['summary']}"
                methods.append(text)
        return {"name": self.name, "title": info.get("title"),
                "description": info.get("description"), "methods": methods}


def _parse_services_env(text: str) -> List[Tuple[str, str]]:
    endpoints = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, url = item.partition("=")
        if not sep or not name.strip() or not url.strip().startswith(("http://", "https://")):
            raise AgentError(f"HEROLOGIC_SERVICES entry {item!r} is not name=http(s)://url")
        endpoints.append((name.strip(), url.strip()))
    return endpoints


def _kube_client() -> KubeClient:
    proxy = os.environ.get("HEROLOGIC_KUBE_API_URL", "").strip()
    if proxy:
        return KubeClient(proxy, namespace=os.environ.get("HEROLOGIC_PLAY_NAMESPACE") or None)
    return KubeClient.in_cluster()


def service_url(service: Dict[str, Any], namespace: str) -> Optional[str]:
    """The JSON-RPC URL of a Service object: annotation, else its first port and rpc path."""
    metadata = service.get("metadata") or {}
    annotations = metadata.get("annotations") or {}
    if annotations.get(URL_ANNOTATION):
        return str(annotations[URL_ANNOTATION]).strip()
    ports = (service.get("spec") or {}).get("ports") or []
    if not ports or not ports[0].get("port"):
        return None
    path = str(annotations.get(PATH_ANNOTATION) or "/rpc")
    if not path.startswith("/"):
        path = "/" + path
    return f"http://{metadata.get('name')}.{namespace}.svc:{ports[0]['port']}{path}"


def _kubernetes_endpoints(span: Any) -> Tuple[List[Tuple[str, str]], str]:
    client = _kube_client()
    namespace = os.environ.get("HEROLOGIC_PLAY_NAMESPACE") or client.namespace
    if not namespace:
        raise AgentError("cannot tell the namespace to discover services in "
                         "(no HEROLOGIC_PLAY_NAMESPACE, no service account namespace file)")
    selector = urllib.parse.quote(f"{DISCOVER_LABEL}=true", safe="")
    try:
        listing = client.get(f"/api/v1/namespaces/{namespace}/services?labelSelector={selector}")
    except KubeApiError as exc:
        hint = (" (the Workflow's service account needs get and list on services)"
                if exc.status in (401, 403) else "")
        raise AgentError(f"cannot list the Services of namespace {namespace}: "
                         f"HTTP {exc.status}: {exc.api_message}{hint}") from None
    endpoints = []
    for item in listing.get("items") or []:
        name = (item.get("metadata") or {}).get("name")
        url = service_url(item, namespace)
        if not name:
            continue
        if url is None:
            span.log(f"skipping Service {name}: no ports and no {URL_ANNOTATION} annotation",
                     level="warning")
            continue
        endpoints.append((name, url))
    return endpoints, namespace


def discover_services(rpc_timeout: float) -> List[Service]:
    """Step 1: find the services and fetch each one's OpenRPC document."""
    with step("discover_services") as span:
        configured = os.environ.get("HEROLOGIC_SERVICES")
        if configured is not None:
            # Resolved by the operator at launch (the agent's Pod has no API token), or given
            # locally. Set but empty means none was found: never a reason to ask the API.
            namespace = os.environ.get("HEROLOGIC_PLAY_NAMESPACE", "").strip()
            endpoints = _parse_services_env(configured)
            where = f"namespace {namespace}" if namespace else "HEROLOGIC_SERVICES"
            # In a Play only the operator sets the variable; the trace says who chose the services.
            in_play = bool(os.environ.get("HEROLOGIC_PLAY_NAME"))
            span.tag(**{"herologic.discovery": "operator" if in_play else "env"})
            if namespace:
                span.tag(**{"k8s.namespace.name": namespace})
        else:
            endpoints, namespace = _kubernetes_endpoints(span)
            where = f"namespace {namespace}"
            span.tag(**{"herologic.discovery": "kubernetes", "k8s.namespace.name": namespace})
        services, failures = [], []
        for name, url in endpoints:
            client = instrument(JsonRpcClient(url, timeout=rpc_timeout), service=name)
            try:
                document = client.call("rpc.discover")
            except Exception as exc:  # one broken service must not stop the others
                failures.append(f"{name} ({url}): {exc}")
                span.log(f"skipping {name}: rpc.discover failed: {exc}", level="warning")
                continue
            services.append(Service(name, url, document))
            span.log(f"found {name} at {url}")
        services, unreadable = usable_services(services, span)
        failures += unreadable
        span.tag(**{"herologic.services.found": [s.name for s in services],
                    "herologic.services.failed": len(failures)})
        if not services:
            detail = f"; failed: {'; '.join(failures)}" if failures else ""
            raise AgentError(f"no discoverable service in {where} "
                             f"(label {DISCOVER_LABEL}=true){detail}")
        return services


# ---------------------------------------------------------------- selection (structured answers)

class AnswerError(ValueError):
    """A reply that does not hold the JSON answer asked for; the message says why."""


def _json_candidates(reply: str) -> List[Any]:
    """The JSON values in a reply, in order of appearance: the whole reply, else the bodies
    of fenced blocks and every array or object that parses where it starts."""
    text = _THINK.sub("", reply).strip()
    try:
        return [json.loads(text)]
    except ValueError:
        pass
    values: List[Any] = []
    decoder = json.JSONDecoder()
    for match in re.finditer(r"[\[{]", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        values.append(value)
    return values


def read_answer(reply: str, check: Any) -> Any:
    """The last JSON value in `reply` that `check` accepts (check returns the answer or raises
    AnswerError). The last one: a model that echoes the question's data answers after it."""
    candidates = _json_candidates(reply)
    problem = "the reply holds no JSON value"
    for value in reversed(candidates):
        try:
            return check(value)
        except AnswerError as exc:
            problem = str(exc)
    raise AnswerError(problem)


def ask_structured(llm: "ChatClient", messages: List[Dict[str, str]], purpose: str,
                   schema: Dict[str, Any], check: Any) -> Any:
    """One LLM call that must answer with JSON matching `schema`: asked with a JSON-schema
    `response_format` (dropped when the endpoint refuses it), read strictly, and when the
    reply does not fit, asked once more with the reason (one repair attempt)."""
    response_format = {"type": "json_schema",
                       "json_schema": {"name": purpose, "strict": True, "schema": schema}}
    reply = llm.complete(messages, purpose, response_format=response_format).text
    try:
        return read_answer(reply, check)
    except AnswerError as exc:
        first_problem = str(exc)
    repair = messages + [
        {"role": "assistant", "content": _cut(reply, 4000)},
        {"role": "user", "content": f"Your answer could not be read: {first_problem}. Answer with only a "
                                    f"JSON value matching this JSON schema, nothing else:\n{json.dumps(schema)}"}]
    reply = llm.complete(repair, purpose + " (repair)", response_format=response_format).text
    try:
        return read_answer(reply, check)
    except AnswerError as exc:
        raise AgentError(f"the LLM's {purpose} answer could not be read, even after asking again: {exc}; "
                         f"it answered: {reply[:300]!r}") from None


SELECT_SYSTEM = (
    "You choose which services an automation script needs. You get a user request and a "
    "JSON list of available services with their methods. Answer with a JSON object "
    "{\"services\": [names of the services the script must call]}, e.g. {\"services\": [\"calendar\"]}, "
    "and nothing else.")


def selection_schema(known: List[str]) -> Dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": ["services"],
            "properties": {"services": {"type": "array", "items": {"type": "string", "enum": known}}}}


def selection_checker(known: List[str]) -> Any:
    """A check for read_answer: {"services": [...]} or a bare array, of names or {"name": ...}
    objects, matched case-insensitively to the known names; any unknown name rejects the value."""
    by_lower = {name.lower(): name for name in known}

    def check(value: Any) -> List[str]:
        if isinstance(value, dict):
            if not isinstance(value.get("services"), list):
                raise AnswerError('the JSON object has no "services" list')
            value = value["services"]
        if not isinstance(value, list):
            raise AnswerError("the answer is not a list of service names")
        chosen: List[str] = []
        for item in value:
            name = item.get("name") if isinstance(item, dict) else item
            if not isinstance(name, str) or name.strip().lower() not in by_lower:
                raise AnswerError(f"{name!r} is not one of the available services "
                                  f"({', '.join(known)})")
            if by_lower[name.strip().lower()] not in chosen:
                chosen.append(by_lower[name.strip().lower()])
        return chosen
    return check


def parse_selection(reply: str, known: List[str]) -> List[str]:
    """The service names a selection reply chose (read_answer with selection_checker)."""
    return read_answer(reply, selection_checker(known))


def select_services(llm: "ChatClient", prompt: str, services: List[Service]) -> List[Service]:
    """Step 2: the LLM picks the services the request needs."""
    with step("select_services") as span:
        catalogue = [service.summary() for service in services]
        known = [s.name for s in services]
        messages = [{"role": "system", "content": SELECT_SYSTEM},
                    {"role": "user", "content": f"Request: {prompt}\n\nServices:\n"
                                                f"{json.dumps(catalogue, indent=2)}"}]
        names = ask_structured(llm, messages, "select_services", selection_schema(known),
                               selection_checker(known))
        if not names:
            raise AgentError(f"the LLM selected no service (available: {', '.join(known)})")
        span.tag(**{"herologic.services.selected": names})
        return [s for s in services if s.name in names]


# ---------------------------------------------------------------- stubs

#: Names a generated method or instance may not take: the base class's attributes.
RESERVED_MEMBERS = frozenset({"url"})
#: Names a module-level instance may not take: what the stub module itself defines.
RESERVED_GLOBALS = frozenset({"JsonRpcClient", "JsonRpcError", "instrument", "RPC_TIMEOUT_S"})
MAX_SCHEMA_DEPTH = 8  # inline schemas are described this deep; named types stop recursion anyway


def _identifier(name: str, taken: Optional[set] = None, reserved: Any = ()) -> str:
    """A safe, unique Python identifier for an OpenRPC name: NFKC-normalised first (as Python
    does with identifiers, so two names that normalise alike collide here, visibly, and get
    a suffix), other characters replaced by `_`, leading underscores dropped (they would
    shadow the base class's private names such as `_call`), a keyword, `self` or a reserved
    name gets a trailing `_`, a clash with a name already `taken` a suffix `_2`, `_3`, ..."""
    text = unicodedata.normalize("NFKC", str(name).strip())
    ident = "".join(c if ("a" + c).isidentifier() else "_" for c in text).lstrip("_")
    ident = ident or "unnamed"
    if ident[0].isdigit():
        ident = "n" + ident
    if keyword.iskeyword(ident) or keyword.issoftkeyword(ident) or ident == "self" or ident in reserved:
        ident += "_"
    if taken is not None:
        base, n = ident, 2
        while ident in taken:
            ident, n = f"{base}_{n}", n + 1
        taken.add(ident)
    return ident


def _class_name(name: str, taken: set) -> str:
    parts = re.split(r"[^0-9A-Za-z]+", unicodedata.normalize("NFKC", name))
    ident = "".join(p[:1].upper() + p[1:] for p in parts if p) or "Unnamed"
    if ident[0].isdigit():
        ident = "S" + ident
    return _identifier(ident + "Service", taken)


def _escape_text(text: str) -> str:
    """Text safe inside a triple-quoted literal: backslashes doubled, quotes broken up,
    control characters (NUL, CR, ...) and line separators as escapes, a lone surrogate
    (valid JSON, not encodable) as the text `\\udXXX`."""
    out = []
    for char in text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"'):
        code = ord(char)
        if char in "\n\t":
            out.append(char)
        elif code < 32 or code == 127:
            out.append(f"\\x{code:02x}")
        elif 0xD800 <= code <= 0xDFFF:  # cannot be encoded (not even in a docstring): shown as text
            out.append(f"\\\\u{code:04x}")
        elif unicodedata.category(char) in ("Zl", "Zp"):
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def _doc_literal(text: str, indent: str) -> str:
    """A triple-quoted docstring that is valid whatever `text` holds."""
    safe = _escape_text(text).rstrip()
    if safe.endswith('"'):
        safe += " "
    body = "\n".join((indent + line) if line.strip() else "" for line in safe.splitlines())
    return f'{indent}"""{body.lstrip()}\n{indent}"""'


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


class _Document:
    """One service's OpenRPC document: follows its local `$ref`s (any JSON pointer into the
    document: components.schemas, components.contentDescriptors, nested properties...) and
    describes schemas for docstrings, documenting each named type (components.schemas) once."""

    def __init__(self, service: str, document: Dict[str, Any]) -> None:
        self.service = service
        self.document = document
        components = document.get("components")
        schemas = components.get("schemas") if isinstance(components, dict) else None
        self.schemas: Dict[str, Any] = schemas if isinstance(schemas, dict) else {}
        self.used: List[str] = []

    def error(self, where: str, problem: str) -> OpenRpcError:
        return OpenRpcError(f"invalid OpenRPC document from service {self.service!r}: {where} {problem}")

    def pointer(self, ref: Any, where: str) -> Any:
        """The value a local reference `#/a/b~1c` points at."""
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise self.error(where, f"refers to {ref!r}: only references inside the document (#/...) are supported")
        node: Any = self.document
        for raw in [p for p in ref[1:].split("/") if p] if ref not in ("#", "#/") else []:
            key = urllib.parse.unquote(raw).replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                raise self.error(where, f"refers to {ref!r}, which is not in the document")
        return node

    def deref(self, node: Any, where: str) -> Any:
        """`node` with $refs followed (a chain of them, not a cycle)."""
        seen: List[str] = []
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                raise self.error(where, f"has a $ref cycle: {' -> '.join(seen + [ref])}")
            seen.append(ref)
            node = self.pointer(ref, where)
        return node

    def _named(self, schema: Any) -> Optional[str]:
        """The component name of a `#/components/schemas/Name` reference."""
        ref = schema.get("$ref") if isinstance(schema, dict) else None
        prefix = "#/components/schemas/"
        if isinstance(ref, str) and ref.startswith(prefix) and "/" not in ref[len(prefix):]:
            name = urllib.parse.unquote(ref[len(prefix):]).replace("~1", "/").replace("~0", "~")
            if name in self.schemas:
                return name
        return None

    def describe(self, schema: Any, where: str, depth: int = 0) -> str:
        """A one-line summary: the type name of a named type, else type and fields."""
        name = self._named(schema)
        if name is not None:
            if name not in self.used:
                self.used.append(name)
            return name
        schema = self.deref(schema, where)
        if schema is True or schema == {} or not isinstance(schema, dict):
            return "any"
        if depth >= MAX_SCHEMA_DEPTH:
            return "object"
        for combiner, word in (("oneOf", "one of"), ("anyOf", "any of"), ("allOf", "all of")):
            options = schema.get(combiner)
            if isinstance(options, list) and options:
                return f"{word} (" + " | ".join(self.describe(o, f"{where}.{combiner}", depth + 1)
                                                for o in options) + ")"
        if "const" in schema:
            return "exactly " + json.dumps(schema["const"], ensure_ascii=False)
        if isinstance(schema.get("enum"), list):
            return "one of " + ", ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"])
        kind = schema.get("type", "any")
        if isinstance(kind, list):
            kind = " or ".join(str(k) for k in kind)
        kind = str(kind)
        if "array" in kind:
            items = schema.get("items", {})
            if isinstance(items, list):
                return "list [" + ", ".join(self.describe(i, where + ".items", depth + 1) for i in items) + "]"
            return f"list of {self.describe(items, where + '.items', depth + 1)}"
        if "object" in kind and isinstance(schema.get("properties"), dict):
            required = set(schema.get("required") or [])
            fields = ", ".join(
                f"{key}: {self.describe(value, where + '.' + key, depth + 1)}"
                + (" (required)" if key in required else "")
                for key, value in schema["properties"].items())
            return "object {" + fields + "}"
        if schema.get("format"):
            kind += f" ({_text(schema['format'])})"
        return kind

    def type_docs(self) -> List[str]:
        """Field-by-field documentation of every named type used so far (and those they use)."""
        lines: List[str] = []
        done = 0
        while done < len(self.used):
            name = self.used[done]
            done += 1
            where = f"components.schemas.{name}"
            schema = self.deref(self.schemas[name], where)
            schema = schema if isinstance(schema, dict) else {}
            required = set(schema.get("required") or [])
            properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
            if properties:
                lines.append(f"{name}: {_text(schema.get('description') or schema.get('type', 'object'))}")
            else:
                lines.append(f"{name}: {self.describe(schema, where)}"
                             + (f" — {_text(schema['description'])}" if schema.get("description") else ""))
            for key, value in properties.items():
                text = self.describe(value, f"{where}.{key}")
                value = self.deref(value, f"{where}.{key}")
                value = value if isinstance(value, dict) else {}
                if value.get("format") and "(" not in text:
                    text += f" ({_text(value['format'])})"
                mark = "required" if key in required else "optional"
                note = f" — {_text(value['description'])}" if value.get("description") else ""
                lines.append(f"    {key}: {text}, {mark}{note}")
        return lines


def _method_source(doc: _Document, method: Any, index: int, taken: set) -> str:
    where = f"methods[{index}]"
    method = doc.deref(method, where)
    if not isinstance(method, dict):
        raise doc.error(where, "is not an object")
    name = method.get("name")
    if not isinstance(name, str) or not name:
        raise doc.error(where, "has no 'name'")
    where = f"method {name!r}"
    params = method.get("params", [])
    if not isinstance(params, list):
        raise doc.error(where, "'params' is not a list")
    structure = method.get("paramStructure", "either")
    if structure not in ("by-name", "by-position", "either"):
        raise doc.error(where, f"has paramStructure {structure!r} (by-name, by-position or either)")
    ident = _identifier(name, taken, RESERVED_MEMBERS)
    summary = _text(method.get("summary") or method.get("description") or name)
    lines_doc = [summary]
    if method.get("description") and method.get("description") != method.get("summary") \
            and _text(method["description"]) != summary:
        lines_doc += ["", _text(method["description"])]
    lines_doc += ["", f"JSON-RPC method {name!r}" + (f" (called `{ident}` here)" if ident != name else "")
                  + (", parameters by position." if structure == "by-position" else ".")]
    if method.get("deprecated") is True:
        lines_doc.append("Deprecated.")
    arg_names: set = set()
    args: List[Tuple[str, str, bool]] = []  # (python name, JSON name, required)
    param_lines: List[str] = []
    for p_index, param in enumerate(params):
        param_where = f"{where} params[{p_index}]"
        param = doc.deref(param, param_where)
        if not isinstance(param, dict) or not isinstance(param.get("name"), str) or not param["name"]:
            raise doc.error(param_where, "has no 'name'")
        if any(key == param["name"] for _, key, _ in args):
            raise doc.error(param_where, f"repeats the parameter name {param['name']!r}")
        arg = _identifier(param["name"], arg_names)
        if "schema" not in param:
            raise doc.error(f"{where} param {param['name']!r}", "has no 'schema'")
        required = param.get("required") is True
        args.append((arg, param["name"], required))
        text = doc.describe(param["schema"], f"{where} param {param['name']!r}")
        shown = arg if arg == param["name"] else f"{arg} (sent as {param['name']!r})"
        note = f" — {_text(param['description'])}" if param.get("description") else ""
        param_lines.append(f"    {shown}: {text}, {'required' if required else 'optional'}{note}")
    if args:
        lines_doc += ["", "Params (keyword arguments; an optional one left at None is not sent"
                      + (", or sent as null when a later one is given):" if structure == "by-position" else "):")]
        lines_doc += param_lines
    if "result" in method:
        result = doc.deref(method["result"], f"{where} result")
        if not isinstance(result, dict) or "schema" not in result:
            raise doc.error(f"{where} result", "has no 'schema'")
        text = doc.describe(result["schema"], f"{where} result")
        lines_doc += ["", f"Returns: {text}"
                      + (f" — {_text(result['description'])}" if result.get("description") else "")]
    lines_doc += ["", "Raises JsonRpcError (with .code and .message) when the service refuses the call."]
    signature = ", ".join(arg if required else f"{arg}=None" for arg, _, required in args)
    header = f"    def {ident}(self" + (f", *, {signature}" if signature else "") + "):"
    pairs = "".join(f"({key!r}, {arg}), " for arg, key, _ in args)
    build = "_by_position" if structure == "by-position" else "_by_name"
    return "\n".join([header, _doc_literal("\n".join(lines_doc), "        "),
                      f"        return self._call({name!r}, {build}(({pairs})))"])


STUB_HEADER = '''"""Clients for the services this agent may call, generated from their OpenRPC documents.

Use the ready-made instances: `from services import {instances}`.
Every method takes keyword arguments and makes one JSON-RPC call (traced as an rpc span).
Method and parameter names that are not safe Python names are renamed (each method's
docstring says the JSON-RPC name it calls and what each argument is sent as).
"""
from herologic import JsonRpcClient, JsonRpcError, instrument

RPC_TIMEOUT_S = {timeout!r}


def _by_name(pairs):
    """The params object: the arguments given (None means not given)."""
    return {key: value for key, value in pairs if value is not None}


def _by_position(pairs):
    """The params array in declared order, cut after the last argument given; a parameter
    left out before it is sent as null."""
    values = [value for _, value in pairs]
    while values and values[-1] is None:
        values.pop()
    return values


class _Service:
    """Base class: holds an instrumented JSON-RPC client."""

    def __init__(self, url, name):
        self.url = url
        self._rpc = instrument(JsonRpcClient(url, timeout=RPC_TIMEOUT_S), service=name)

    def _call(self, method, params):
        return self._rpc.call(method, params)
'''


def _header(instances: List[str], rpc_timeout: float) -> str:
    return STUB_HEADER.replace("{instances}", ", ".join(instances)).replace(
        "{timeout!r}", repr(float(rpc_timeout)))


def service_class_source(service: Service, class_name: str) -> str:
    """The client class of one service; OpenRpcError naming the service and the problem when
    its document cannot be read. Compiled here, so a generator bug shows up as this service's
    error, never as a SyntaxError in the model's script."""
    document = service.document
    if not isinstance(document, dict):
        raise OpenRpcError(f"invalid OpenRPC document from service {service.name!r}: "
                           f"rpc.discover returned {type(document).__name__}, not an object")
    version = document.get("openrpc")
    if version is not None and not (isinstance(version, str) and version.startswith("1.")):
        raise OpenRpcError(f"invalid OpenRPC document from service {service.name!r}: "
                           f"openrpc version {version!r} is not 1.x")
    methods = document.get("methods")
    if not isinstance(methods, list) or not methods:
        raise OpenRpcError(f"invalid OpenRPC document from service {service.name!r}: "
                           "'methods' is missing or empty")
    doc = _Document(service.name, document)
    taken: set = set()
    bodies = []
    for index, method in enumerate(methods):
        resolved = doc.deref(method, f"methods[{index}]")
        if isinstance(resolved, dict) and str(resolved.get("name", "")).startswith("rpc."):
            continue  # rpc.discover and other reserved methods are the agent's business
        bodies.append(_method_source(doc, method, index, taken))
    info = document.get("info") if isinstance(document.get("info"), dict) else {}
    lines = [f"{_text(info.get('title') or service.name)} {_text(info.get('version') or '')}".strip()]
    if info.get("description"):
        lines.append(_text(info["description"]))
    types = doc.type_docs()
    if types:
        lines += ["", "Types (every object you pass must have all its required fields):"] + types
    source = "\n\n".join([f"class {class_name}(_Service):\n" + _doc_literal("\n".join(lines), "    ")] + bodies)
    try:
        compile(_header([], 1.0) + "\n\n" + source + "\n", f"{STUB_MODULE}.py", "exec")
    except (SyntaxError, ValueError) as exc:  # a generator bug: this service only
        raise OpenRpcError(f"cannot generate a client for service {service.name!r}: {exc}") from None
    return source


def stub_source(services: List[Service], rpc_timeout: float) -> str:
    """The Python source of the `services` module for the selected services."""
    classes: set = set()
    instances: set = set()
    parts, names = [], []
    for service in services:
        cls = _class_name(service.name, classes)
        instance = _identifier(service.name, instances, RESERVED_GLOBALS | classes)
        names.append(instance)
        parts.append(service_class_source(service, cls))
        parts.append(f"{instance} = {cls}({service.url!r}, {service.name!r})")
    source = _header(names, rpc_timeout) + "\n\n" + "\n\n\n".join(parts) + "\n"
    compile(source, f"{STUB_MODULE}.py", "exec")
    return source


def usable_services(services: List[Service], span: Any) -> Tuple[List[Service], List[str]]:
    """(the services whose OpenRPC document the generator can read, why each other one is
    unavailable). Each unreadable one gets an error span `openrpc <name>` naming it and why;
    the others go on."""
    usable, problems = [], []
    for service in services:
        try:
            service_class_source(service, "Check")
        except OpenRpcError as exc:
            with step(f"openrpc {service.name}", **{"rpc.service": service.name}) as bad:
                bad.set_error(exc)
            span.log(f"service {service.name} is unavailable: {exc}", level="warning")
            problems.append(str(exc))
            continue
        usable.append(service)
    return usable, problems


def generate_stubs(services: List[Service], rpc_timeout: float) -> str:
    """Step 3: the client module, logged on the span."""
    with step("generate_stubs", **{"herologic.services": [s.name for s in services]}) as span:
        source = stub_source(services, rpc_timeout)
        span.log(source)
        span.tag(**{"code.size": len(source), "herologic.stub.module": STUB_MODULE})
        return source


# ---------------------------------------------------------------- code and debugging

CODE_SYSTEM = """You write one complete, runnable Python 3 script that carries out the user's request by calling the services of the module `services` (its source is given).

Rules:
- Import the ready-made clients from `services`, e.g. `from services import calendar`. Do not make HTTP requests yourself and import no third-party package.
- Call methods with keyword arguments. When a parameter is an object type (such as an Event), pass a complete Python dict with EVERY field of that type filled in, including the ones that look optional such as location, description or attendees (use "" or [] when the request says nothing). Never pass a JSON string where an object is expected: the services reject incomplete or stringified objects.
- Times are ISO 8601 strings with a timezone, e.g. "2026-05-07T10:00:00Z". Today is {today}; compute relative dates with datetime.
- Do not catch and hide exceptions: a failing call must make the script exit with an error.
- Finish by printing a short summary (one to three lines) of what was done, with the ids of anything created.
- Answer with the script in a single ```python code block."""


# ---------------------------------------------------------------- reading the script from a reply

_THINK = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.S | re.I)
_FENCE_OPEN = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})(.*)$")
PYTHON_LANGS = {"", "python", "python3", "py", "py3"}


class Block:
    """One fenced block of a reply: its language (first word of the info string, lower case,
    attributes such as `{.python title="x"}` reduced to `python`), body and position."""

    def __init__(self, index: int, lang: str, body: str, closed: bool) -> None:
        self.index = index
        self.lang = lang
        self.body = body
        self.closed = closed

    def describe(self) -> str:
        return f"block {self.index} ({self.lang or 'no language'})"


def _fence_lang(info: str) -> str:
    """`python`, `{.python}`, `python title="a.py"`, `py:main.py`, `Python3` -> python/py/python3."""
    word = re.match(r"[{\s.]*([A-Za-z0-9_+#-]*)", info)
    return word.group(1).lower() if word else ""


def fenced_blocks(reply: str) -> List[Block]:
    """Every fenced block (``` or ~~~, three or more, any info string, CRLF or LF), in order.
    `<think>` drafts are left out. An unclosed fence runs to the end of the reply; a closing
    fence may also end the last code line (`print(1)```) and a block may sit on one line
    (```` ```python print(1)``` ````)."""
    text = _THINK.sub("", reply.replace("\r\n", "\n").replace("\r", "\n"))
    lines = text.split("\n")
    blocks: List[Block] = []
    i = 0
    while i < len(lines):
        opened = _FENCE_OPEN.match(lines[i])
        i += 1
        if not opened:
            continue
        fence, info = opened.group(1), opened.group(2).strip()
        if fence[0] == "`" and info.endswith("```") and len(info.rstrip("`")) > 0:  # one line
            inner = info.rstrip("`").strip()
            first, _, rest = inner.partition(" ")
            lang, body = (first.lower(), rest) if first.lower() in PYTHON_LANGS and rest else ("", inner)
            blocks.append(Block(len(blocks) + 1, lang, body.strip() + "\n", True))
            continue
        body_lines: List[str] = []
        closed = False
        close = re.compile(r"^[ \t]*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$")
        while i < len(lines):
            line = lines[i]
            i += 1
            if close.match(line):
                closed = True
                break
            if fence[0] == "`" and line.rstrip().endswith(fence) and not line.lstrip().startswith(fence):
                body_lines.append(line.rstrip()[:-len(fence)])  # closing fence glued to the code
                closed = True
                break
            body_lines.append(line)
        body = "\n".join(body_lines).strip("\n")
        blocks.append(Block(len(blocks) + 1, _fence_lang(info), body + "\n" if body.strip() else "", closed))
    return blocks


def _is_python(block: Block) -> bool:
    """A block written in Python: labelled so, or unlabelled and valid Python that is not
    a bare JSON value or a shell line."""
    if not block.body.strip() or block.lang not in PYTHON_LANGS:
        return False
    if block.lang:
        return True
    stripped = block.body.lstrip()
    if stripped.startswith(("{", "[", "$ ", "pip ", "python ", "python3 ")):
        return False
    try:
        compile(block.body, "block", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


def _uses_stubs(code: str) -> bool:
    return re.search(rf"^\s*(from\s+{STUB_MODULE}\s+import|import\s+{STUB_MODULE}\b)", code, re.M) is not None


def _names(code: str) -> Tuple[set, set]:
    """(names defined at top level, names read) of a piece of code; empty when it does not parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return set(), set()
    defined: set = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined |= {(a.asname or a.name).split(".")[0] for a in node.names}
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return defined, read


class Extraction:
    """The script chosen from a reply and a sentence saying how it was chosen."""

    def __init__(self, code: Optional[str], how: str) -> None:
        self.code = code
        self.how = how


def extract_script(reply: str) -> Extraction:
    """The script in an LLM reply, chosen deliberately:

    - only Python blocks count (labelled python/py, or unlabelled valid Python); shell,
      JSON and other languages never run, and `<think>` drafts are ignored;
    - of those, the last block that imports the generated stubs is the script (a model
      that drafts and then corrects puts the final version last); without any such block,
      the last Python block;
    - an earlier Python block that defines names the script reads but does not define
      (a helper function shown separately) is put in front of it.
    """
    blocks = fenced_blocks(reply)
    python = [b for b in blocks if _is_python(b)]
    skipped = [b.describe() for b in blocks if b not in python]
    if not python:
        return Extraction(None, "no Python block" + (f"; ignored {', '.join(skipped)}" if skipped else ""))
    with_stubs = [b for b in python if _uses_stubs(b.body)]
    main = (with_stubs or python)[-1]
    defined, read = _names(main.body)
    missing = read - defined - set(dir(builtins))
    helpers = []
    for block in python:
        if block is main or block.index > main.index or _uses_stubs(block.body):
            continue
        helper_defines, _ = _names(block.body)
        if helper_defines & missing:
            helpers.append(block)
            missing -= helper_defines
    code = "".join(b.body + "\n" for b in helpers) + main.body
    how = f"ran {main.describe()} of {len(blocks)}" + (" (imports the stubs)" if main in with_stubs else "")
    if helpers:
        how += "; put first the helper " + ", ".join(b.describe() for b in helpers)
    ignored = [b.describe() for b in blocks if b is not main and b not in helpers]
    if ignored:
        how += "; ignored " + ", ".join(ignored)
    if not main.closed:
        how += "; its closing fence is missing"
    return Extraction(code, how)


def extract_code(reply: str) -> Optional[str]:
    """The script in an LLM reply, or None (see extract_script)."""
    return extract_script(reply).code


def _traceback_of(stderr: str) -> str:
    index = stderr.rfind("Traceback (most recent call last):")
    return stderr[index:] if index >= 0 else ""


def _last_error_line(text: str) -> str:
    return next((line.strip() for line in reversed(text.splitlines()) if line.strip()), "")


class Attempt:
    """One try: the code the LLM wrote, what happened when it ran, and the verdict on it."""

    def __init__(self, number: int, reply: str) -> None:
        self.number = number
        self.reply = reply
        self.code: Optional[str] = None
        self.how = ""  # how the code was chosen from the reply
        self.stdout = ""
        self.stderr = ""
        self.returncode: Optional[int] = None
        self.calls: List[Dict[str, Any]] = []
        self.error = ""
        self.not_done = False  # the script ran, but the verdict says the request is not done

    def feedback(self, max_attempts: int) -> str:
        """The debug message for the LLM: what went wrong, with the code that ran, its output,
        its calls and the traceback."""
        head = f"Attempt {self.number} of {max_attempts} failed: {self.error}"
        if self.code is None:
            return head + "\n\nAnswer with the complete script in a single ```python code block."
        parts = [head, f"The code that ran ({self.how}):\n```python\n{_cut(self.code, PROMPT_OUTPUT_CHARS)}```"]
        if self.returncode is not None:
            parts.append(f"Exit code: {self.returncode}")
            parts.append("RPC calls it made:\n" + calls_text(self.calls))
        parts.append("stdout:\n```\n" + (_cut(self.stdout, PROMPT_OUTPUT_CHARS) or "(empty)") + "\n```")
        stderr = _cut(self.stderr, PROMPT_OUTPUT_CHARS)
        parts.append("stderr:\n```\n" + (stderr or "(empty)") + "\n```")
        traceback = _traceback_of(self.stderr)
        if traceback and traceback.strip() not in stderr:  # the cut lost part of it
            parts.append("Traceback:\n```\n" + _cut(traceback, PROMPT_OUTPUT_CHARS) + "\n```")
        if self.not_done:
            parts.append("The script ran without error but did not do what was asked. Answer with the "
                         "complete corrected script in a single ```python code block that makes the "
                         "service calls the request needs.")
        else:
            parts.append("Find the cause and answer with the complete corrected script in a single "
                         "```python code block. Remember: pass complete objects with every field filled.")
        return "\n\n".join(parts)


def _code_messages(prompt: str, stubs: str) -> List[Dict[str, str]]:
    today = datetime.date.today().isoformat()
    return [{"role": "system", "content": CODE_SYSTEM.replace("{today}", today)},
            {"role": "user", "content": f"Request: {prompt}\n\nThe module `{STUB_MODULE}`:\n"
                                        f"```python\n{stubs}```"}]


def ask_for_code(llm: ChatClient, messages: List[Dict[str, str]], number: int,
                 previous: Optional[Attempt], max_attempts: int) -> Attempt:
    """Step 4 (generate_code) or 6 (debug): one LLM call that should produce a script."""
    name = "generate_code" if previous is None else "debug"
    with step(name, attempt=number) as span:
        if previous is not None:
            # The previous reply (with its script) as the model's own turn, then what happened.
            messages = messages + [{"role": "assistant", "content": _cut(previous.reply, 20000)},
                                   {"role": "user", "content": previous.feedback(max_attempts)}]
        completion = llm.complete(messages, name)
        attempt = Attempt(number, completion.text)
        if completion.cut:
            attempt.error = llm.cut_message()
            span.set_error(AgentError(attempt.error))
            span.log(completion.text)
            return attempt
        extraction = extract_script(completion.text)
        attempt.how = extraction.how
        span.tag(**{"herologic.code.extraction": extraction.how})
        if extraction.code is None:
            attempt.error = "the reply contained no ```python code block"
            if extraction.how != "no Python block":  # say what was there instead
                attempt.error += f" ({extraction.how})"
            span.set_error(AgentError(attempt.error))
            span.log(completion.text)
            return attempt
        code = extraction.code
        span.log(code)
        span.tag(**{"code.size": len(code), "code.lines": code.count("\n")})
        attempt.code = code
        try:
            compile(code, "script.py", "exec")
        except (SyntaxError, ValueError) as exc:
            detail = (f"SyntaxError: {exc.msg} (line {exc.lineno})" if isinstance(exc, SyntaxError)
                      else f"ValueError: {exc}")
            attempt.error = detail
            attempt.stderr = detail
            span.set_error(AgentError(f"the script does not compile: {detail}"))
        return attempt


class RpcCallRecorder:
    """Collects the rpc spans a script's process reports while it runs (the same events the
    trace gets, forwarded by run_python): method, params, result or error of each call.

    It watches the run's emitter for the duration of a `with` block; outside a run (a unit
    test calling the flow function directly) it records nothing. At most MAX_CALLS calls.
    """

    MAX_CALLS = 50

    def __init__(self) -> None:
        self.calls: List[Dict[str, Any]] = []
        self.more = 0
        self._by_span: Dict[str, Dict[str, Any]] = {}
        self._emitter: Any = None

    def __enter__(self) -> "RpcCallRecorder":
        run = active_run()
        if run is not None:
            self._emitter = run.emitter
            original = self._emitter.emit

            def emit(type_: str, fields: Dict[str, Any]) -> None:
                self._see(type_, fields)
                original(type_, fields)
            self._emitter.emit = emit  # an instance attribute over the method, removed on exit
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._emitter is not None:
            del self._emitter.emit
            self._emitter = None

    def _see(self, type_: str, fields: Dict[str, Any]) -> None:
        span_id = fields.get("span_id")
        if type_ == "span_start" and fields.get("kind") == "rpc":
            tags = fields.get("tags") if isinstance(fields.get("tags"), dict) else {}
            if len(self.calls) >= self.MAX_CALLS:
                self.more += 1
                return
            call = {"method": tags.get("rpc.method", fields.get("name")), "params": tags.get("rpc.params"),
                    "service": tags.get("rpc.service")}
            self.calls.append(call)
            self._by_span[str(span_id)] = call
        elif str(span_id) in self._by_span:
            call = self._by_span[str(span_id)]
            tags = fields.get("tags") if isinstance(fields.get("tags"), dict) else {}
            if "rpc.result" in tags:
                call["result"] = tags["rpc.result"]
            if type_ == "span_end" and fields.get("status") == "error":
                error = fields.get("error") if isinstance(fields.get("error"), dict) else {}
                call["error"] = f"{error.get('type', 'Error')}: {error.get('message', '')}"


def calls_text(calls: List[Dict[str, Any]]) -> str:
    """The calls as the model sees them: one JSON line each, long values cut."""
    if not calls:
        return "(none: the script called no service)"
    return "\n".join(_cut(json.dumps(call, ensure_ascii=False, default=str), 2000) for call in calls)


def execute(attempt: Attempt, stub_dir: str, timeout: float) -> bool:
    """Step 5: run the script; True when it exited 0 in time. Its rpc calls go to attempt.calls."""
    script = os.path.join(stub_dir, f"attempt_{attempt.number}.py")
    with open(script, "w", encoding="utf-8") as handle:
        handle.write(attempt.code or "")
    # The script is model-written code: it gets no LLM credentials.
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEROLOGIC_LLM_")}
    with RpcCallRecorder() as recorder:
        result = run_python(script, timeout=timeout, span_name="execute", extra_pythonpath=(stub_dir,),
                            cwd=stub_dir, env=env, tags={"attempt": attempt.number})
    attempt.calls = recorder.calls
    attempt.stdout, attempt.stderr, attempt.returncode = result.stdout, result.stderr, result.returncode
    if result.timed_out:
        attempt.error = f"the script did not finish within {timeout:g}s and was killed"
    elif result.returncode != 0:
        last = _last_error_line(result.stderr)
        attempt.error = f"the script exited with code {result.returncode}" + (f": {last}" if last else "")
    return not attempt.error


# ---------------------------------------------------------------- judging the result

VERIFY_SYSTEM = """You check whether a script did what a user asked. You get the request, the script, the JSON-RPC calls it made (method, params, and result or error) and its output. The script exited without error, but that alone proves nothing: judge from the calls and their results whether the request is carried out (for a question: whether the calls fetched what answers it).
Answer with a JSON object {"done": true or false, "reason": "one or two sentences: what was done, or what is missing or wrong"} and nothing else."""

VERDICT_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["done", "reason"],
                  "properties": {"done": {"type": "boolean"}, "reason": {"type": "string"}}}


def check_verdict(value: Any) -> Dict[str, Any]:
    """A check for read_answer: {"done": bool, "reason": str}."""
    if not isinstance(value, dict) or not isinstance(value.get("done"), bool):
        raise AnswerError('the answer is not a JSON object with a boolean "done"')
    reason = value.get("reason")
    return {"done": value["done"], "reason": reason.strip() if isinstance(reason, str) else ""}


def verify(llm: ChatClient, prompt: str, attempt: Attempt) -> Dict[str, Any]:
    """Step 6: judge a script that exited 0 against the request. A script that called no
    service is never success (every request the agent takes needs its services: it selected
    at least one), judged without asking the model; otherwise the model gives a verdict.
    Returns {"done", "reason", "by": "rule" | "model", "calls"}."""
    with step("verify", attempt=attempt.number, **{"herologic.verify.calls": len(attempt.calls)}) as span:
        if not attempt.calls:
            verdict = {"done": False, "by": "rule",
                       "reason": "the script called no service, so it cannot have carried out the request"}
        else:
            messages = [{"role": "system", "content": VERIFY_SYSTEM},
                        {"role": "user", "content": f"Request: {prompt}\n\nScript:\n```python\n"
                                                    f"{_cut(attempt.code or '', PROMPT_OUTPUT_CHARS)}```\n\n"
                                                    f"RPC calls it made:\n{calls_text(attempt.calls)}\n\n"
                                                    f"Its output:\n```\n{_cut(attempt.stdout, PROMPT_OUTPUT_CHARS) or '(empty)'}\n```"}]
            verdict = dict(ask_structured(llm, messages, "verify", VERDICT_SCHEMA, check_verdict), by="model")
        verdict["calls"] = len(attempt.calls)
        span.tag(**{"herologic.verify.done": verdict["done"], "herologic.verify.by": verdict["by"],
                    "herologic.verify.reason": verdict["reason"]})
        if not verdict["done"]:
            span.set_error(AgentError(f"not done: {verdict['reason']}"))
        return verdict


# ---------------------------------------------------------------- the flow

@flow(name="service_agent_v3", inputs={
    "prompt": {"type": "string",
               "description": "What to do, in plain words, e.g. 'create a meeting called Review tomorrow at 10'"},
    "model": {"type": "string", "default": "",
              "description": "LLM model; empty = the configured default (spec.llm.model, or the namespace's LLM Secret)"},
    "max_attempts": {"type": "integer", "default": 3,
                     "description": "How many scripts the agent may write (first try plus debug rounds)"},
    "timeout_seconds": {"type": "integer", "default": 60,
                        "description": "Time limit for each run of a generated script, in seconds"},
    "max_tokens": {"type": "integer", "default": 0,
                   "description": "Most tokens per LLM reply; 0 = spec.llm.maxTokens, else the endpoint's default"},
    "temperature": {"type": "number", "default": -1,
                    "description": "Sampling temperature; negative = spec.llm.temperature, else not sent"},
})
def service_agent_v3(prompt: str, model: str = "", max_attempts: int = 3,
                     timeout_seconds: int = 60, max_tokens: int = 0, temperature: float = -1) -> Dict[str, Any]:
    """Discover services, let the LLM pick some and write a script against them, run it,
    judge the result, and debug it until it is done or max_attempts is used up."""
    prompt = (prompt or "").strip()
    if not prompt:
        raise AgentError("the prompt is empty: say what the agent should do")
    if not 1 <= max_attempts <= MAX_ATTEMPTS:
        raise AgentError(f"max_attempts must be between 1 and {MAX_ATTEMPTS}, got {max_attempts}")
    if timeout_seconds < 1:
        raise AgentError(f"timeout_seconds must be at least 1, got {timeout_seconds}")
    if max_tokens < 0:
        raise AgentError(f"max_tokens must be 0 (the configured default) or more, got {max_tokens}")
    try:
        settings = llm_settings()
    except ValueError as exc:
        raise LlmError(str(exc)) from None
    llm = ChatClient.from_settings(settings, model, max_tokens=max_tokens,
                                   temperature=temperature if temperature >= 0 else None)
    rpc_timeout = _env_float("HEROLOGIC_RPC_TIMEOUT_S", 30.0)
    services = discover_services(rpc_timeout)
    selected = select_services(llm, prompt, services)
    stubs = generate_stubs(selected, rpc_timeout)
    workdir = tempfile.mkdtemp(prefix="service-agent-")
    try:
        with open(os.path.join(workdir, f"{STUB_MODULE}.py"), "w", encoding="utf-8") as handle:
            handle.write(stubs)
        messages = _code_messages(prompt, stubs)
        attempt: Optional[Attempt] = None
        for number in range(1, max_attempts + 1):
            attempt = ask_for_code(llm, messages, number, attempt, max_attempts)
            if attempt.code is None or attempt.error or not execute(attempt, workdir, timeout_seconds):
                continue
            verdict = verify(llm, prompt, attempt)
            if verdict["done"]:
                return {"services": [s.name for s in selected], "attempts": number,
                        "stdout": attempt.stdout, "script": attempt.code, "model": llm.model,
                        "judged": verdict,
                        "tokens": {"input": llm.input_tokens, "output": llm.output_tokens}}
            attempt.not_done = True
            attempt.error = f"the script ran but the request is not done: {verdict['reason']}"
        assert attempt is not None
        plural = "attempt" if max_attempts == 1 else "attempts"
        raise AgentError(f"no working script after {max_attempts} {plural}: {attempt.error}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
