using Microsoft.EntityFrameworkCore;
using Q4.Data;

namespace Q4.ApiService.Infrastructure;

public static class DatabaseMigrations
{
    /// <summary>
    /// Brings the schema up to date before the API serves. Replicas starting together are safe: EF Core takes a
    /// database lock around migrating, so one applies and the others find nothing left to do.
    /// </summary>
    public static async Task MigrateDatabaseAsync(this WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Q4DbContext>();
        await db.Database.MigrateAsync(app.Lifetime.ApplicationStopping);
    }
}
