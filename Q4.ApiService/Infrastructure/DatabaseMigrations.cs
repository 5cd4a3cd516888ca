using Microsoft.EntityFrameworkCore;
using Npgsql;
using Q4.Data;

namespace Q4.ApiService.Infrastructure;

public static class DatabaseMigrations
{
    /// <summary>Any number shared by all replicas: the session-level advisory lock that lets one migrate at a time.</summary>
    private const long MigrationLockId = 0x51_4D_49_47; // "QMIG"

    /// <summary>
    /// Brings the schema up to date before the API serves. Replicas start together, and two first migrations at
    /// once race on creating EF Core's own tables; an advisory lock makes them take turns, and the later one finds
    /// nothing left to do.
    /// </summary>
    public static async Task MigrateDatabaseAsync(this WebApplication app)
    {
        var ct = app.Lifetime.ApplicationStopping;
        await using var scope = app.Services.CreateAsyncScope();
        await using var turn = await scope.ServiceProvider.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(ct);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLockId})", turn))
        {
            await take.ExecuteNonQueryAsync(ct);
        }
        try
        {
            await scope.ServiceProvider.GetRequiredService<Q4DbContext>().Database.MigrateAsync(ct);
        }
        finally
        {
            // Pooled connections keep their session, and with it the lock, unless it is given back.
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({MigrationLockId})", turn);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}
