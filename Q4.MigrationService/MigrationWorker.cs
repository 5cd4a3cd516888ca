using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Q4.Data;

namespace Q4.MigrationService;

/// <summary>
/// Brings the schema up to date, then ends the process: 0 when the schema is current, 1 with the error logged when it
/// could not be (<c>FailedBackgroundServiceExitCode</c>), so whoever runs it (the AppHost, a Kubernetes Job) starts the
/// services only after a success. Several copies may run at once: a PostgreSQL advisory lock makes them take turns,
/// and a later one finds nothing left to do.
/// </summary>
internal sealed class MigrationWorker(IServiceProvider services, IHostApplicationLifetime lifetime, ILogger<MigrationWorker> logger)
    : BackgroundService
{
    public const string ActivitySourceName = "Q4.Migrations";

    /// <summary>Any number shared by every copy: the session-level advisory lock that lets one migrate at a time.</summary>
    private const long MigrationLockId = 0x51_4D_49_47; // "QMIG"

    private static readonly ActivitySource Tracing = new(ActivitySourceName);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var activity = Tracing.StartActivity("database.migrate");
        await using var scope = services.CreateAsyncScope();
        var database = scope.ServiceProvider.GetRequiredService<Q4DbContext>().Database;
        await using var turn = await scope.ServiceProvider.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(stoppingToken);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLockId})", turn))
        {
            await take.ExecuteNonQueryAsync(stoppingToken);
        }
        try
        {
            var pending = (await database.GetPendingMigrationsAsync(stoppingToken)).ToList();
            await database.MigrateAsync(stoppingToken);
            activity?.SetTag("q4.migrations.applied", pending.Count);
            logger.LogInformation("The schema is current: {Count} migration(s) applied ({Names}).", pending.Count,
                pending.Count == 0 ? "none pending" : string.Join(", ", pending));
        }
        finally
        {
            // Pooled connections keep their session, and with it the lock, unless it is given back.
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({MigrationLockId})", turn);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
        lifetime.StopApplication();
    }
}
