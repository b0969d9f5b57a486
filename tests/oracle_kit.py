"""The Go template oracle, from Python: build it (cached, tests/go_oracle/build.sh), run it as one
long-lived process and ask it to render templates as ESO v2 does.

Wire protocol (JSON lines on the process's stdin/stdout): byte strings (template, data values,
output, error texts) are base64 in the JSON, so binary secret values round-trip exactly. A batch
is sent as one line and answered as one line, so a large batch cannot deadlock the pipes.

Strings on the Python side follow the engine's value model: a Go string is a ``str`` decoded from
its bytes with UTF-8 and ``surrogateescape``; ``bytes`` are sent as they are.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import selectors
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
BUILD_SCRIPT = HERE / "go_oracle" / "build.sh"
CORPUS_DIR = HERE / "template_corpus"

# The text the oracle's stub of an ESO-only function fails with (tests/go_oracle/eso.go).
UNAVAILABLE_MARK = "extsecrets-oracle: function not available: "

StrOrBytes = str | bytes


def to_bytes(value: StrOrBytes) -> bytes:
    """Go bytes of a Python value of the engine's model (str with surrogateescape, or bytes)."""
    if isinstance(value, bytes):
        return value
    return value.encode("utf-8", "surrogateescape")


def to_str(value: bytes) -> str:
    return value.decode("utf-8", "surrogateescape")


def build_oracle(force: bool = False, timeout: float = 900) -> Path:
    """Build the oracle when its cache is missing or stale; return the binary's path."""
    args = ["bash", str(BUILD_SCRIPT)] + (["--force"] if force else [])
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(
            f"building the Go template oracle failed (exit {done.returncode}):\n{done.stderr}"
        )
    return Path(done.stdout.strip().splitlines()[-1])


@dataclass(frozen=True)
class Request:
    """One render, as ESO's runtime/template/v2 execute() does it."""

    template: StrOrBytes
    data: Mapping[str, StrOrBytes] = field(default_factory=dict)
    name: str = "tpl"
    # "error" as in every ESO template; "default" as in dataFrom rewrite transforms.
    missingkey: str = "error"
    left: str = "{{"
    right: str = "}}"
    max_output: int = 0  # 0: the oracle's default (16 MiB)
    # A JSON document as the root instead of ``data`` (decoded as fromJson does: numbers float64);
    # json_root=True with json_data=None makes the root Go's nil.
    json_data: Any = None
    json_root: bool = False

    def wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "template": base64.b64encode(to_bytes(self.template)).decode(),
            "data": {k: base64.b64encode(to_bytes(v)).decode() for k, v in self.data.items()},
            "missingkey": self.missingkey,
            "left": self.left,
            "right": self.right,
        }
        if self.max_output:
            out["max_output"] = self.max_output
        if self.json_root or self.json_data is not None:
            out["json_data"] = self.json_data
        return out


@dataclass(frozen=True)
class Result:
    """What Go said. ``stage``: None when it rendered; "parse" or "exec" for Go's errors; "panic"
    for a runtime panic outside function calls; "limit" when the output exceeded the cap;
    "unavailable" when the template called an ESO function the oracle lacks; "timeout"."""

    ok: bool
    output: bytes | None = None
    error: str | None = None
    eso_error: str | None = None
    stage: str | None = None

    @property
    def text(self) -> str:
        """The output as the engine's model holds it (surrogateescape str)."""
        if self.output is None:
            raise ValueError(f"no output: {self.stage} error {self.error!r}")
        return to_str(self.output)

    @property
    def comparable(self) -> bool:
        """False when the answer is not Go's own (a stub, the cap, a timeout)."""
        return self.stage not in ("unavailable", "limit", "timeout")

    @classmethod
    def from_wire(cls, raw: Mapping[str, Any]) -> Result:
        def text(key: str) -> str | None:
            value = raw.get(key)
            return None if value is None else to_str(base64.b64decode(value))

        ok = bool(raw.get("ok"))
        output = base64.b64decode(raw.get("output") or "") if ok else None
        error = text("error")
        stage = raw.get("stage")
        if error is not None and UNAVAILABLE_MARK in error:
            stage = "unavailable"
        return cls(ok=ok, output=output, error=error, eso_error=text("eso_error"), stage=stage)


class OracleTimeout(Exception):
    pass


class GoOracle:
    """A running oracle process. Not thread-safe; one per test session is enough."""

    def __init__(self, binary: Path, timeout: float = 60.0) -> None:
        self.binary = binary
        self.timeout = timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._corpus_answers: dict[str, Result] = {}

    def __enter__(self) -> GoOracle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        proc, self._proc = self._proc, None
        self._buffer = b""
        if proc is None:
            return
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()

    def _process(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            # Only TZ (date functions print local time; ESO's image has no zone data: UTC).
            self._proc = subprocess.Popen(
                [str(self.binary)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={"TZ": "UTC"},
            )
            self._buffer = b""
        return self._proc

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                if pipe:
                    pipe.close()

    def _ask(self, message: Mapping[str, Any], timeout: float) -> Any:
        proc = self._process()
        assert proc.stdin is not None
        assert proc.stdout is not None
        try:
            proc.stdin.write(json.dumps(message).encode() + b"\n")
            proc.stdin.flush()
        except BrokenPipeError as exc:
            self._kill()
            raise RuntimeError("the Go oracle process died") from exc
        deadline = time.monotonic() + timeout
        fd = proc.stdout.fileno()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    self._kill()
                    raise OracleTimeout(f"no answer from the Go oracle in {timeout} s")
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    self._kill()
                    raise RuntimeError("the Go oracle process ended without answering")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        answer = json.loads(line)
        if isinstance(answer, dict) and "fatal" in answer:
            raise RuntimeError(f"the Go oracle refused the request: {answer['fatal']}")
        return answer

    def info(self) -> dict[str, Any]:
        """{"go": "go1.19.8", "funcs": [every function name of the map]}."""
        answer: dict[str, Any] = self._ask({"op": "info"}, self.timeout)
        return answer

    def render(
        self,
        template: StrOrBytes,
        data: Mapping[str, StrOrBytes] | None = None,
        **options: Any,
    ) -> Result:
        return self.render_many([Request(template, data or {}, **options)])[0]

    def render_many(self, requests: Iterable[Request]) -> list[Result]:
        """Render a batch in one round trip. If the batch does not finish within the timeout
        (a pathological template), each case is retried alone and the slow ones answer
        ``stage="timeout"``."""
        batch: Sequence[Request] = list(requests)
        if not batch:
            return []
        try:
            answer = self._ask(
                {"batch": [r.wire() for r in batch]}, self.timeout + 0.1 * len(batch)
            )
            return [Result.from_wire(a) for a in answer["batch"]]
        except OracleTimeout:
            if len(batch) == 1:
                return [Result(ok=False, error="timeout", stage="timeout")]
            return [self.render_many([r])[0] for r in batch]

    def corpus_answers(self, only: Callable[[CorpusCase], bool] | None = None) -> dict[str, Result]:
        """Go's answer to the corpus cases by id (those ``only`` selects, or all), each rendered
        once per oracle and shared by the test modules; the missing ones in one batch. Go's key
        generation (the property cases) is the slow part of the corpus."""
        cases = [c for c in load_corpus() if only is None or only(c)]
        missing = [c for c in cases if c.id not in self._corpus_answers]
        if missing:
            # half the cases to a second oracle process: Go's key generations run on two cores
            mine, theirs = missing[0::2], missing[1::2]
            with GoOracle(self.binary, self.timeout) as helper, ThreadPoolExecutor(1) as pool:
                other = pool.submit(helper.render_many, [c.request() for c in theirs])
                results = self.render_many([c.request() for c in mine])
                other_results = other.result()
            self._corpus_answers.update(zip([c.id for c in mine], results, strict=True))
            self._corpus_answers.update(zip([c.id for c in theirs], other_results, strict=True))
        return {c.id: self._corpus_answers[c.id] for c in cases}


# ---------------------------------------------------------------------------------------------
# The corpus (tests/template_corpus/*.yaml)
# ---------------------------------------------------------------------------------------------

CHECKS = ("oracle", "property", "expect", "parse")


@dataclass(frozen=True)
class CorpusCase:
    """One template of the corpus. ``check`` says how a result is judged:

    - ``oracle``: byte-compared with Go's answer (output, or the error text);
    - ``property``: random or time-dependent output; ``property["regex"]`` must match Go's output
      and ours (Python ``re.fullmatch``, DOTALL; kept in ``prop``); ``same_chars_as``, when
      given, must hold the same characters (shuffle);
    - ``expect``: no oracle (ESO-only functions): ``expect`` holds the output or an error fragment;
    - ``parse``: only whether the template parses is compared.

    ``go126`` (a reason) marks cases whose answer differs between Debian's Go 1.19 and the Go that
    ESO v2.9.0 is built with (1.26); ``deps`` marks cases where Debian's sprig dependencies differ
    from ESO's; ``differs`` marks where extsecrets differs from ESO on purpose (a sandbox limit).
    None of these is compared with the oracle; ``expect`` then holds the answer we give.
    """

    id: str
    source: str
    template: str
    data: Mapping[str, StrOrBytes] = field(default_factory=dict)
    json_data: Any = None
    json_root: bool = False  # the root is json_data (even when it is null), not data
    name: str = "tpl"
    missingkey: str = "error"
    left: str = "{{"
    right: str = "}}"
    check: str = "oracle"
    prop: Mapping[str, Any] = field(default_factory=dict)  # the YAML key "property"
    expect: Mapping[str, Any] = field(default_factory=dict)
    go126: str | None = None
    deps: str | None = None
    differs: str | None = None  # why extsecrets differs from Go on purpose (a sandbox limit)
    note: str | None = None
    file: str = ""

    @property
    def oracle_compared(self) -> bool:
        """Byte-compared with Go's answer."""
        return self.check == "oracle" and not (self.go126 or self.deps or self.differs)

    def request(self) -> Request:
        return Request(
            template=self.template,
            data=self.data,
            name=self.name,
            missingkey=self.missingkey,
            left=self.left,
            right=self.right,
            json_data=self.json_data,
            json_root=self.json_root,
        )

    def expected_output(self) -> bytes | None:
        """The expected output bytes of an ``expect`` case, if it states one."""
        if "output" in self.expect:
            return to_bytes(self.expect["output"])
        if "output_b64" in self.expect:
            return base64.b64decode(self.expect["output_b64"])
        if "output_files" in self.expect:
            return b"".join((CORPUS_DIR / f).read_bytes() for f in self.expect["output_files"])
        return None


_CASE_KEYS = {
    "id", "source", "template", "data", "data_b64", "data_files", "data_files_b64", "json_data",
    "name", "missingkey", "left", "right", "check", "property", "expect", "go126", "deps",
    "differs", "note",
}  # fmt: skip


def _case_from_yaml(raw: Mapping[str, Any], file: str) -> CorpusCase:
    unknown = set(raw) - _CASE_KEYS
    if unknown:
        raise ValueError(f"{file}: case {raw.get('id')!r}: unknown keys {sorted(unknown)}")
    data: dict[str, StrOrBytes] = {k: str(v) for k, v in (raw.get("data") or {}).items()}
    for k, v in (raw.get("data_b64") or {}).items():
        data[k] = base64.b64decode(v)
    for k, v in (raw.get("data_files") or {}).items():
        data[k] = (CORPUS_DIR / v).read_bytes()
    for k, v in (raw.get("data_files_b64") or {}).items():
        data[k] = base64.b64encode((CORPUS_DIR / v).read_bytes()).decode()
    check = raw.get("check", "oracle")
    if check not in CHECKS:
        raise ValueError(f"{file}: case {raw['id']!r}: check {check!r} not in {CHECKS}")
    if check == "property" and "regex" not in (raw.get("property") or {}):
        raise ValueError(f"{file}: case {raw['id']!r}: a property case needs property.regex")
    return CorpusCase(
        id=raw["id"],
        source=raw["source"],
        template=raw["template"],
        data=data,
        json_data=raw.get("json_data"),
        json_root="json_data" in raw,
        name=raw.get("name", "tpl"),
        missingkey=raw.get("missingkey", "error"),
        left=raw.get("left", "{{"),
        right=raw.get("right", "}}"),
        check=check,
        prop=raw.get("property") or {},
        expect=raw.get("expect") or {},
        go126=raw.get("go126"),
        deps=raw.get("deps"),
        differs=raw.get("differs"),
        note=raw.get("note"),
        file=file,
    )


@functools.cache
def load_corpus(directory: Path = CORPUS_DIR) -> list[CorpusCase]:
    """Every case of every ``*.yaml`` file of the corpus, file by file; ids are unique. Read
    once per process (with libyaml when PyYAML has it: the corpus is large)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    cases: list[CorpusCase] = []
    for path in sorted(directory.glob("*.yaml")):
        for raw in yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or []:
            cases.append(_case_from_yaml(raw, path.name))
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise ValueError(f"duplicate corpus case id {case.id!r}")
        seen.add(case.id)
    return cases


def property_failure(case: CorpusCase, output: bytes) -> str | None:
    """Why ``output`` does not satisfy the case's property, or None."""
    import re

    pattern = case.prop["regex"]
    text = to_str(output)
    if re.fullmatch(pattern, text, re.DOTALL) is None:
        return f"output {text!r} does not match {pattern!r}"
    same = case.prop.get("same_chars_as")
    if same is not None and sorted(text) != sorted(same):
        return f"output {text!r} is not a permutation of {same!r}"
    return None
