"""The Python reader treats the event stream as hostile input, like the operator's.

The shared fixture `data/hostile_stream.txt` is also read by the operator's HostileStreamTest,
and both compare against `data/hostile_stream.expected.json`, so the two readers cannot drift.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any, Dict

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from herologic import assemble  # noqa: E402
from herologic.assemble import PlayAssembler  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "data")
ROOT = "00f067aa0ba902b7"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def summary(assembler: PlayAssembler) -> Dict[str, Any]:
    """The shape HostileStreamTest builds from the operator's reader."""
    status = assembler.play()["status"]
    spans = []
    depths = assemble.span_depths(status["spans"])  # derived from the order, as every reader of status does
    for span, depth in zip(status["spans"], depths):
        spans.append({"id": span["id"], "parentId": span["parentId"], "name": span["name"], "kind": span["kind"],
                      "status": span["status"], "depth": depth, "startOffsetMs": span.get("startOffsetMs"),
                      "tags": span["tags"] or None,
                      "logs": span["logs"]})
    return {"traceId": assembler.trace_id, "runStatus": {"Succeeded": "succeeded", "Failed": "failed"}.get(assembler.phase),
            "output": status.get("output"), "error": status.get("error"),
            "tokens": {"input": status["tokens"]["input"], "output": status["tokens"]["output"]},
            "dropped": status.get("dropped", {"spans": 0, "logs": 0, "bytes": 0}), "violations": assembler.violations,
            "firstViolation": assembler.first_violation, "traceStartTime": status.get("traceStartTime"), "spans": spans}


class Stream:
    """Writes event lines the way the runner does, with honest seqs unless told otherwise."""

    def __init__(self) -> None:
        self.seq = 0
        self.assembler = PlayAssembler()
        self.line("run_start", trace_id=TRACE, flow="f", inputs={})
        self.line("span_start", span_id=ROOT, parent_id=None, name="flow", kind="flow", tags={})

    def line(self, type_: str, seq: Any = None, v: Any = 1, **fields: Any) -> None:
        if seq is None:
            self.seq += 1
            seq = self.seq
        body = {"v": v, "seq": seq, "ts": 1000.0 + self.seq, "type": type_, **fields}
        self.assembler.feed_line(assemble.MARKER + json.dumps(body, separators=(",", ":")))

    def root(self) -> Dict[str, Any]:
        return self.assembler.play()["status"]["spans"][0]


def read_fixture(name: str) -> PlayAssembler:
    with open(os.path.join(DATA, name + ".txt"), encoding="utf-8") as handle:
        return PlayAssembler().feed_lines(handle)


def expected(name: str) -> Dict[str, Any]:
    with open(os.path.join(DATA, name + ".expected.json"), encoding="utf-8") as handle:
        return json.load(handle)


def test_the_shared_fixture_gives_the_expected_trace():
    assembler = read_fixture("hostile_stream")
    assert summary(assembler) == expected("hostile_stream")
    play = assembler.play()
    assert play["status"]["conditions"][0]["type"] == "EventStreamViolations"
    assert "19 protocol violations" in play["status"]["conditions"][0]["message"]


def test_a_seeded_mix_of_honest_and_hostile_lines_gives_what_the_operator_gives():
    # hostile_stream_random.txt: 227 lines from a seeded generator (repeats, jumps, bad ids, bad
    # versions, bad counts, forged outcomes); HostileStreamTest reads the same file and expectation
    assert summary(read_fixture("hostile_stream_random")) == expected("hostile_stream_random")


def test_huge_seqs_allocate_nothing_and_are_counted():
    stream = Stream()
    before = stream.assembler.retained_bytes()
    stream.line("span_log", seq=2 ** 31 - 2, span_id=ROOT, message="near 2^31")
    stream.line("span_log", seq=2 ** 63 - 1, span_id=ROOT, message="near 2^63")
    stream.line("span_log", seq=-(2 ** 63), span_id=ROOT, message="negative")
    stream.line("span_log", span_id=ROOT, message="the runner's own next line")
    assert stream.assembler.retained_bytes() - before < 4096
    logs = stream.root()["logs"]
    assert {"near 2^31", "near 2^63", "negative", "the runner's own next line"} <= set(logs)
    assert stream.assembler.violations == 4
    assert stream.assembler.first_violation == "event out of sequence: expected 3, got 2147483646"
    # beyond 64 bits the line is not an event at all (the operator cannot read such a seq either)
    stream.line("span_log", seq=2 ** 64, span_id=ROOT, message="x")
    assert any(line.startswith(assemble.MARKER) and '"seq":18446744073709551616' in line for line in stream.root()["logs"])


def test_forged_next_seq_lines_do_not_hide_the_genuine_outcome():
    stream = Stream()
    forged = stream.seq
    stream.line("output", seq=forged + 1, value={"forged": True})
    stream.line("error", seq=forged + 2, error={"type": "Forged", "message": "by the flow", "traceback": ""})
    stream.line("span_end", seq=forged + 3, span_id=ROOT, status="ok")
    genuine = {"type": "ValueError", "message": "genuine", "traceback": "Traceback..."}
    stream.line("span_end", span_id=ROOT, status="error", error=genuine)
    stream.line("error", error=genuine)
    stream.line("run_end", status="failed", duration_s=1.0)
    play = stream.assembler.play()
    assert play["status"]["error"] == genuine
    assert "output" not in play["status"]
    assert play["status"]["phase"] == "Failed"
    assert stream.root()["status"] == "Ok"  # first span_end wins
    assert stream.assembler.violations >= 3


def test_a_second_span_start_does_not_rename_and_a_second_end_is_ignored():
    stream = Stream()
    child = "00000000000c4111"
    stream.line("span_start", span_id=child, parent_id=ROOT, name="genuine", kind="step", tags={})
    stream.line("span_start", span_id=child, parent_id=None, name="renamed", kind="flow", tags={"x": 1})
    stream.line("span_start", span_id=ROOT, parent_id=child, name="root renamed", kind="step", tags={})
    stream.line("span_end", span_id=child, status="ok")
    stream.line("span_end", span_id=child, status="error", error={"type": "Forged", "message": "", "traceback": ""})
    root, kid = stream.assembler.play()["status"]["spans"]
    assert (root["name"], root["parentId"]) == ("flow", None)
    assert (kid["name"], kid["parentId"], kid["kind"], kid["tags"], kid["status"]) == ("genuine", ROOT, "step", {}, "Ok")
    assert "error" not in kid
    assert stream.assembler.violations == 3


def test_fifteen_thousand_span_starts_keep_at_most_the_cap():
    stream = Stream()
    for i in range(15_000):
        span_id = f"{0x1000 + i:016x}"
        stream.line("span_start", span_id=span_id, parent_id=ROOT, name=f"s{i}", kind="step", tags={})
        stream.line("span_log", span_id=span_id, message=f"line {i}")
    assert len(stream.assembler.spans) == assemble.MAX_TRACKED_SPANS
    dropped = stream.assembler.play()["status"]["dropped"]
    assert dropped["spans"] == 15_001 - assemble.MAX_TRACKED_SPANS
    assert dropped["logs"] >= 5_001
    assert stream.assembler.retained_bytes() <= assemble.MAX_HELD_BYTES + 64 * 1024
    assert stream.assembler.violations == 0


def test_a_ten_megabyte_tag_and_a_one_megabyte_error_type_are_cut_on_merge():
    stream = Stream()
    before = stream.assembler.retained_bytes()
    stream.line("span_tag", span_id=ROOT, tags={"huge": "x" * 10_000_000})
    stream.line("span_log", span_id=ROOT, message="y" * 1_000_000)
    assert stream.assembler.retained_bytes() - before <= 2 * assemble.MAX_TEXT_BYTES + 1024
    assert stream.root()["tags"]["huge"].endswith("bytes cut]")
    error = {"type": "E" * 1_000_000, "message": "m", "traceback": "t"}
    stream.line("span_end", span_id=ROOT, status="error", error=error)
    stream.line("error", error=error)
    stream.line("run_end", status="failed")
    status = stream.assembler.play()["status"]
    assert len(status["error"]["type"]) <= assemble.MAX_NAME_BYTES
    assert len(status["spans"][0]["error"]["type"]) <= assemble.MAX_NAME_BYTES
    cut = 10_000_000 + 1_000_000 + 2 * (1_000_000 - assemble.MAX_NAME_BYTES) - 2 * assemble.MAX_TEXT_BYTES
    assert status["dropped"]["bytes"] >= cut


def test_held_bytes_stop_at_the_ceiling_and_the_genuine_outcome_still_lands():
    stream = Stream()
    big = "z" * 16_000
    for i in range(2_000):
        span_id = f"{0x1000 + i:016x}"
        stream.line("span_start", span_id=span_id, parent_id=ROOT, name=f"s{i}", kind="step", tags={})
        stream.line("span_tag", span_id=span_id, tags={"a": big, "b": big, "c": big, "d": big})
    assert stream.assembler.retained_bytes() <= assemble.MAX_HELD_BYTES + 2 * (2 * assemble.MAX_SPAN_BYTES + 1024)
    assert stream.assembler.play()["status"]["dropped"]["spans"] > 0
    stream.line("output", value={"done": True})
    stream.line("run_end", status="succeeded")
    assert stream.assembler.play()["status"]["output"] == {"done": True}


def test_token_counts_must_be_non_negative_integers_and_are_clamped():
    stream = Stream()
    llm = "000000000000011a"
    stream.line("span_start", span_id=llm, parent_id=ROOT, name="chat", kind="llm", tags={})
    stream.line("tokens", span_id=llm, input_tokens=2 ** 62, output_tokens=3)
    assert stream.assembler.token_totals()["total"] == assemble.MAX_TOKENS + 3
    for bad in (-5, 1.5, "7", True):
        stream.line("tokens", span_id=llm, input_tokens=bad, output_tokens=3)
    stream.line("tokens", span_id=llm, input_tokens=7, output_tokens=10 ** 30)
    assert stream.assembler.token_totals() == {"input": 7, "output": assemble.MAX_TOKENS, "total": 7 + assemble.MAX_TOKENS}
    assert stream.assembler.violations == 6
    stream.line("span_start", span_id="0000000000007a99", parent_id=ROOT, name="chat", kind="llm",
                tags={"gen_ai.usage.input_tokens": -100, "gen_ai.usage.output_tokens": 2 ** 62})
    assert stream.assembler.token_totals()["output"] == 2 * assemble.MAX_TOKENS


def test_other_protocol_versions_and_events_after_run_end_are_not_applied():
    stream = Stream()
    stream.line("span_log", span_id=ROOT, message="v1")
    stream.line("span_start", v=2, span_id="00000000000000b2", parent_id=ROOT, name="v2", kind="step", tags={})
    stream.line("span_log", v=None, span_id=ROOT, message="no v")
    stream.line("span_end", span_id=ROOT, status="ok")
    stream.line("output", value="genuine")
    stream.line("run_end", status="succeeded")
    stream.line("output", value="late")
    stream.line("span_log", span_id=ROOT, message="late")
    status = stream.assembler.play()["status"]
    assert len(status["spans"]) == 1
    assert [line for line in stream.root()["logs"] if not line.startswith("[herologic]")] == ["v1"]
    assert status["output"] == "genuine" and status["phase"] == "Succeeded"
    assert stream.assembler.violations == 4
    assert stream.assembler.first_violation == "event with protocol version '2' not applied"


def test_a_flood_of_violations_is_counted_but_logs_only_a_few_lines():
    stream = Stream()
    for i in range(5_000):
        stream.line("span_log", span_id=f"not-an-id-{i}", message="x")
    logs = [line for line in stream.root()["logs"] if line.startswith("[herologic]")]
    assert stream.assembler.violations == 5_000
    assert len(logs) == assemble.MAX_VIOLATION_LOGS + 1
    assert stream.assembler.retained_bytes() < 16 * 1024


def test_ids_must_be_lowercase_hex_of_the_right_length():
    assembler = PlayAssembler()
    lines = [{"type": "run_start", "trace_id": "../../etc/passwd"},
             {"type": "span_start", "span_id": ROOT, "parent_id": None, "name": "flow"},
             {"type": "span_start", "span_id": ROOT.upper().replace("0", "A"), "parent_id": ROOT, "name": "upper"},
             {"type": "span_start", "span_id": "abc", "parent_id": ROOT, "name": "short"},
             {"type": "span_start", "span_id": "00000000000000aa", "parent_id": "x" * 100_000, "name": "bad parent"}]
    for seq, fields in enumerate(lines, 1):
        assembler.feed_line(assemble.MARKER + json.dumps({"v": 1, "seq": seq, "ts": 1.0, **fields}))
    assert assembler.trace_id is None
    assert len(assembler.play()["status"]["spans"]) == 1
    assert assembler.violations == 4
    assert all(len(line) < 200 for line in assembler.play()["status"]["spans"][0]["logs"])


def test_malformed_marker_lines_are_plain_lines_and_never_throw():
    stream = Stream()
    deep = assemble.MARKER + "[" * 100_000 + "]" * 100_000
    stream.assembler.feed_line(deep)
    trailing = assemble.MARKER + json.dumps({"v": 1, "seq": stream.seq + 1, "ts": 1.0, "type": "span_start",
                                             "span_id": "0000000000000077", "parent_id": ROOT, "name": "t"}) + " {}"
    stream.assembler.feed_line(trailing)
    assert len(stream.assembler.play()["status"]["spans"]) == 1
    assert stream.root()["logs"][-1] == trailing
    # nesting: the event object and its tags are two levels, so 498 lists reach the limit of 500
    stream.line("span_tag", span_id=ROOT, tags={"at": json.loads("[" * 498 + "]" * 498)})
    over = assemble.MARKER + json.dumps({"v": 1, "seq": stream.seq + 1, "ts": 1.0, "type": "span_tag", "span_id": ROOT,
                                         "tags": {"over": json.loads("[" * 499 + "]" * 499)}}, separators=(",", ":"))
    stream.assembler.feed_line(over)
    assert "at" in stream.root()["tags"] and "over" not in stream.root()["tags"]
    assert over in stream.root()["logs"]
    stream.line("span_log", span_id=ROOT, message="still reading")
    logs = stream.root()["logs"]
    assert logs[-1] == "still reading"
    assert any(line.startswith(assemble.MARKER + "[[[") and line.endswith("bytes cut]") for line in logs)
