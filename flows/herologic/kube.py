"""A tiny in-cluster Kubernetes API client (urllib + ssl), enough for child Plays and discovery.

It reads the Pod's service account (token, CA, namespace) from
/var/run/secrets/kubernetes.io/serviceaccount and the API server's address from
KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT. The token file is re-read on
every request because projected tokens rotate.
"""
from __future__ import annotations

import json
import os
import socket
from typing import Any, Dict, Optional

# ssl and urllib.request are imported where a client is made and a request sent, not here: together
# they cost about 40 ms of CPU, and most flows' Pods never talk to the API server.

SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


class KubeError(RuntimeError):
    """A Kubernetes API call failed."""


class KubeUnavailable(KubeError):
    """Not running in a cluster with a service account token."""


class KubeApiError(KubeError):
    """The API server answered with an error status."""

    def __init__(self, method: str, path: str, status: int, message: str, reason: str = "") -> None:
        super().__init__(f"{method} {path}: HTTP {status}{' ' + reason if reason else ''}: {message}")
        self.method = method
        self.path = path
        self.status = status
        self.reason = reason
        self.api_message = message


class KubeClient:
    """Calls the Kubernetes API with a bearer token: `.get(path)`, `.post(path, body)`.

    Build it with `KubeClient.in_cluster()`; the constructor takes an explicit base URL
    (tests, kubectl proxy). Every request has a timeout; errors name the path and status.
    """

    def __init__(self, base_url: str, token: Optional[str] = None, token_file: Optional[str] = None,
                 ca_file: Optional[str] = None, namespace: Optional[str] = None, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.namespace = namespace
        self.timeout = timeout
        self._token = token
        self._token_file = token_file
        self._context: Optional[Any] = None  # an ssl.SSLContext for https
        if self.base_url.startswith("https:"):
            import ssl
            self._context = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()

    @staticmethod
    def available(sa_dir: Optional[str] = None) -> bool:
        """True when a service account token and the API server's address are present."""
        sa_dir = sa_dir or os.environ.get("HEROLOGIC_SA_DIR", SA_DIR)
        return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and os.path.isfile(os.path.join(sa_dir, "token"))

    @classmethod
    def in_cluster(cls, sa_dir: Optional[str] = None, timeout: float = 10.0) -> "KubeClient":
        """The client for this Pod's service account; raises KubeUnavailable with the reason otherwise."""
        sa_dir = sa_dir or os.environ.get("HEROLOGIC_SA_DIR", SA_DIR)
        host = os.environ.get("KUBERNETES_SERVICE_HOST")
        port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        token_file = os.path.join(sa_dir, "token")
        if not os.path.isfile(token_file):
            raise KubeUnavailable(
                f"no service account token at {token_file}: this Pod has no Kubernetes API access "
                "(give the Workflow a serviceAccountName whose Role allows it)")
        if not host:
            raise KubeUnavailable("KUBERNETES_SERVICE_HOST is not set: not running inside a Kubernetes Pod")
        namespace = None
        ns_file = os.path.join(sa_dir, "namespace")
        if os.path.isfile(ns_file):
            with open(ns_file) as handle:
                namespace = handle.read().strip() or None
        ca_file = os.path.join(sa_dir, "ca.crt")
        host = f"[{host}]" if ":" in host else host
        return cls(f"https://{host}:{port}", token_file=token_file,
                   ca_file=ca_file if os.path.isfile(ca_file) else None, namespace=namespace, timeout=timeout)

    def get(self, path: str) -> Dict[str, Any]:
        """GET `path` (e.g. "/api/v1/namespaces/x/services") and return the decoded JSON."""
        return self.request("GET", path)

    def post(self, path: str, body: Dict[str, Any]) -> Dict[str, Any]:
        """POST `body` as JSON to `path` and return the decoded answer (the created object)."""
        return self.request("POST", path, body)

    def request(self, method: str, path: str, body: Any = None) -> Dict[str, Any]:
        """One API request; raises KubeApiError (status >= 400) or KubeError (network, timeout)."""
        headers = {"Accept": "application/json"}
        token = self._token
        if self._token_file:
            with open(self._token_file) as handle:
                token = handle.read().strip()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        import urllib.error
        import urllib.request
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self._context) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            message, reason = raw[:300].decode("utf-8", "replace"), ""
            try:
                status = json.loads(raw)
                message, reason = status.get("message", message), status.get("reason", "")
            except (ValueError, AttributeError):
                pass
            raise KubeApiError(method, path, exc.code, message, reason) from None
        except (socket.timeout, TimeoutError):
            raise KubeError(f"{method} {path}: no answer from {self.base_url} within {self.timeout}s") from None
        except urllib.error.URLError as exc:
            raise KubeError(f"{method} {path}: cannot reach {self.base_url}: {exc.reason}") from None
        except OSError as exc:
            raise KubeError(f"{method} {path}: {exc}") from None
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            raise KubeError(f"{method} {path}: answer is not JSON: {raw[:200]!r}") from None
