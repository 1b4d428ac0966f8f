"""Bursts: the page under a hanging Jira, twenty reports at once, dry-run throughput and its SQL work,
a sync pass at 10,000 open escalations, and the customer status page during a burst.

Run: `python -m tests.bench.bench_burst`. Every web figure goes through one uvicorn server process
(`create_app`, token auth, SQLite in a temporary folder unless PostgreSQL is named) over in-memory
PagerDuty and Jira whose answers are delayed as each scenario says (`burst_server`); the server
notes when each page is asked for and delivered, so a time to page runs from the client's POST to
the page itself. Commits and statements are counted inside the server with SQLAlchemy's engine
events, by the lane that ran them: the request (its thread in the default executor), the page
lane, the background. The sync pass is seeded and measured in fresh processes (`burst_sync`).
PostgreSQL figures use a database created at `BENCH_POSTGRES` (default: 127.0.0.1, user postgres)
and dropped afterwards; they are skipped when it does not answer. Each measured phase lasts a few
seconds (`BENCH_SECONDS`). Figures only: nothing is asserted on time; each goal is printed beside
its figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `integrator` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx

from tests.bench.burst_server import free_port
from tests.support import report_data

REPOSITORY = Path(__file__).resolve().parents[2]
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
PAGE_WAIT = 3.0
OPEN_ESCALATIONS = 10_000


# -- one server process ---------------------------------------------------------------------------


@dataclass
class Server:
    """A running bench server: its base URL, an API token, and a shared status page's token."""

    base: str
    token: str
    status_token: str | None
    process: subprocess.Popen[str]

    def client(self) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.token}"}
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        return httpx.AsyncClient(base_url=self.base, headers=headers, timeout=60, limits=limits)


@contextlib.contextmanager
def server(*, abandon: bool = False, **options: Any) -> Iterator[Server]:
    """A server process built with `options` (see `burst_server.serve`), stopped on exit.

    `abandon` kills it instead of letting it drain (its Jira creates hang for 30 s).
    """
    folder = tempfile.mkdtemp(prefix="bench-burst-")
    port = free_port()
    options = {"folder": folder, "port": port, **options}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.burst_server", json.dumps(options)],
        cwd=REPOSITORY,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline() or "{}")
        if "token" not in ready:
            raise SystemExit("the bench server did not start")
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, process)
        yield Server(base, ready["token"], ready.get("status_token"), process)
    finally:
        stop(process, abandon=abandon)
        shutil.rmtree(folder, ignore_errors=True)


def stop(process: subprocess.Popen[str], *, abandon: bool) -> None:
    if abandon:
        process.kill()
    else:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_up(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the bench server exited while starting")
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the bench server did not start in 60 s")


# -- clients ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    escalation_id: str
    sent: float  # time.monotonic(), the same clock the server notes pages on
    seconds: float
    named_page: bool  # the reply carries the PagerDuty incident


_sequence = itertools.count()


ACCOUNTS = 40  # a bad release breaks many POCs at once: reports come from many customers


async def submit(http: httpx.AsyncClient) -> Reply:
    """POST one distinct report, for one of `ACCOUNTS` customers in turn; the reply as the reporter
    sees it. (Reports of one account are remembered in turn: on PostgreSQL its row is locked while
    each is stored, so twenty clients reporting for one customer measure that one lock instead.)"""
    n = next(_sequence)
    report = {**report_data(title=f"Batch ingest drops rows (run {n})"), "idempotency_key": f"burst-{n}"}
    report["deal"] = {**report["deal"], "account": f"Globex {n % ACCOUNTS}"}
    sent = time.monotonic()
    answer = await http.post("/api/v1/escalations", json=report)
    seconds = time.monotonic() - sent
    body = answer.json()
    if answer.status_code != 201:
        raise SystemExit(f"unexpected answer {answer.status_code}: {body}")
    return Reply(body["id"], sent, seconds, body["pagerduty"]["incident_id"] is not None)


async def submit_at(http: httpx.AsyncClient, start: float, offset: float) -> Reply:
    await asyncio.sleep(max(0.0, start + offset - time.monotonic()))
    return await submit(http)


@dataclass(frozen=True)
class Pages:
    """When the server's pager was asked for each escalation's page, and delivered it (time.monotonic())."""

    asked: dict[str, float]
    delivered: dict[str, float]


async def pages_seen(http: httpx.AsyncClient) -> Pages:
    answer = (await http.get("/bench/pages")).json()
    return Pages(answer["asked"], answer["delivered"])


async def sql_counts(http: httpx.AsyncClient) -> dict[str, int]:
    answer: dict[str, int] = (await http.get("/bench/counts")).json()
    return answer


async def settled_counts(http: httpx.AsyncClient) -> dict[str, int]:
    """The counts once the background has finished (no commit for half a second), at most 20 s."""
    counts = await sql_counts(http)
    for _ in range(40):
        await asyncio.sleep(0.5)
        again = await sql_counts(http)
        if _sql_only(again) == _sql_only(counts):
            return again
        counts = again
    return counts


def _sql_only(counts: dict[str, int]) -> dict[str, int]:
    return {name: value for name, value in counts.items() if name != "cpu_us" and not name.startswith("gc_")}


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest rank: of 20 values, p99 is the largest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def goal(text: str, figure: str, met: bool) -> None:
    print(f"  goal: {text}: {figure} {verdict(met)}")


# -- 1. Jira hanging --------------------------------------------------------------------------------


def hanging_jira() -> None:
    print("\n1. Jira hangs 30 s on every create; 15 reports over 7 s; PagerDuty instant; page wait 3 s")
    with server(abandon=True, tracker_delay=30.0, page_wait=PAGE_WAIT) as running:
        replies, delivered = asyncio.run(_hanging_jira(running))
    print(f"{'report':>6} {'sent at s':>9} {'to page ms':>10} {'reply ms':>9} {'reply names page':>16}")
    start = replies[0].sent
    to_page = []
    for n, reply in enumerate(replies, 1):
        paged = delivered.get(reply.escalation_id)
        to_page.append(paged - reply.sent if paged is not None else math.inf)
        shown = ms(to_page[-1]) if paged is not None else "never"
        named = "yes" if reply.named_page else "no"
        print(f"{n:>6} {reply.sent - start:>9.1f} {shown:>10} {ms(reply.seconds):>9} {named:>16}")
    within = sum(t <= 1.0 for t in to_page)
    named = sum(r.named_page for r in replies if r.seconds <= PAGE_WAIT)
    print(f"max time to page {ms(max(to_page))} ms; {within}/{len(replies)} paged within 1 s of their report")
    goal("every page within 1 s of its report", f"{within}/{len(replies)}", within == len(replies))
    goal("every reply within the page wait names its page", f"{named}/{len(replies)}", named == len(replies))


async def _hanging_jira(running: Server) -> tuple[list[Reply], dict[str, float]]:
    async with running.client() as http:
        await http.get("/api/v1/escalations", params={"limit": 1})  # warm: auth, the first query
        start = time.monotonic() + 0.2
        replies = await asyncio.gather(*(submit_at(http, start, n * 0.5) for n in range(15)))
        await asyncio.sleep(0.5)  # a page later than its reply still counts, when it comes
        return list(replies), (await pages_seen(http)).delivered


# -- 2. twenty at once ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Burst:
    """Reports sent together: until every page is asked for and delivered, and each reply."""

    asked: float  # from the first POST until the pager was asked for the last page
    paged: float  # ... until the last page was delivered
    replies: list[float]
    cpu: float = 0.0  # the server's CPU seconds per report, its background included


def twenty_at_once() -> None:
    print("\n2. One report vs 20 at once; PagerDuty answers in 300 ms; Jira instant")
    with server(pager_delay=0.3, page_wait=PAGE_WAIT) as running:
        one, twenty = asyncio.run(_twenty_at_once(running))
    single = statistics.median(one.replies)
    p50, p99 = percentile(twenty.replies, 0.5), percentile(twenty.replies, 0.99)
    titles = ("pager asked ms", "all paged ms", "reply p50 ms", "reply p99 ms", "CPU ms/report")
    print(f"{'':<24}", *(f"{title:>14}" for title in titles))
    for label, burst, cells in (
        ("1 report (median of 5)", one, (single, single)),
        ("20 at once", twenty, (p50, p99)),
    ):
        figures = (ms(burst.asked), ms(burst.paged), *map(ms, cells), f"{burst.cpu * 1000:.1f}")
        print(f"{label:<24}", *(f"{figure:>14}" for figure in figures))
    ratios = (twenty.paged / one.paged, p50 / single, p99 / single)
    print(f"{'ratio to 1 report':<24} {'':>14}", *(f"{ratio:>13.2f}x" for ratio in ratios))
    goal("all 20 paged within 1.3x one report", f"{ratios[0]:.2f}x", ratios[0] <= 1.3)
    goal("reply p99 within 1.5x one report", f"{ratios[2]:.2f}x", ratios[2] <= 1.5)


async def _twenty_at_once(running: Server) -> tuple[Burst, Burst]:
    async with running.client() as http:
        for _ in range(2):  # warm-up
            await submit(http)
        cpu = [(await settled_counts(http))["cpu_us"]]
        singles = [await submit(http) for _ in range(5)]
        cpu.append((await settled_counts(http))["cpu_us"])
        burst = await asyncio.gather(*(submit(http) for _ in range(20)))
        cpu.append((await settled_counts(http))["cpu_us"])
        pages = await pages_seen(http)
    one = [_burst([reply], pages) for reply in singles]
    asked, paged = statistics.median(b.asked for b in one), statistics.median(b.paged for b in one)
    single = Burst(asked, paged, [r.seconds for r in singles], cpu=(cpu[1] - cpu[0]) / 5e6)
    return single, replace(_burst(burst, pages), cpu=(cpu[2] - cpu[1]) / 20e6)


def _burst(replies: Sequence[Reply], pages: Pages) -> Burst:
    started = min(r.sent for r in replies)
    asked = max(pages.asked.get(r.escalation_id, math.inf) for r in replies) - started
    paged = max(pages.delivered.get(r.escalation_id, math.inf) for r in replies) - started
    return Burst(asked, paged, [r.seconds for r in replies])


# -- 3. dry-run throughput and SQL work -------------------------------------------------------------


@dataclass(frozen=True)
class Phase:
    clients: int
    submissions: int
    rate: float
    p50: float
    p99: float
    counts: dict[str, int]  # commits and statements by lane, over the phase and its background


def dry_run_throughput(postgres_url: str | None) -> None:
    print("\n3. Dry-run submissions (no PagerDuty/Jira credentials: the dry-run stand-ins)")
    print(f"   {SECONDS:.0f} s per phase. Per submission, by lane: req+page = the request's thread and the")
    print("   page lane (up to and including recording the page), bg = the background lane after it;")
    print("   server CPU = every thread of the server process, background included. On SQLite, writes")
    print("   that queue while one commits share its transaction (group commit): a commit is counted in")
    print("   the lane of the thread that ran it, and may carry other lanes' and reports' writes.")
    print("   full GC = the garbage collector's full collections in the phase (each stops every thread):")
    print("   how many, and their mean pause")
    print(f"{'database':<10} {'clients':>7} {'subm/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms':>7}", end=" ")
    print(
        f"{'commits req+page / bg / all':>28} {'statements req+page / bg / all':>32} {'full GC n / ms':>15}"
    )
    rows: dict[str, list[Phase]] = {"sqlite": _dry_run_phases(None)}
    if postgres_url is not None:
        rows["postgresql"] = _dry_run_phases(postgres_url)
    for database, phases in rows.items():
        for phase in phases:
            print(f"{database:<10} {_phase_line(phase)}")
    bare = bare_sqlite_commits()
    sqlite_commits = _per_submission(rows["sqlite"][-1], "commits")
    print(f"bare SQLite (WAL, synchronous=FULL, same disk): {bare:.0f} single-row commits/s", end="")
    print(f" -> at {sqlite_commits[2]:.1f} commits per submission, at most {bare / sqlite_commits[2]:.0f}/s")
    _dry_run_goals(rows)


def _dry_run_phases(database_url: str | None) -> list[Phase]:
    with server(database_url=database_url, dry_run=True, page_wait=PAGE_WAIT) as running:
        asyncio.run(_throughput(running, 4, warm_up=True))
        return [asyncio.run(_throughput(running, clients)) for clients in (1, 20)]


async def _throughput(running: Server, clients: int, *, warm_up: bool = False) -> Phase:
    latencies: list[float] = []

    async def client(http: httpx.AsyncClient, deadline: float) -> None:
        while time.monotonic() < deadline:
            latencies.append((await submit(http)).seconds)

    async with running.client() as http:
        before = await settled_counts(http)
        started = time.monotonic()
        await asyncio.gather(*(client(http, started + (1 if warm_up else SECONDS)) for _ in range(clients)))
        elapsed = time.monotonic() - started
        after = await settled_counts(http)
    counts = {name: after[name] - before.get(name, 0) for name in after}
    rate = len(latencies) / elapsed
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    return Phase(clients, len(latencies), rate, p50, p99, counts)


def _per_submission(phase: Phase, what: str) -> tuple[float, float, float]:
    """(request + page lane, background, all) per submission."""
    n = phase.submissions
    front = (phase.counts.get(f"request {what}", 0) + phase.counts.get(f"page {what}", 0)) / n
    back = phase.counts.get(f"background {what}", 0) / n
    return front, back, front + back


def _phase_line(phase: Phase) -> str:
    commits = "{:.1f} / {:.1f} / {:.1f}".format(*_per_submission(phase, "commits"))
    statements = "{:.1f} / {:.1f} / {:.1f}".format(*_per_submission(phase, "statements"))
    cpu = phase.counts.get("cpu_us", 0) / 1000 / phase.submissions
    figures = f"{phase.clients:>7} {phase.rate:>7.1f} {ms(phase.p50):>7} {ms(phase.p99):>7} {cpu:>7.1f}"
    full = phase.counts.get("gc_full", 0)
    pause = phase.counts.get("gc_full_us", 0) / 1000 / full if full else 0.0
    return f"{figures} {commits:>28} {statements:>32} {f'{full} / {pause:.0f}':>15}"


def _dry_run_goals(rows: dict[str, list[Phase]]) -> None:
    for database, floor in (("sqlite", 150), ("postgresql", 100)):
        if database not in rows:
            print(f"  goal: >= {floor}/s on {database}: not measured (no database)")
            continue
        one, twenty = rows[database]
        goal(f">= {floor}/s at 20 clients on {database}", f"{twenty.rate:.0f}/s", twenty.rate >= floor)
        goal(f"p99 < 250 ms at 20 clients on {database}", f"{ms(twenty.p99)} ms", twenty.p99 < 0.25)
        ratio = twenty.rate / one.rate
        goal(f"20 clients not slower than 1 on {database}", f"{ratio:.2f}x", ratio >= 1.0)
        front = max(_per_submission(p, "commits")[0] for p in (one, twenty))
        goal(f"<= 3 commits per submission up to the page on {database}", f"{front:.1f}", front <= 3.0)


def bare_sqlite_commits(seconds: float = 1.0) -> float:
    """Single-row INSERT + commit per second on a SQLite file with the store's pragmas."""
    with tempfile.TemporaryDirectory(dir=tempfile.gettempdir()) as folder:
        db = sqlite3.connect(Path(folder) / "bare.db", isolation_level=None)
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
            db.execute(f"PRAGMA {pragma}")
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
        done = 0
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            db.execute("BEGIN")
            db.execute("INSERT INTO t (body) VALUES (?)", ("x" * 200,))
            db.execute("COMMIT")
            done += 1
        rate = done / (time.monotonic() - started)
        db.close()
    return rate


# -- 4. sync pass at 10,000 open escalations --------------------------------------------------------


def sync_at_scale() -> None:
    print(f"\n4. One steady-state sync pass at {OPEN_ESCALATIONS:,} open escalations (SQLite, instant fakes)")
    with tempfile.TemporaryDirectory() as folder:
        seeded = _sync_process("--seed-sync", folder, str(OPEN_ESCALATIONS))
        measured = _sync_process("--measure-sync", folder)
        traced = _sync_process("--measure-sync", folder, "--tracemalloc")
    print(f"   seeded in {seeded['seconds']:.1f} s; each measurement in a fresh process")
    print(f"{'watched':>8} {'changed':>8} {'wall ms':>8} {'in fakes ms':>11} {'own ms':>7}", end=" ")
    print(f"{'RSS growth MB':>13} {'tracemalloc peak MB':>19}")
    own = measured["seconds"] - measured["fakes_seconds"]
    print(f"{measured['watched']:>8} {measured['changed']:>8} {ms(measured['seconds']):>8}", end=" ")
    print(f"{ms(measured['fakes_seconds']):>11} {ms(own):>7} {measured['rss_growth_mb']:>13.1f}", end=" ")
    print(f"{traced['traced_peak_mb']:>19.1f}")
    goal("own time < 1 s", f"{own:.2f} s", own < 1.0)
    growth = measured["rss_growth_mb"]
    goal("peak RSS growth < 50 MB", f"{growth:.1f} MB", growth < 50)


def _sync_process(*arguments: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.burst_sync", *arguments],
        cwd=REPOSITORY,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"burst_sync {arguments[0]} failed:\n{done.stderr}")
    answer: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return answer


# -- 5. the status page during a burst --------------------------------------------------------------


def status_page_under_burst() -> None:
    print("\n5. GET /status/{token} alone and during 50 concurrent submissions")
    print(f"   PagerDuty answers in 2 s, page wait {PAGE_WAIT:.0f} s")
    with server(pager_delay=2.0, page_wait=PAGE_WAIT, share=True) as running:
        alone, during, replies = asyncio.run(_status_page(running))
    print(f"{'':<26} {'requests':>8} {'p50 ms':>7} {'p99 ms':>7}")
    for label, values in (("alone", alone), ("during 50 submissions", during)):
        p50, p99 = ms(percentile(values, 0.5)), ms(percentile(values, 0.99))
        print(f"{label:<26} {len(values):>8} {p50:>7} {p99:>7}")
    p50_ratio = percentile(during, 0.5) / percentile(alone, 0.5)
    p99_ratio = percentile(during, 0.99) / percentile(alone, 0.99)
    print(f"{'ratio during / alone':<26} {'':>8} {p50_ratio:>6.1f}x {p99_ratio:>6.1f}x")
    seconds = [r.seconds for r in replies]
    named = sum(r.named_page for r in replies)
    print(f"   the 50 submissions: reply p50 {ms(percentile(seconds, 0.5))} ms,", end=" ")
    print(f"p99 {ms(percentile(seconds, 0.99))} ms; {named}/50 named their page")


async def _status_page(running: Server) -> tuple[list[float], list[float], list[Reply]]:
    path = f"/status/{running.status_token}"
    async with running.client() as http, running.client() as customer:
        await probe_once(customer, path)  # warm-up
        alone = [await probe_once(customer, path) for _ in range(100)]
        during: list[float] = []
        burst = asyncio.gather(*(submit(http) for _ in range(50)))
        while not burst.done():
            during.append(await probe_once(customer, path))
        return alone, during, list(await burst)


async def probe_once(http: httpx.AsyncClient, path: str) -> float:
    started = time.monotonic()
    answer = await http.get(path)
    if answer.status_code != 200:
        raise SystemExit(f"status page answered {answer.status_code}")
    return time.monotonic() - started


# -- start-up ---------------------------------------------------------------------------------------


def startup_time() -> None:
    print("\n6. Start-up: `python -m integrator --help`, median of 5 runs")
    runs = []
    for _ in range(5):
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "integrator", "--help"], capture_output=True, check=True)
        runs.append(time.monotonic() - started)
    median = statistics.median(runs)
    print(f"   {ms(median)} ms (runs: {', '.join(ms(r) for r in runs)} ms)")
    goal("< 300 ms", f"{ms(median)} ms", median < 0.3)


# -- PostgreSQL -------------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_database() -> Iterator[str | None]:
    """A fresh database's URL for the run (dropped after), or None when PostgreSQL does not answer."""
    import psycopg

    name = f"bench_burst_{os.getpid()}"
    try:
        admin = psycopg.connect(POSTGRES, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        yield None
        return
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield POSTGRES.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def header() -> None:
    load = os.getloadavg()
    cpus = os.cpu_count() or 1
    print("Burst benchmarks (figures only; goals from the page-lane issue)")
    print(f"machine: {cpus} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
    if load[0] > cpus * 0.75:
        print(f"NOTE: a loaded {cpus}-core box shared with other work: timings run high and vary")


SECTIONS = ("hanging", "twenty", "dryrun", "sync", "status", "startup")


def main(only: Sequence[str] = SECTIONS) -> None:
    header()
    if "hanging" in only:
        hanging_jira()
    if "twenty" in only:
        twenty_at_once()
    if "dryrun" in only:
        with postgres_database() as postgres_url:
            dry_run_throughput(postgres_url)
    if "sync" in only:
        sync_at_scale()
    if "status" in only:
        status_page_under_burst()
    if "startup" in only:
        startup_time()
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"sections to run, comma-separated: {','.join(SECTIONS)}"
    )
    main(parser.parse_args().only.split(","))
