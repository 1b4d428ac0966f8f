"""Stack traces to locations: the vendor's own frames, innermost first, made repository-relative."""

# ruff: noqa: E501 -- the traces are real-world shaped, and real frames are long lines

from __future__ import annotations

from integrator.domain.traces import extract_locations

ROOTS = ["/app/", "/srv/", "/usr/src/app/", "/code/", "/workspace/"]

PYTHON_CHAINED = """\
Traceback (most recent call last):
  File "/app/services/ingest/connectors/db/pool.py", line 142, in fetch
    conn = self._acquire(timeout=self.timeout)
  File "/usr/local/lib/python3.11/site-packages/sqlalchemy/pool/base.py", line 301, in _acquire
    raise exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached")
sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/usr/local/lib/python3.11/asyncio/runners.py", line 118, in run
    return self._loop.run_until_complete(task)
  File "<frozen runpy>", line 198, in _run_module_as_main
  File "/app/services/ingest/api/batch.py", line 88, in load_batch
    rows = await self._fetch(cursor)
  File "/app/services/ingest/api/batch.py", line 120, in _fetch
    return await loop.run_in_executor(None, self.pool.fetch, cursor)
  File "/app/services/ingest/api/retry.py", line 31, in wrapper
    raise IngestFailed(batch_id) from exc
services.ingest.errors.IngestFailed: batch 7f3a failed after 3 attempts
"""

PYTHON_EXCEPTION_GROUP = """\
  + Exception Group Traceback (most recent call last):
  |   File "/srv/services/ingest/worker.py", line 40, in main
  |     async with asyncio.TaskGroup() as tg:
  |   File "/usr/lib/python3.11/asyncio/taskgroups.py", line 147, in __aexit__
  |     raise me from None
  | ExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception)
  +-+---------------- 1 ----------------
    | Traceback (most recent call last):
    |   File "/srv/services/ingest/worker.py", line 22, in load
    |     await sink.write(rows)
    |   File "/srv/.venv/lib/python3.11/site-packages/aiobotocore/client.py", line 408, in _make_api_call
    |     raise error_class(parsed_response, operation_name)
    | botocore.exceptions.ClientError: An error occurred (AccessDenied)
    +------------------------------------
"""

JAVA = """\
Exception in thread "ingest-worker-3" com.acme.auth.TokenRefreshException: cannot refresh token for tenant globex
\tat com.acme.auth.token.TokenService.refresh(TokenService.java:212)
\tat com.acme.auth.token.TokenService.lambda$scheduleRefresh$0(TokenService.java:98)
\tat java.base/java.util.concurrent.Executors$RunnableAdapter.call(Executors.java:539)
\tat java.base/java.util.concurrent.FutureTask.run(FutureTask.java:264)
\tat java.base/java.lang.Thread.run(Thread.java:840)
Caused by: org.postgresql.util.PSQLException: Connection to db.internal:5432 refused.
\tat org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl(ConnectionFactoryImpl.java:346)
\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:181) ~[HikariCP-5.0.1.jar:na]
\tat app//com.acme.auth.store.TokenStore.load(TokenStore.java:57)
\tat com.acme.auth.store.TokenStore$$Lambda$412/0x0000000801234a58.get(Unknown Source)
\tat com.acme.auth.token.TokenService.refresh(TokenService.java:205)
\t... 4 more
Caused by: java.net.ConnectException: Connection refused
\tat java.base/sun.nio.ch.Net.pollConnect(Native Method)
\tat jdk.internal.misc.Unsafe.park(Native Method)
\tat javax.net.ssl.SSLSocket.connect(SSLSocket.java:100)
\t... 12 more
"""

GO = """\
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x7a5b2c]

goroutine 87 [running]:
github.com/acme/query-engine/internal/planner.(*Planner).Plan(0x0, {0xc000412340, 0x5})
\t/workspace/services/query/internal/planner/planner.go:87 +0x2c
github.com/acme/query-engine/internal/exec.(*Engine).Run(0xc0001a2000, {0xb1c2e8, 0xc00031e0f0}, {0xc000412340, 0x5})
\t/workspace/services/query/internal/exec/engine.go:143 +0x1d4
github.com/jackc/pgx/v5.(*Conn).Query(0xc0002c4000, {0xb1c2e8, 0xc00031e0f0})
\t/root/go/pkg/mod/github.com/jackc/pgx/v5@v5.5.4/conn.go:712 +0x56
net/http.HandlerFunc.ServeHTTP(0xc000120000, {0xb1a720, 0xc0003d4000}, 0xc000184300)
\t/usr/local/go/src/net/http/server.go:2166 +0x29
net/http.(*conn).serve(0xc0000d2090, {0xb1c2e8, 0xc00007a1e0})
\t/usr/local/go/src/net/http/server.go:2009 +0x5f4
created by net/http.(*Server).Serve in goroutine 1
\t/usr/local/go/src/net/http/server.go:3086 +0x5cb
"""

GO_TRIMPATH = """\
panic: planner: unknown operator "@@"

goroutine 1 [running]:
runtime.gopanic({0x8a2f40, 0xc0000a8010})
\truntime/panic.go:770 +0x132
github.com/acme/query-engine/internal/planner.parseOperator({0xc00001c0a8, 0x2})
\tgithub.com/acme/query-engine/internal/planner/ops.go:31 +0x1a5
main.main()
\tgithub.com/acme/query-engine/cmd/query/main.go:21 +0x45
exit status 2
"""

NODE = """\
Error: connect ECONNREFUSED 10.0.4.17:5432
    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)
    at async PostgresPool.acquire (/usr/src/app/connectors/postgres/src/pool.ts:88:19)
    at async Promise.all (index 0)
    at async SyncJob.run (/usr/src/app/connectors/core/src/job.ts:142:7)
    at /usr/src/app/node_modules/p-retry/index.js:50:12
    at file:///usr/src/app/connectors/core/src/scheduler.mjs:17:3
    at new Promise (<anonymous>)
    at process.processTicksAndRejections (node:internal/process/task_queues:95:5) {
  errno: -111,
  code: 'ECONNREFUSED',
  [cause]: Error: socket hang up
      at Socket.onclose (/usr/src/app/connectors/postgres/src/wire.ts:40:11)
      at Socket.emit (node:events:519:28)
}
"""

DOTNET = r"""System.InvalidOperationException: Invoice 8812 could not be finalised
 ---> Npgsql.NpgsqlException (0x80004005): Exception while reading from stream
 ---> System.TimeoutException: Timeout during reading attempt
   at Npgsql.Internal.NpgsqlReadBuffer.<Ensure>g__EnsureLong|55_0(NpgsqlReadBuffer buffer, Int32 count)
   at Acme.Billing.Data.InvoiceRepository.LoadLinesAsync(Guid invoiceId) in C:\build\src\billing\Acme.Billing\Data\InvoiceRepository.cs:line 118
   --- End of inner exception stack trace ---
   at Npgsql.NpgsqlDataReader.NextResult(Boolean async, Boolean isConsuming, CancellationToken cancellationToken)
   at Acme.Billing.Data.InvoiceRepository.LoadAsync(Guid invoiceId) in C:\build\src\billing\Acme.Billing\Data\InvoiceRepository.cs:line 64
   --- End of inner exception stack trace ---
   at Acme.Billing.Invoices.InvoiceFinaliser.FinaliseAsync(Guid invoiceId) in C:\build\src\billing\Acme.Billing\Invoices\InvoiceFinaliser.cs:line 41
--- End of stack trace from previous location ---
   at Acme.Billing.Api.Controllers.InvoicesController.Finalise(Guid id) in C:\build\src\billing\Acme.Billing.Api\Controllers\InvoicesController.cs:line 77
   at Microsoft.AspNetCore.Mvc.Infrastructure.ActionMethodExecutor.TaskOfIActionResultExecutor.Execute(ActionContext context)
   at System.Threading.Tasks.Task.ExecuteWithThreadLocal(Task& currentTaskSlot, Thread threadPoolThread)
"""


def test_python_chained_exceptions_start_with_the_raised_tracebacks_innermost_frame() -> None:
    assert extract_locations(PYTHON_CHAINED, ROOTS) == [
        "services/ingest/api/retry.py",
        "services/ingest/api/batch.py",
        "services/ingest/connectors/db/pool.py",
    ]


def test_python_exception_groups_and_virtualenvs_are_read() -> None:
    assert extract_locations(PYTHON_EXCEPTION_GROUP, ROOTS) == ["services/ingest/worker.py"]


def test_python_runtime_and_library_frames_are_skipped_on_any_platform() -> None:
    trace = """\
Traceback (most recent call last):
  File "C:\\Python311\\Lib\\asyncio\\base_events.py", line 653, in run_until_complete
  File "/opt/venv/lib/python3.12/site-packages/httpx/_client.py", line 1014, in send
  File "/usr/lib/python3/dist-packages/requests/api.py", line 59, in request
  File "/app/python/lib/acme_sdk/client.py", line 12, in call
  File "C:\\acme\\services\\ingest\\win_agent.py", line 7, in main
"""
    assert extract_locations(trace, ROOTS) == [
        "acme/services/ingest/win_agent.py",
        "python/lib/acme_sdk/client.py",
    ]


def test_jvm_frames_derive_paths_from_packages_and_read_causes_after_the_thrown_exception() -> None:
    assert extract_locations(JAVA, ROOTS) == [
        "com/acme/auth/token/TokenService.java",
        "org/postgresql/core/v3/ConnectionFactoryImpl.java",
        "com/zaxxer/hikari/pool/HikariPool.java",
        "com/acme/auth/store/TokenStore.java",
    ]


def test_go_panics_skip_the_module_cache_and_the_standard_library() -> None:
    assert extract_locations(GO, ROOTS) == [
        "services/query/internal/planner/planner.go",
        "services/query/internal/exec/engine.go",
    ]


def test_go_trimpath_builds_keep_module_paths_and_drop_standard_library_files() -> None:
    assert extract_locations(GO_TRIMPATH, ROOTS) == [
        "github.com/acme/query-engine/internal/planner/ops.go",
        "github.com/acme/query-engine/cmd/query/main.go",
    ]


def test_node_async_frames_and_causes_are_read_and_node_internals_skipped() -> None:
    assert extract_locations(NODE, ROOTS) == [
        "connectors/postgres/src/pool.ts",
        "connectors/core/src/job.ts",
        "connectors/core/src/scheduler.mjs",
        "connectors/postgres/src/wire.ts",
    ]


def test_dotnet_reads_the_raised_exception_first_and_strips_a_windows_source_root() -> None:
    assert extract_locations(DOTNET, [*ROOTS, "C:\\build\\src\\"]) == [
        "billing/Acme.Billing/Invoices/InvoiceFinaliser.cs",
        "billing/Acme.Billing.Api/Controllers/InvoicesController.cs",
        "billing/Acme.Billing/Data/InvoiceRepository.cs",
    ]


def test_windows_paths_under_no_root_lose_only_the_drive() -> None:
    assert (
        extract_locations(DOTNET, ROOTS)[0] == "build/src/billing/Acme.Billing/Invoices/InvoiceFinaliser.cs"
    )


def test_dotnet_frames_without_a_pdb_derive_a_path_from_namespace_and_type() -> None:
    trace = """\
System.NullReferenceException: Object reference not set to an instance of an object.
   at Acme.Billing.Tax.VatCalculator`1.Compute(Invoice invoice)
   at Acme.Billing.Api.InvoicesController.<Finalise>d__7.MoveNext()
   at Acme.Billing.Api.Startup.<>c.<Configure>b__4_0(IApplicationBuilder app)
   at Microsoft.AspNetCore.Builder.ApplicationBuilder.Build()
"""
    assert extract_locations(trace, ROOTS) == [
        "Acme/Billing/Tax/VatCalculator.cs",
        "Acme/Billing/Api/InvoicesController.cs",
        "Acme/Billing/Api/Startup.cs",
    ]


def test_dotnet_deterministic_build_paths_lose_their_root() -> None:
    trace = """\
System.DivideByZeroException: Attempted to divide by zero.
   at Acme.Billing.Tax.Rounding.Round(Decimal value) in /_/services/billing/src/Acme.Billing/Tax/Rounding.cs:line 12
   at Npgsql.NpgsqlCommand.ExecuteReader(CommandBehavior behavior)
"""
    assert extract_locations(trace, ROOTS) == ["services/billing/src/Acme.Billing/Tax/Rounding.cs"]


def test_the_longest_source_root_is_removed() -> None:
    trace = '  File "/srv/app/services/ingest/api.py", line 1, in f\n'

    assert extract_locations(trace, ["/srv/", "/srv/app"]) == ["services/ingest/api.py"]
    assert extract_locations(trace, ["/srv/"]) == ["app/services/ingest/api.py"]
    assert extract_locations(trace, []) == ["srv/app/services/ingest/api.py"]


def test_repeated_frames_are_listed_once_in_first_seen_order() -> None:
    trace = "\n".join(
        f'  File "/app/services/ingest/{name}.py", line 1, in f' for name in ["a", "b", "a", "c", "b"]
    )

    assert extract_locations(trace, ROOTS) == [
        "services/ingest/b.py",
        "services/ingest/c.py",
        "services/ingest/a.py",
    ]


def test_text_without_a_stack_trace_gives_no_locations() -> None:
    assert extract_locations("", ROOTS) == []
    assert extract_locations("the nightly load lost 1.2% of rows; no error was shown", ROOTS) == []
    assert extract_locations('  File "<stdin>", line 1, in <module>\n', ROOTS) == []


def test_traces_of_several_languages_follow_the_order_they_were_pasted_in() -> None:
    locations = extract_locations(NODE + "\n" + PYTHON_CHAINED, ROOTS)

    assert locations[0] == "connectors/postgres/src/pool.ts"
    assert locations[4] == "services/ingest/api/retry.py"


PDB_FRAME = "   at Acme.Billing.Invoices.Get(Int32 id) in /_/Acme/Billing/Invoices.cs:line 42"


def test_a_seventy_kilobyte_dotnet_line_of_repeated_in_clauses_is_read_without_a_stall() -> None:
    hostile = "at a(" + ") in " * 14000 + "x"

    assert extract_locations(hostile, ROOTS) == []
    assert extract_locations(hostile + "\n" + PDB_FRAME, ROOTS) == ["Acme/Billing/Invoices.cs"]
