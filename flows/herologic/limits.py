"""Every bound the runner applies, in one place (documented in flows/PROTOCOL.md).

The operator stores what the runner emits in the Play's status, and etcd rejects
objects over ~1.5 MiB, so the runner keeps each run's stream bounded. A Play never
fails because its trace was large: what is cut is counted in the `dropped` event.
"""

#: At most this many spans per run emit events; later spans still run, silently.
MAX_SPANS = 10_000

#: Per span, the first HEAD log lines (and at most HEAD_CHARS characters) are
#: emitted live; later lines go to a ring buffer keeping the last TAIL lines
#: (at most TAIL_CHARS characters), emitted when the span ends after one marker
#: line "… N lines dropped …".
LOG_HEAD_LINES = 64
LOG_HEAD_CHARS = 32 * 1024
LOG_TAIL_LINES = 64
LOG_TAIL_CHARS = 32 * 1024

#: Any string (tag value, RPC params/result, output, log message, error text)
#: is cut to this many characters, with a suffix saying how much was cut.
MAX_STRING_CHARS = 16 * 1024

#: A structured value (dict/list) whose JSON is longer than this is replaced by
#: its JSON text cut to MAX_STRING_CHARS.
MAX_STRUCT_CHARS = 64 * 1024

#: Containers keep at most this many items and this much nesting; the rest is
#: replaced by a string saying how many items were left out.
MAX_ITEMS = 1_000
MAX_DEPTH = 20

#: Lines printed before the root span exists (at import time) are kept, up to
#: this many, and logged on the root span once it starts.
MAX_PENDING_LINES = 256

#: After SIGTERM the flow gets this many seconds to unwind; then the runner ends
#: the open spans itself and exits 143. Overridable with HEROLOGIC_TERM_GRACE_S.
TERM_GRACE_S = 5.0

#: After the flow returns, how long to wait for output still in the fd 1/2 pipes
#: (a subprocess that outlives the flow holds them open).
DRAIN_TIMEOUT_S = 1.0
