"""The failure fingerprint: the same failure in two runs gets one id; another failure gets another."""

# ruff: noqa: E501 -- the traces are real-world shaped, and real frames are long lines

from __future__ import annotations

import pytest

from integrator.domain.fingerprint import FRAMES, Fingerprint, fingerprint_of

ROOTS = ["/app/", "/srv/", "/usr/src/app/", "/code/", "/workspace/"]
TEAM = "@acme/ingest"

# Each language: one failure as two runs print it. Line numbers, ids, timestamps, addresses,
# thread and goroutine numbers, library versions and the messages' values all differ.

PYTHON_RUN_1 = """\
2026-11-28 09:14:02,117 ERROR [ingest-worker-3] pid=4411 batch 7f3a failed
Traceback (most recent call last):
  File "/app/services/ingest/connectors/db/pool.py", line 142, in acquire
    conn = self._queue.get(timeout=self.timeout)
  File "/usr/local/lib/python3.11/site-packages/sqlalchemy/pool/base.py", line 301, in _do_get
    raise exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached")
sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/usr/local/lib/python3.11/asyncio/runners.py", line 118, in run
    return self._loop.run_until_complete(task)
  File "/app/services/ingest/pipeline/buffer.py", line 88, in flush
    await self.pool.acquire()
  File "/app/services/ingest/connectors/db/pool.py", line 151, in acquire
    raise PoolExhausted(f"pool {id(self):#x} exhausted after {waited:.1f}s") from exc
services.ingest.pool.PoolExhausted: pool 0x7f3b2c1d9e40 exhausted after 30.0s
"""

PYTHON_RUN_2 = """\
2026-11-29 17:40:51,903 ERROR [ingest-worker-12] pid=907 batch c01d failed
Traceback (most recent call last):
  File "/app/services/ingest/connectors/db/pool.py", line 147, in acquire
    conn = self._queue.get(timeout=self.timeout)
  File "/usr/local/lib/python3.12/site-packages/sqlalchemy/pool/impl.py", line 168, in _do_get
    raise exc.TimeoutError("QueuePool limit of size 8 overflow 4 reached")
  File "/usr/local/lib/python3.12/site-packages/sqlalchemy/util/langhelpers.py", line 146, in __exit__
    raise exc_value.with_traceback(exc_tb)
sqlalchemy.exc.TimeoutError: QueuePool limit of size 8 overflow 4 reached, connection timed out, timeout 10.00

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/usr/local/lib/python3.12/asyncio/runners.py", line 194, in run
    return runner.run(main)
  File "/app/services/ingest/pipeline/buffer.py", line 93, in flush
    await self.pool.acquire()
  File "/app/services/ingest/connectors/db/pool.py", line 156, in acquire
    raise PoolExhausted(f"pool {id(self):#x} exhausted after {waited:.1f}s") from exc
services.ingest.pool.PoolExhausted: pool 0x7fa0015c3b10 exhausted after 10.0s
"""

JAVA_RUN_1 = """\
2026-11-28T09:14:02.117Z ERROR 1 --- [ingest-worker-3] c.a.auth.token.TokenService : refresh failed for tenant globex
Exception in thread "ingest-worker-3" com.acme.auth.TokenRefreshException: cannot refresh token for tenant globex (request 5d1c9a)
\tat com.acme.auth.token.TokenService.refresh(TokenService.java:212)
\tat com.acme.auth.token.TokenService.lambda$scheduleRefresh$0(TokenService.java:98)
\tat java.base/java.util.concurrent.Executors$RunnableAdapter.call(Executors.java:539)
\tat java.base/java.util.concurrent.FutureTask.run(FutureTask.java:264)
\tat java.base/java.lang.Thread.run(Thread.java:840)
Caused by: org.postgresql.util.PSQLException: Connection to db.internal:5432 refused.
\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:181) ~[HikariCP-5.0.1.jar:na]
\tat app//com.acme.auth.store.TokenStore.load(TokenStore.java:57)
\tat com.acme.auth.store.TokenStore$$Lambda$412/0x0000000801234a58.get(Unknown Source)
\tat com.acme.auth.token.TokenService.refresh(TokenService.java:205)
\t... 4 more
"""

JAVA_RUN_2 = """\
2026-11-29T17:40:51.903Z ERROR 1 --- [ingest-worker-12] c.a.auth.token.TokenService : refresh failed for tenant initech
Exception in thread "ingest-worker-12" com.acme.auth.TokenRefreshException: cannot refresh token for tenant initech (request 88e0f1)
\tat com.acme.auth.token.TokenService.refresh(TokenService.java:219)
\tat com.acme.auth.token.TokenService.lambda$scheduleRefresh$0(TokenService.java:101)
\tat java.base/java.util.concurrent.Executors$RunnableAdapter.call(Executors.java:572)
\tat java.base/java.util.concurrent.FutureTask.run(FutureTask.java:317)
\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1144)
\tat java.base/java.lang.Thread.run(Thread.java:1583)
Caused by: org.postgresql.util.PSQLException: Connection to db.internal:6432 refused.
\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:186) ~[HikariCP-5.1.0.jar:na]
\tat app//com.acme.auth.store.TokenStore.load(TokenStore.java:61)
\tat com.acme.auth.store.TokenStore$$Lambda$977/0x000000080144c2d8.get(Unknown Source)
\tat com.acme.auth.token.TokenService.refresh(TokenService.java:212)
\t... 5 more
"""

GO_RUN_1 = """\
2026/11/28 09:14:02 query: planning request 81f2 for tenant globex
panic: runtime error: index out of range [5] with length 3

goroutine 87 [running]:
github.com/acme/query-engine/internal/planner.(*Planner).pick(...)
\t/workspace/services/query/internal/planner/pick.go:41
github.com/acme/query-engine/internal/planner.(*Planner).Plan(0xc0001a2000, {0xc000412340, 0x5})
\t/workspace/services/query/internal/planner/planner.go:87 +0x2c
github.com/acme/query-engine/internal/exec.(*Engine).Run(0xc0001a2000, {0xb1c2e8, 0xc00031e0f0}, {0xc000412340, 0x5})
\t/workspace/services/query/internal/exec/engine.go:143 +0x1d4
net/http.HandlerFunc.ServeHTTP(0xc000120000, {0xb1a720, 0xc0003d4000}, 0xc000184300)
\t/usr/local/go/src/net/http/server.go:2166 +0x29
created by net/http.(*Server).Serve in goroutine 1
\t/usr/local/go/src/net/http/server.go:3086 +0x5cb
"""

GO_RUN_2 = """\
2026/11/29 17:40:51 query: planning request 0c77 for tenant initech
panic: runtime error: index out of range [9] with length 4

goroutine 1403 [running]:
github.com/acme/query-engine/internal/planner.(*Planner).pick(...)
\t/workspace/services/query/internal/planner/pick.go:44
github.com/acme/query-engine/internal/planner.(*Planner).Plan(0xc000ae6000, {0xc0009021c0, 0x9})
\t/workspace/services/query/internal/planner/planner.go:91 +0x3f
github.com/acme/query-engine/internal/exec.(*Engine).Run(0xc000ae6000, {0xb1d308, 0xc0004a2e10}, {0xc0009021c0, 0x9})
\t/workspace/services/query/internal/exec/engine.go:150 +0x1e8
github.com/go-chi/chi/v5.(*Mux).routeHTTP(0xc0000b4000, {0xb1a720, 0xc00072a0e0}, 0xc000b0a000)
\t/root/go/pkg/mod/github.com/go-chi/chi/v5@v5.0.12/mux.go:444 +0x216
net/http.HandlerFunc.ServeHTTP(0xc000120000, {0xb1a720, 0xc00072a0e0}, 0xc000b0a000)
\t/usr/local/go/src/net/http/server.go:2171 +0x29
created by net/http.(*Server).Serve in goroutine 23
\t/usr/local/go/src/net/http/server.go:3285 +0x4b4
"""

NODE_RUN_1 = """\
[2026-11-28T09:14:02.117Z] error pid=31 sync job 6412 failed
TypeError: Cannot read properties of undefined (reading 'rows')
    at PostgresPool.acquire (/usr/src/app/connectors/postgres/src/pool.ts:88:19)
    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)
    at async SyncJob.run (/usr/src/app/connectors/core/src/job.ts:142:7)
    at async Promise.all (index 0)
    at async /usr/src/app/node_modules/p-retry/index.js:50:12
    at async Scheduler.tick (/usr/src/app/connectors/core/src/scheduler.ts:17:3)
"""

NODE_RUN_2 = """\
[2026-11-29T17:40:51.903Z] error pid=1207 sync job 9930 failed
TypeError: Cannot read properties of undefined (reading 'rows')
    at PostgresPool.acquire (/usr/src/app/connectors/postgres/src/pool.ts:91:23)
    at process.processTicksAndRejections (node:internal/process/task_queues:105:5)
    at async SyncJob.run (/usr/src/app/connectors/core/src/job.ts:150:9)
    at async Promise.all (index 2)
    at async /usr/src/app/node_modules/p-retry/index.js:57:19
    at async RetryOperation._fn (/usr/src/app/node_modules/retry/lib/retry_operation.js:112:31)
    at async Scheduler.tick (/usr/src/app/connectors/core/src/scheduler.ts:19:5)
"""

DOTNET_RUN_1 = r"""fail: Acme.Billing.Api[0] 2026-11-28T09:14:02Z request 0HN8KD2Q1B7G4:00000002 failed
System.InvalidOperationException: Invoice 8812 could not be finalised
 ---> Npgsql.NpgsqlException (0x80004005): Exception while reading from stream
 ---> System.TimeoutException: Timeout during reading attempt
   at Npgsql.Internal.NpgsqlReadBuffer.<Ensure>g__EnsureLong|55_0(NpgsqlReadBuffer buffer, Int32 count)
   --- End of inner exception stack trace ---
   at Npgsql.NpgsqlDataReader.NextResult(Boolean async, Boolean isConsuming, CancellationToken cancellationToken)
   at Acme.Billing.Data.InvoiceRepository.LoadAsync(Guid invoiceId) in /_/src/Acme.Billing/Data/InvoiceRepository.cs:line 64
   --- End of inner exception stack trace ---
   at Acme.Billing.Invoices.InvoiceFinaliser.FinaliseAsync(Guid invoiceId) in /_/src/Acme.Billing/Invoices/InvoiceFinaliser.cs:line 41
--- End of stack trace from previous location ---
   at Acme.Billing.Api.Controllers.InvoicesController.<Finalise>d__7.MoveNext() in /_/src/Acme.Billing.Api/Controllers/InvoicesController.cs:line 77
   at Microsoft.AspNetCore.Mvc.Infrastructure.ActionMethodExecutor.TaskOfIActionResultExecutor.Execute(ActionContext context)
"""

DOTNET_RUN_2 = r"""fail: Acme.Billing.Api[0] 2026-11-29T17:40:51Z request 0HN8KE9TT3M1A:00000017 failed
System.InvalidOperationException: Invoice 20417 could not be finalised
 ---> Npgsql.NpgsqlException (0x80004005): Exception while reading from stream
 ---> System.TimeoutException: Timeout during reading attempt
   at Npgsql.Internal.NpgsqlReadBuffer.<Ensure>g__EnsureLong|57_0(NpgsqlReadBuffer buffer, Int32 count)
   at Npgsql.Internal.NpgsqlConnector.ReadMessageLong(Boolean async, DataRowLoadingMode dataRowLoadingMode)
   --- End of inner exception stack trace ---
   at Npgsql.NpgsqlDataReader.NextResult(Boolean async, Boolean isConsuming, CancellationToken cancellationToken)
   at Acme.Billing.Data.InvoiceRepository.LoadAsync(Guid invoiceId) in /_/src/Acme.Billing/Data/InvoiceRepository.cs:line 66
   --- End of inner exception stack trace ---
   at Acme.Billing.Invoices.InvoiceFinaliser.FinaliseAsync(Guid invoiceId) in /_/src/Acme.Billing/Invoices/InvoiceFinaliser.cs:line 44
--- End of stack trace from previous location ---
   at Acme.Billing.Api.Controllers.InvoicesController.<Finalise>d__9.MoveNext() in /_/src/Acme.Billing.Api/Controllers/InvoicesController.cs:line 80
   at Microsoft.AspNetCore.Mvc.Infrastructure.ActionMethodExecutor.TaskOfIActionResultExecutor.Execute(ActionContext context)
   at Microsoft.AspNetCore.Mvc.Infrastructure.ControllerActionInvoker.<InvokeActionMethodAsync>g__Logged|12_1(ControllerActionInvoker invoker)
"""

RUNS = {
    "python": (PYTHON_RUN_1, PYTHON_RUN_2),
    "java": (JAVA_RUN_1, JAVA_RUN_2),
    "go": (GO_RUN_1, GO_RUN_2),
    "node": (NODE_RUN_1, NODE_RUN_2),
    "dotnet": (DOTNET_RUN_1, DOTNET_RUN_2),
}


def fingerprint(trace: str, team: str = TEAM) -> Fingerprint:
    found = fingerprint_of(trace, team=team, source_roots=ROOTS)
    assert found is not None
    return found


@pytest.mark.parametrize("language", RUNS)
def test_two_runs_of_one_failure_get_one_fingerprint(language: str) -> None:
    first, second = RUNS[language]

    assert fingerprint(first) == fingerprint(second)
    assert len(fingerprint(first).id) == 16


def test_a_python_fingerprint_is_the_raised_exception_at_its_innermost_own_frames() -> None:
    found = fingerprint(PYTHON_RUN_1)

    assert found.exception == "services.ingest.pool.PoolExhausted"
    assert found.frames == (
        "services/ingest/connectors/db/pool.py:acquire",
        "services/ingest/pipeline/buffer.py:flush",
        "services/ingest/connectors/db/pool.py:acquire",
    )
    assert found.team == TEAM
    assert found.describe() == (
        "matches on: `services.ingest.pool.PoolExhausted` at `services/ingest/connectors/db/pool.py:acquire`"
        " ← `services/ingest/pipeline/buffer.py:flush` ← `services/ingest/connectors/db/pool.py:acquire`,"
        " owned by @acme/ingest"
    )


def test_each_language_names_its_exception_and_functions_without_numbers() -> None:
    java, go, node, dotnet = (fingerprint(RUNS[lang][0]) for lang in ("java", "go", "node", "dotnet"))

    assert java.exception == "com.acme.auth.TokenRefreshException"
    assert java.frames[:2] == (
        "com/acme/auth/token/TokenService.java:TokenService.refresh",
        "com/acme/auth/token/TokenService.java:TokenService.lambda$scheduleRefresh$#",
    )
    assert go.exception == "runtime error: index out of range"
    assert go.frames == (
        "services/query/internal/planner/pick.go:planner.(*Planner).pick",
        "services/query/internal/planner/planner.go:planner.(*Planner).Plan",
        "services/query/internal/exec/engine.go:exec.(*Engine).Run",
    )
    assert node.exception == "TypeError"
    assert node.frames == (
        "connectors/postgres/src/pool.ts:PostgresPool.acquire",
        "connectors/core/src/job.ts:SyncJob.run",
        "connectors/core/src/scheduler.ts:Scheduler.tick",
    )
    assert dotnet.exception == "System.InvalidOperationException"
    assert dotnet.frames == (
        "src/Acme.Billing/Invoices/InvoiceFinaliser.cs:InvoiceFinaliser.FinaliseAsync",
        "src/Acme.Billing.Api/Controllers/InvoicesController.cs:InvoicesController.Finalise",
        "src/Acme.Billing/Data/InvoiceRepository.cs:InvoiceRepository.LoadAsync",
    )


@pytest.mark.parametrize(
    ("language", "old", "new"),
    [
        ("python", "services.ingest.pool.PoolExhausted:", "services.ingest.pool.PoolClosed:"),
        ("java", "com.acme.auth.TokenRefreshException:", "com.acme.auth.TokenRevokedException:"),
        ("go", "panic: runtime error: index out of range", "panic: runtime error: slice bounds out of range"),
        ("node", "TypeError: Cannot read", "RangeError: Cannot read"),
        ("dotnet", "System.InvalidOperationException:", "System.ArgumentNullException:"),
    ],
)
def test_another_exception_at_the_same_frames_is_another_failure(language: str, old: str, new: str) -> None:
    trace = RUNS[language][0]
    assert old in trace

    assert fingerprint(trace.replace(old, new)).id != fingerprint(trace).id


@pytest.mark.parametrize(
    ("language", "old", "new"),
    [
        ("python", "pipeline/buffer.py", "pipeline/spill.py"),
        ("java", "TokenService.refresh(", "TokenService.rotate("),
        ("go", "(*Engine).Run(", "(*Engine).Explain("),
        ("node", "at async SyncJob.run (", "at async BackfillJob.run ("),
        ("dotnet", "InvoiceFinaliser.FinaliseAsync", "InvoiceFinaliser.VoidAsync"),
    ],
)
def test_the_same_exception_from_another_own_frame_is_another_failure(
    language: str, old: str, new: str
) -> None:
    trace = RUNS[language][0]
    assert old in trace

    assert fingerprint(trace.replace(old, new)).id != fingerprint(trace).id


@pytest.mark.parametrize("language", RUNS)
def test_one_failure_owned_by_another_team_is_another_fingerprint(language: str) -> None:
    trace = RUNS[language][0]

    assert fingerprint(trace, "@acme/billing").id != fingerprint(trace).id


def test_library_frames_coming_and_going_leave_the_fingerprint_alone() -> None:
    more_library = PYTHON_RUN_1.replace(
        '  File "/app/services/ingest/pipeline/buffer.py"',
        '  File "/opt/venv/lib/python3.11/site-packages/tenacity/__init__.py", line 382, in __call__\n'
        "    result = fn(*args, **kwargs)\n"
        '  File "/app/services/ingest/pipeline/buffer.py"',
    )

    assert fingerprint(more_library) == fingerprint(PYTHON_RUN_1)


def test_the_temporary_directory_a_script_ran_from_is_not_part_of_it() -> None:
    trace = """\
Traceback (most recent call last):
  File "/tmp/{dir}/services/ingest/loader.py", line {line}, in load
    rows = read(path)
  File "/tmp/{dir}/services/ingest/csvfile.py", line 12, in read
    raise BadHeader(path)
services.ingest.csvfile.BadHeader: /tmp/{dir}/batch-{line}.csv
"""
    first = fingerprint(trace.format(dir="tmpa8f3k2x_", line=40))

    assert first == fingerprint(trace.format(dir="tmp9qz_0k1c", line=41))
    assert first.frames == ("<tmp>/services/ingest/csvfile.py:read", "<tmp>/services/ingest/loader.py:load")


def test_hashed_and_numbered_path_segments_are_not_part_of_it() -> None:
    trace = """\
TypeError: x is not a function
    at render (/srv/releases/{release}/web/dist/main.{hash}.js:1:{column})
    at /srv/cache/{uuid}/web/boot.js:3:9
"""
    first = fingerprint(
        trace.format(
            release="20261128091402",
            hash="3f2a9c1b",
            column=8812,
            uuid="0b6f6f38-3a2e-4f9e-9d8b-5c1f0e9a7d21",
        )
    )
    second = fingerprint(
        trace.format(
            release="20261129174051",
            hash="e41d07aa",
            column=9001,
            uuid="f1d2c3b4-0000-4abc-8def-1234567890ab",
        )
    )

    assert first == second
    assert first.frames == ("releases/#/web/dist/main.#.js:render", "cache/#/web/boot.js:<anonymous>")


def test_a_deep_recursion_counts_once_however_deep() -> None:
    def trace(depth: int) -> str:
        frames = '  File "/app/services/rules/tree.py", line 30, in visit\n' * depth
        return (
            "Traceback (most recent call last):\n"
            '  File "/app/services/rules/engine.py", line 9, in evaluate\n'
            f"{frames}RecursionError: maximum recursion depth exceeded\n"
        )

    assert fingerprint(trace(40)) == fingerprint(trace(997))
    assert fingerprint(trace(40)).frames == (
        "services/rules/tree.py:visit",
        "services/rules/engine.py:evaluate",
    )


def test_own_frames_beyond_the_innermost_three_do_not_count() -> None:
    def entered_from(handler: str) -> str:
        return GO_RUN_1.replace(
            "net/http.HandlerFunc.ServeHTTP",
            f"github.com/acme/query-engine/internal/api.(*Server).{handler}(0xc0000b4000)\n"
            f"\t/workspace/services/query/internal/api/server.go:61 +0x88\n"
            "net/http.HandlerFunc.ServeHTTP",
        )

    assert FRAMES == 3
    assert fingerprint(entered_from("Query")) == fingerprint(entered_from("Explain")) == fingerprint(GO_RUN_1)


def test_a_trace_of_library_frames_only_is_known_by_its_exception() -> None:
    trace = """\
Traceback (most recent call last):
  File "/usr/local/lib/python3.11/site-packages/requests/adapters.py", line 519, in send
    raise ConnectionError(e, request=request)
requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.acme.example', port=443)
"""
    found = fingerprint(trace)

    assert found.exception == "requests.exceptions.ConnectionError"
    assert found.frames == ()
    assert found.describe() == "matches on: `requests.exceptions.ConnectionError`, owned by @acme/ingest"


def test_a_report_without_a_stack_trace_has_no_fingerprint() -> None:
    for text in ["", "the nightly load lost 1.2% of rows; no error was shown", "KeyError: 'tenant'"]:
        assert fingerprint_of(text, team=TEAM, source_roots=ROOTS) is None


HOSTILE = [
    "at a(" + ") in " * 40_000,
    '  File "' * 34_000,
    "\tat " + "a." * 100_000 + "(",
    'Exception in thread "' + "a" * 200_000,
    " " + "x.go:1" * 34_000,
    "panic: " + "[" * 200_000 + "\n\t/workspace/x.go:1 +0x1",
    "    at " + "a (" * 67_000 + ":1:1)",
    "    at x (" + "/a:1" * 50_000 + ":1:1)",
    '  File "/app/' + "1a" * 100_000 + '.py", line 1, in f',
    '  File "/tmp/' + "a/" * 100_000 + 'x.py", line 1, in f',
    "Traceback (most recent call last):\n" * 6_000,
    '  File "/app/x.py", line 1, in f\n' + "a." * 100_000,
    "A" + ".a`" * 67_000,
    "|" * 200_000,
    "\tat a.b(A.java:1)\n    at x (/a.js:1:1)\n   at A.B() in /a.cs:line 1\n\t/a.go:1\n" * 2_500,
]


@pytest.mark.parametrize("junk", HOSTILE, ids=range(len(HOSTILE)))
def test_two_hundred_kilobytes_of_hostile_text_are_read_and_bounded(junk: str) -> None:
    found = fingerprint_of(junk, team=TEAM, source_roots=ROOTS)

    assert len(junk) >= 190_000
    assert found is None or (len(found.exception or "") <= 300 and all(len(f) <= 300 for f in found.frames))
