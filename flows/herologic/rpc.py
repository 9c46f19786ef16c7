"""A JSON-RPC 2.0 client over HTTP and `instrument()`, which turns method calls into rpc spans."""
from __future__ import annotations

import functools
import inspect
import itertools
import json
import socket
import urllib.parse
from typing import Any, Callable, Dict, Optional, TypeVar

from . import core

T = TypeVar("T")


class JsonRpcError(Exception):
    """The server answered with a JSON-RPC error object."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"JSON-RPC error {code}: {message}")
        self.code = code
        self.message = message
        self.data = data


class JsonRpcTransportError(ConnectionError):
    """The call did not get a JSON-RPC answer: network error, HTTP error, or a body that is not JSON-RPC."""


class JsonRpcTimeout(JsonRpcTransportError, TimeoutError):
    """No answer within the client's timeout."""


class _Method:
    """`client.event.set(...)` sugar: attribute access builds the dotted method name."""

    __slots__ = ("_client", "_name")

    def __init__(self, client: "JsonRpcClient", name: str) -> None:
        self._client = client
        self._name = name

    def __getattr__(self, name: str) -> "_Method":
        if name.startswith("_"):
            raise AttributeError(name)
        return _Method(self._client, f"{self._name}.{name}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args and kwargs:
            raise TypeError("JSON-RPC params are either positional or named, not both")
        return self._client.call(self._name, list(args) if args else (kwargs or None))


class JsonRpcClient:
    """JSON-RPC 2.0 over HTTP POST: `client.call("event.set", {"data": ...})` or `client.event.set(data=...)`.

    Inside a run every request carries a W3C `traceparent` header naming the current span
    (the call's rpc span once the client is instrumented) as the parent.
    Every call has a timeout (seconds). Errors: `JsonRpcError` (the server's error object),
    `JsonRpcTimeout`, `JsonRpcTransportError` (both name the URL).
    """

    def __init__(self, url: str, timeout: float = 30, headers: Optional[Dict[str, str]] = None) -> None:
        self.url = url
        self.timeout = timeout
        self.headers = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
        self._ids = itertools.count(1)

    @property
    def service_name(self) -> str:
        """A default service name: the first label of the URL's host (a Kubernetes Service name)."""
        host = urllib.parse.urlsplit(self.url).hostname or self.url
        return host if host.replace(".", "").isdigit() or ":" in host else host.split(".")[0]

    def call(self, method: str, params: Any = None) -> Any:
        """Call `method` with `params` (a dict, a list, or None) and return its result."""
        return self._call(method, params, next(self._ids))

    def _call(self, method: str, params: Any, request_id: int) -> Any:
        request: Dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            request["params"] = params
        body = json.dumps(request).encode()
        headers = self.headers
        traceparent = core.current_traceparent()
        if traceparent is not None:
            # W3C Trace Context: an instrumented service puts its spans under the current span
            # (the rpc span when the client is instrumented)
            headers = {**headers, "traceparent": traceparent}
        # Imported at the first call, not with the SDK: about 40 ms of CPU (it brings ssl and http.client)
        # that a flow's Pod which calls no service never pays.
        import urllib.error
        import urllib.request
        http_request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(http_request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            answer = _try_json(raw)
            if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
                raise _error(answer["error"]) from None
            raise JsonRpcTransportError(
                f"{method}: HTTP {exc.code} {exc.reason} from {self.url}: {raw[:300].decode('utf-8', 'replace')}") from None
        except (socket.timeout, TimeoutError):
            raise JsonRpcTimeout(f"{method}: no answer from {self.url} within {self.timeout}s") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (socket.timeout, TimeoutError)):
                raise JsonRpcTimeout(f"{method}: no answer from {self.url} within {self.timeout}s") from None
            raise JsonRpcTransportError(f"{method}: cannot reach {self.url}: {exc.reason}") from None
        except OSError as exc:
            raise JsonRpcTransportError(f"{method}: {self.url}: {exc}") from None
        answer = _try_json(raw)
        if not isinstance(answer, dict) or ("result" not in answer and "error" not in answer):
            raise JsonRpcTransportError(
                f"{method}: {self.url} did not answer JSON-RPC: {raw[:300].decode('utf-8', 'replace')}")
        if answer.get("error") is not None:
            raise _error(answer["error"])
        return answer["result"]

    def __getattr__(self, name: str) -> _Method:
        if name.startswith("_"):
            raise AttributeError(name)
        return _Method(self, name)

    def __repr__(self) -> str:
        return f"JsonRpcClient({self.url!r})"


def _try_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _error(error: Any) -> JsonRpcError:
    if not isinstance(error, dict):
        return JsonRpcError(-32603, str(error))
    return JsonRpcError(int(error.get("code", -32603)), str(error.get("message", "")), error.get("data"))


def _rpc_tags(system: str, service: str, method: str, params: Any) -> Dict[str, Any]:
    return {"rpc.system": system, "rpc.service": service, "rpc.method": method, "rpc.params": params}


def _finish(span: Any, result: Any) -> Any:
    span.tag("rpc.result", result)
    return result


def _failed(span: Any, exc: BaseException) -> None:
    if isinstance(exc, JsonRpcError):
        span.tag("rpc.jsonrpc.error_code", exc.code)


def _wrap_method(bound_method: Callable[..., Any], system: str, service: str, method: str) -> Callable[..., Any]:
    try:
        signature: Optional[inspect.Signature] = inspect.signature(bound_method)
    except (TypeError, ValueError):
        signature = None

    def params_of(args: Any, kwargs: Any) -> Any:
        if signature is not None:
            try:
                return dict(signature.bind_partial(*args, **kwargs).arguments)
            except TypeError:
                pass
        return {"args": list(args), "kwargs": kwargs}

    if inspect.iscoroutinefunction(bound_method):
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            if core.active_run() is None:
                return await bound_method(*args, **kwargs)
            with core.StepContext(f"{service}.{method}", "rpc", _rpc_tags(system, service, method, params_of(args, kwargs))) as span:
                try:
                    return _finish(span, await bound_method(*args, **kwargs))
                except BaseException as exc:
                    _failed(span, exc)
                    raise
        wrapper: Callable[..., Any] = async_wrapper
    else:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if core.active_run() is None:
                return bound_method(*args, **kwargs)
            with core.StepContext(f"{service}.{method}", "rpc", _rpc_tags(system, service, method, params_of(args, kwargs))) as span:
                try:
                    return _finish(span, bound_method(*args, **kwargs))
                except BaseException as exc:
                    _failed(span, exc)
                    raise
    functools.update_wrapper(wrapper, bound_method)
    return wrapper


def _wrap_jsonrpc_call(client: JsonRpcClient, service: str) -> Callable[..., Any]:
    def call(method: str, params: Any = None) -> Any:
        """Call `method` with `params` inside an rpc span named "service.method"."""
        request_id = next(client._ids)
        if core.active_run() is None:
            return client._call(method, params, request_id)
        tags = _rpc_tags("jsonrpc", service, method, params)
        tags["rpc.jsonrpc.request_id"] = request_id
        tags["rpc.jsonrpc.version"] = "2.0"
        with core.StepContext(f"{service}.{method}", "rpc", tags) as span:
            try:
                return _finish(span, client._call(method, params, request_id))
            except BaseException as exc:
                _failed(span, exc)
                raise
    return call


def _public_methods(client: Any) -> Dict[str, Callable[..., Any]]:
    methods = {}
    names = set(dir(type(client))) | set(getattr(client, "__dict__", {}))
    for name in sorted(names):
        if name.startswith("_"):
            continue
        static = inspect.getattr_static(client, name, None)
        if isinstance(static, (property, type)) or inspect.isclass(static):
            continue
        if isinstance(static, (staticmethod, classmethod)) or inspect.isfunction(static) or (
                callable(static) and not inspect.isclass(static)):
            value = getattr(client, name)
            if callable(value):
                methods[name] = value
    return methods


class _Proxy:
    """Stands in for a client whose attributes cannot be set (slots, frozen)."""

    def __init__(self, target: Any, wrapped: Dict[str, Callable[..., Any]]) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_wrapped", wrapped)

    def __getattr__(self, name: str) -> Any:
        wrapped = object.__getattribute__(self, "_wrapped")
        if name in wrapped:
            return wrapped[name]
        return getattr(object.__getattribute__(self, "_target"), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(object.__getattribute__(self, "_target"), name, value)

    def __repr__(self) -> str:
        return f"instrumented({object.__getattribute__(self, '_target')!r})"


def instrument(client: T, service: Optional[str] = None) -> T:
    """Make every public method call on `client` an rpc span; returns the client itself
    (or, for an object whose attributes cannot be set, a proxy).

    Span name "service.method", tags `rpc.system` ("jsonrpc" for a JsonRpcClient, else
    "python"), `rpc.service`, `rpc.method`, `rpc.params`, `rpc.result` (bounded), and
    `rpc.jsonrpc.error_code` when the call raised a JsonRpcError. For a JsonRpcClient the
    method is the RPC method (`call("event.set")` is span "svc.event.set"). `service`
    defaults to the URL's host (JsonRpcClient) or the class name. Instrumenting twice is a no-op.
    """
    if getattr(client, "__herologic_instrumented__", False):
        return client
    if isinstance(client, JsonRpcClient):
        wrapped: Dict[str, Callable[..., Any]] = {"call": _wrap_jsonrpc_call(client, service or client.service_name)}
    else:
        name = service or type(client).__name__
        wrapped = {method: _wrap_method(fn, "python", name, method) for method, fn in _public_methods(client).items()}
    try:
        for method, fn in wrapped.items():
            setattr(client, method, fn)
        setattr(client, "__herologic_instrumented__", True)
        return client
    except (AttributeError, TypeError):
        return _Proxy(client, wrapped)  # type: ignore[return-value]
