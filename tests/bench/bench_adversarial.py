"""Hostile input against every parser a request reaches: time at 1, 10, 100 and 200 KB, and growth.

Run: `python -m tests.bench.bench_adversarial` (or `python tests/bench/bench_adversarial.py`). For
each report field (through `parse_report`, as the API and the CLI read it), the form's ARR, the
customer-update recipient, the JSON body, the webhook payload, the owner preview's trace parsing and
registry matching, it builds the input the security review used (or its worst shape for that
parser) at each size, times the parse (best of several runs) and prints the times and the growth
from one size to the next. Linear work grows about 10x, 10x and 2x; work bounded by a length cap
stays flat. A growth above 3x from 100 KB to 200 KB is marked SUPERLINEAR; on a busy machine, rerun
that case alone with larger sizes (`--only NAME --sizes 100000,200000,400000,800000`) to tell a
trend from noise. Figures only: nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `integrator` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from integrator.application.escalate import parse_report
from integrator.application.updates import CustomerUpdate
from integrator.domain.jsonbody import load_json
from integrator.domain.money import parse_amount
from integrator.domain.registry import Registry
from integrator.domain.traces import extract_locations
from integrator.errors import IntegratorError
from integrator.web.signatures import delivery_id, pagerduty_incident_id
from tests.support import report_data

SIZES = (1_000, 10_000, 100_000, 200_000)
ROOTS = ["/app/", "/srv/", "/usr/src/app/", "/code/", "/workspace/"]
MIN_SECONDS, MIN_RUNS = 0.2, 5  # repeat each run this long and this often; keep the best


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[int], Any]
    run: Callable[[Any], object]


def refused(run: Callable[[Any], object]) -> Callable[[Any], object]:
    """`run`, with the refusal a hostile input is meant to get counted as its outcome."""

    def attempt(value: Any) -> object:
        try:
            return run(value)
        except (IntegratorError, ValueError) as exc:
            return exc

    return attempt


def report_with(path: str, value: object) -> str:
    data: dict[str, Any] = report_data()
    *parents, last = path.split(".")
    target = data
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value
    return json.dumps(data)


def field_case(path: str, build: Callable[[int], object]) -> Case:
    return Case(path, lambda n: report_with(path, build(n)), refused(parse_report))


def email(n: int) -> str:
    return "a@" + "." * (n - 3) + "@"  # the review's input: quadratic under the old regex


def nul_at_end(n: int) -> str:
    return "x" * (n - 1) + "\x00"  # a control character only the last position shows


def cases() -> list[Case]:
    return [*field_cases(), *other_input_cases(), *preview_cases()]


def field_cases() -> list[Case]:
    """Each report field, through `parse_report` as the API and the CLI read a report."""
    emails = ["reporter.email", *(f"deal.{who}.email" for who in ("economic_buyer", "executive_sponsor"))]
    emails.append("deal.account_executive.email")
    texts = ["deal.account", "deal.economic_buyer.name", "reporter.name", "failure.title"]
    texts += ["failure.criterion", "failure.environment", "failure.description", "failure.observed"]
    texts += ["failure.stack_trace", "idempotency_key"]
    return [
        *(field_case(path, email) for path in emails),
        *(field_case(path, nul_at_end) for path in texts),
        field_case("failure.locations", lambda n: ["a" * n]),
        field_case("rca_due", lambda n: "9" * n),
        field_case("failure.occurred_at", lambda n: "9999-12-31T23:59:00-12:00" + " " * (n - 25)),
        field_case("deal.poc_ends_on", lambda n: "9" * n),
        field_case("deal.arr", lambda n: "9" * n),  # as text: JSON numbers stop at 4,300 digits
    ]


def other_input_cases() -> list[Case]:
    """The form's ARR, a customer update, a JSON body and a signed webhook's payload."""

    def update(field: str) -> Callable[[Any], object]:
        base = {"to": "hank@globex.example", "subject": "Update", "body": "Fixed."}
        return refused(lambda value: CustomerUpdate.checked(**{**base, field: value}))

    return [
        Case("form deal.arr (parse_amount)", lambda n: "$" + "9" * (n - 2) + "k", refused(parse_amount)),
        Case("form deal.arr, grouped", lambda n: "1" + ",000" * (n // 4), refused(parse_amount)),
        Case("customer update to", email, update("to")),
        Case("customer update subject", nul_at_end, update("subject")),
        Case("customer update body", nul_at_end, update("body")),
        Case("JSON body nested [[[...", lambda n: "[" * n, refused(load_json)),
        Case("JSON body, unterminated strings", lambda n: '"\\' * (n // 2), refused(load_json)),
        Case("webhook payload nested", lambda n: b'{"event": ' + b"[" * n, refused(pagerduty_incident_id)),
        Case(
            "webhook long event id",
            lambda n: json.dumps({"event": {"id": "e" * n}}).encode(),
            lambda body: delivery_id("pagerduty", body),
        ),
    ]


def preview_cases() -> list[Case]:
    """What the owner preview does with a pasted trace: extract its locations, match them."""
    registry = Registry.parse(
        "*  @acme/platform\n*a*a*a*a*a*a*a*b  @acme/ingest\n**/a/**/a/**/a/**/b  @acme/query\n"
    )
    return [
        Case("preview trace: .NET `) in `", lambda n: "at a(" + ") in " * (n // 5) + "x", trace),
        Case("preview trace: JVM frames", lambda n: "\tat a.B(a.java:1)\n" * (n // 18), trace),
        Case("preview trace: Node `a:1:`", lambda n: "at " + "a:1:" * (n // 4) + "x", trace),
        Case("preview trace: Python frames", lambda n: '  File "/app/a.py", line 1\n' * (n // 27), trace),
        Case("preview trace: Go `a.go`", lambda n: "\t" + "a.go" * (n // 4) + ":x", trace),
        Case("registry match: *a*a*a*a*a*a*a*b", lambda n: "a" * n, registry.match),
        Case("registry match: **/a/**/a/**/a/**/b", lambda n: "a/" * (n // 2), registry.match),
        Case("registry match: ./././ location", lambda n: "./" * (n // 2) + "a", registry.match),
        Case(
            "registry parse: hostile lines",
            lambda n: "*a*a*a*a*a*a*a*b @acme/a\n" * (n // 25),
            Registry.parse,
        ),
    ]


def trace(text: str) -> list[str]:
    return extract_locations(text, ROOTS)


def best_time(case: Case, size: int) -> float:
    value = case.build(size)
    best, spent, runs = float("inf"), 0.0, 0
    while spent < MIN_SECONDS or runs < MIN_RUNS:
        start = time.perf_counter()
        case.run(value)
        took = time.perf_counter() - start
        best, spent, runs = min(best, took), spent + took, runs + 1
    return best


def report(selected: list[Case], sizes: tuple[int, ...]) -> None:
    header = "".join(f"{f'{size // 1000} KB':>11}" for size in sizes)
    print(f"{'input':40}{header}   growth")
    for case in selected:
        times = [best_time(case, size) for size in sizes]
        growth = [later / max(earlier, 1e-9) for earlier, later in pairwise(times)]
        mark = "  SUPERLINEAR" if growth and growth[-1] > 3 and times[-1] > 0.001 else ""
        cells = "".join(f"{t * 1000:>8.3f} ms" for t in times)
        print(f"{case.name:40}{cells}   {' '.join(f'{g:.1f}x' for g in growth)}{mark}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", help="run the cases whose name contains this text")
    parser.add_argument("--sizes", help="comma-separated sizes in characters (default 1,10,100,200 KB)")
    args = parser.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else SIZES
    report([c for c in cases() if not args.only or args.only in c.name], sizes)


if __name__ == "__main__":
    main()
