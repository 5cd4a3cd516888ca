using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Microsoft.Extensions.Hosting;

public static class NpgsqlExtensions
{
    /// <summary>One pooled <see cref="NpgsqlDataSource"/> for <c>ConnectionStrings:&lt;name&gt;</c>, and a health check.</summary>
    public static IHostApplicationBuilder AddNpgsqlDataSource(this IHostApplicationBuilder builder, string connectionName)
    {
        var connectionString = ConnectionStrings.Require(builder.Configuration, connectionName);
        builder.Services.AddSingleton(sp => new NpgsqlDataSourceBuilder(connectionString)
            .UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>())
            .Build());
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            connectionName, sp => new NpgsqlHealthCheck(sp.GetRequiredService<NpgsqlDataSource>()), null, null));
        return builder;
    }

    /// <summary>
    /// A pooled <typeparamref name="TContext"/> on the data source of <c>ConnectionStrings:&lt;name&gt;</c>, as Aspire's
    /// EF Core integration gives one; <paramref name="configure"/> adds the context's own conventions.
    /// </summary>
    public static IHostApplicationBuilder AddNpgsqlDbContext<TContext>(
        this IHostApplicationBuilder builder, string connectionName, Action<DbContextOptionsBuilder>? configure = null)
        where TContext : DbContext
    {
        builder.AddNpgsqlDataSource(connectionName);
        builder.Services.AddDbContextPool<TContext>((sp, options) =>
        {
            options.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>());
            configure?.Invoke(options);
        });
        return builder;
    }

    private sealed class NpgsqlHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken)
        {
            try
            {
                await using var command = dataSource.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, exception: e);
            }
        }
    }
}
