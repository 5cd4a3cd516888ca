using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

public static class RedisClientExtensions
{
    /// <summary>
    /// One shared <see cref="IConnectionMultiplexer"/> for <c>ConnectionStrings:&lt;name&gt;</c>, and a health check.
    /// It keeps reconnecting in the background when Redis is away, rather than failing the service's start.
    /// </summary>
    public static IHostApplicationBuilder AddRedisClient(this IHostApplicationBuilder builder, string connectionName)
    {
        var options = ConfigurationOptions.Parse(ConnectionStrings.Require(builder.Configuration, connectionName));
        options.AbortOnConnectFail = false;
        // A name given in the connection string (name=...) wins, so one replica's connections can be told apart.
        options.ClientName ??= builder.Environment.ApplicationName;

        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(options));
        builder.Services.AddHealthChecks().AddRedis(sp => sp.GetRequiredService<IConnectionMultiplexer>(), connectionName);
        return builder;
    }
}
