using System.Threading.Channels;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Q4.Dashboard.Otlp.Proto;

namespace Q4.Dashboard.Telemetry;

/// <summary>Where and how much telemetry the archive keeps across AppHost runs.</summary>
/// <param name="Directory">The folder of the SQLite file (the AppHost's <c>.q4/telemetry</c>).</param>
/// <param name="Runs">How many runs are kept, this one included; older runs are deleted when one starts.</param>
/// <param name="MaxExportsPerKind">Exports kept per kind (traces, logs, metrics) over all runs; past that, the oldest go.</param>
public sealed record ArchiveSettings(string Directory, int Runs = 3, int MaxExportsPerKind = 20_000);

/// <summary>
/// With <c>AppHost:KeepTelemetry</c>, the store survives a restart of the AppHost: every export the dashboard accepted is
/// written, as it arrived (protobuf), to a SQLite file; when the dashboard starts, the exports of the last runs are read
/// back into the store, oldest first, so its limits apply as if they had just arrived. Writing happens in the
/// background, in batches, off the receiving path; a failed write is logged and the archive goes on.
/// </summary>
public sealed class TelemetryArchive(TelemetryStore store, ArchiveSettings settings, ILogger<TelemetryArchive> logger) : BackgroundService
{
    public const string FileName = "telemetry.db";

    private enum Kind { Traces = 1, Logs = 2, Metrics = 3 }

    /// <summary>Exports waiting to be written; bounded, so a writer that falls behind drops exports rather than memory.</summary>
    private readonly Channel<IMessage> _pending = Channel.CreateBounded<IMessage>(
        new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });

    private SqliteConnection? _connection;
    private long _run;
    private long _dropped;

    /// <summary>Queues an accepted export to be written; never waits.</summary>
    public void Append(IMessage export)
    {
        if (!_pending.Writer.TryWrite(export))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>Opens the file, reads the kept runs back into the store, and starts this run (before anything is received).</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(settings.Directory);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(settings.Directory, FileName) }.ToString());
        await _connection.OpenAsync(cancellationToken);
        await RunAsync("""
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, started TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS exports (id INTEGER PRIMARY KEY, run INTEGER NOT NULL, kind INTEGER NOT NULL, body BLOB NOT NULL);
            CREATE INDEX IF NOT EXISTS exports_by_run ON exports (run);
            CREATE INDEX IF NOT EXISTS exports_by_kind ON exports (kind, id);
            """, cancellationToken);
        var read = await ReadBackAsync(cancellationToken);
        await using (var start = _connection.CreateCommand())
        {
            start.CommandText = "INSERT INTO runs (started) VALUES ($started) RETURNING id;";
            start.Parameters.AddWithValue("$started", DateTimeOffset.UtcNow.ToString("O"));
            _run = (long)(await start.ExecuteScalarAsync(cancellationToken))!;
        }
        await RunAsync($"""
            DELETE FROM exports WHERE run <= {_run - settings.Runs};
            DELETE FROM runs WHERE id <= {_run - settings.Runs};
            """, cancellationToken);
        logger.LogInformation("Telemetry kept from earlier runs: {Exports} exports read back from {Path}.", read, settings.Directory);
        await base.StartAsync(cancellationToken);
    }

    /// <summary>Writes what arrived, a batch per transaction, until the AppHost stops and everything queued is written.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<IMessage>();
        while (await _pending.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < 500 && _pending.Reader.TryRead(out var export))
            {
                batch.Add(export);
            }
            try
            {
                await WriteAsync(batch);
            }
            catch (SqliteException e)
            {
                logger.LogWarning(e, "{Count} telemetry exports could not be kept on disk; they stay in memory only.", batch.Count);
            }
            batch.Clear();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _pending.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
        if (Interlocked.Read(ref _dropped) is > 0 and var dropped)
        {
            logger.LogWarning("{Dropped} telemetry exports arrived faster than they could be kept on disk and were not.", dropped);
        }
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }

    private async Task<int> ReadBackAsync(CancellationToken cancellationToken)
    {
        await using var read = _connection!.CreateCommand();
        read.CommandText = "SELECT kind, body FROM exports ORDER BY id;";
        await using var rows = await read.ExecuteReaderAsync(cancellationToken);
        var count = 0;
        while (await rows.ReadAsync(cancellationToken))
        {
            var body = (byte[])rows.GetValue(1);
            switch ((Kind)rows.GetInt32(0))
            {
                case Kind.Traces:
                    store.Add(ExportTraceServiceRequest.Parser.ParseFrom(body));
                    break;
                case Kind.Logs:
                    store.Add(ExportLogsServiceRequest.Parser.ParseFrom(body));
                    break;
                case Kind.Metrics:
                    store.Add(ExportMetricsServiceRequest.Parser.ParseFrom(body));
                    break;
            }
            count++;
        }
        return count;
    }

    private async Task WriteAsync(List<IMessage> batch)
    {
        await using var transaction = (SqliteTransaction)await _connection!.BeginTransactionAsync();
        await using var insert = _connection.CreateCommand();
        insert.CommandText = "INSERT INTO exports (run, kind, body) VALUES ($run, $kind, $body);";
        var run = insert.Parameters.Add("$run", SqliteType.Integer);
        var kind = insert.Parameters.Add("$kind", SqliteType.Integer);
        var body = insert.Parameters.Add("$body", SqliteType.Blob);
        run.Value = _run;
        foreach (var export in batch)
        {
            kind.Value = (int)KindOf(export);
            body.Value = export.ToByteArray();
            await insert.ExecuteNonQueryAsync();
        }
        await using var trim = _connection.CreateCommand();
        trim.CommandText = """
            DELETE FROM exports WHERE kind = $kind
                AND id < (SELECT id FROM exports WHERE kind = $kind ORDER BY id DESC LIMIT 1 OFFSET $keep - 1);
            """;
        trim.Parameters.AddWithValue("$keep", settings.MaxExportsPerKind);
        var trimKind = trim.Parameters.Add("$kind", SqliteType.Integer);
        foreach (var written in batch.Select(KindOf).Distinct())
        {
            trimKind.Value = (int)written;
            await trim.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
    }

    private static Kind KindOf(IMessage export) => export switch
    {
        ExportTraceServiceRequest => Kind.Traces,
        ExportLogsServiceRequest => Kind.Logs,
        _ => Kind.Metrics,
    };

    private async Task RunAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = _connection!.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
