"""Measure scenarios in-process and write the report (bench-results/report.json and report.md).

Each scenario is warmed up, then timed `runs` times with time.perf_counter (server time: the whole
Django request cycle, without a network). Queries are counted with CaptureQueriesContext in one extra,
untimed run (or during the single run of a one-off scenario), so capturing adds nothing to the timings.
A scenario that errors or answers with a non-200 status is a FAIL with its reason; the run goes on.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from devtools.bench.registry import BenchContext, Outcome, Scenario

SLOWEST_QUERIES_KEPT = 3


@dataclass
class Result:
    name: str
    description: str
    target_ms: float
    verdict: str = "FAIL"  # PASS: ran fine and the median met the target
    reason: str = ""
    runs: int = 0
    median_ms: float | None = None
    p95_ms: float | None = None
    min_ms: float | None = None
    max_ms: float | None = None
    samples_ms: list[float] = field(default_factory=list)
    queries: int | None = None
    slowest_queries: list[dict[str, Any]] = field(default_factory=list)
    http_status: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def percentile(samples: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least `share` of the samples at or below it."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _timed(scenario: Scenario, context: BenchContext) -> tuple[Outcome, float]:
    started = time.perf_counter()
    outcome = scenario.run(context)
    elapsed = (time.perf_counter() - started) * 1000
    return outcome, outcome.elapsed_ms if outcome.elapsed_ms is not None else elapsed


def _counted(scenario: Scenario, context: BenchContext, result: Result) -> tuple[Outcome, float]:
    with CaptureQueriesContext(connection) as captured:
        outcome, elapsed = _timed(scenario, context)
    result.queries = len(captured.captured_queries)
    slowest = sorted(captured.captured_queries, key=lambda query: float(query["time"]), reverse=True)
    result.slowest_queries = [
        {"ms": round(float(query["time"]) * 1000, 1), "sql": query["sql"][:2000]}
        for query in slowest[:SLOWEST_QUERIES_KEPT]
    ]
    return outcome, elapsed


def _fail(result: Result, outcome: Outcome) -> Result:
    result.verdict, result.reason = "FAIL", outcome.reason or "failed"
    result.http_status, result.extra = outcome.http_status, outcome.extra
    return result


def run_scenario(scenario: Scenario, context: BenchContext, *, runs: int, warmups: int) -> Result:
    result = Result(scenario.name, scenario.description, scenario.target_ms)
    runs = scenario.runs or runs
    warmups = scenario.warmups if scenario.warmups is not None else warmups
    try:
        for _ in range(warmups):
            outcome = scenario.run(context)
            if not outcome.ok:
                return _fail(result, outcome)
        for _ in range(runs):
            outcome, elapsed = _counted(scenario, context, result) if runs == 1 else _timed(scenario, context)
            if not outcome.ok:
                return _fail(result, outcome)
            result.samples_ms.append(round(elapsed, 2))
        if runs > 1:
            outcome, _elapsed = _counted(scenario, context, result)
    except Exception as error:  # a broken scenario is reported, the others still run
        first_line = (str(error).strip().splitlines() or [""])[0]
        result.reason = f"{type(error).__name__}: {first_line[:300]}"
        return result
    return _summarize(result, outcome)


def _summarize(result: Result, outcome: Outcome) -> Result:
    samples = result.samples_ms
    result.runs, result.http_status, result.extra = len(samples), outcome.http_status, outcome.extra
    result.median_ms = round(statistics.median(samples), 1)
    result.p95_ms = round(percentile(samples, 0.95), 1)
    result.min_ms, result.max_ms = round(min(samples), 1), round(max(samples), 1)
    if result.median_ms <= result.target_ms:
        result.verdict = "PASS"
    else:
        result.reason = f"median {_duration(result.median_ms)} over the {_duration(result.target_ms)} target"
    return result


# --- reporting ---------------------------------------------------------------------------------------


def _duration(ms: float | None) -> str:
    if ms is None:
        return "-"
    return f"{ms / 1000:.1f} s" if ms >= 10_000 else f"{ms:.1f} ms"


def _notes(result: Result) -> str:
    parts = [result.reason] if result.reason else []
    parts += [f"{key}={value:,}" if isinstance(value, int) else f"{key}={value}" for key, value in result.extra.items()]
    return "; ".join(parts)


TABLE_COLUMNS = ("scenario", "median", "p95", "target", "queries", "result", "notes")


def table_rows(results: list[Result]) -> list[tuple[str, ...]]:
    return [
        (result.name, _duration(result.median_ms), _duration(result.p95_ms), _duration(result.target_ms),
         "-" if result.queries is None else str(result.queries), result.verdict, _notes(result))
        for result in results
    ]  # fmt: skip


def format_table(results: list[Result]) -> str:
    rows = [TABLE_COLUMNS, *table_rows(results)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(TABLE_COLUMNS) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) if index == 0 else cell.rjust(width) for index, (cell, width) in
                 enumerate(zip(row, widths, strict=False))]  # fmt: skip
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def write_reports(results: list[Result], *, output: Path, meta: dict[str, Any]) -> tuple[Path, Path]:
    output.mkdir(parents=True, exist_ok=True)
    json_path, markdown_path = output / "report.json", output / "report.md"
    document = {**meta, "generated_at": timezone.now().isoformat(), "scenarios": [asdict(r) for r in results]}
    json_path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    markdown_path.write_text(_markdown(results, meta))
    return json_path, markdown_path


def _markdown(results: list[Result], meta: dict[str, Any]) -> str:
    lines = ["# Benchmark report", ""]
    lines += [f"- {key}: {value}" for key, value in meta.items()]
    lines += ["", "| " + " | ".join(TABLE_COLUMNS) + " |", "|" + "---|" * len(TABLE_COLUMNS)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in table_rows(results)]
    for result in results:
        lines += ["", f"## {result.name} — {result.verdict}", "", result.description, ""]
        lines.append(f"min {_duration(result.min_ms)}, max {_duration(result.max_ms)}, runs {result.runs}")
        for query in result.slowest_queries:
            lines += ["", f"Slow query ({query['ms']} ms):", "", "```sql", query["sql"], "```"]
    return "\n".join(lines) + "\n"
