using StackExchange.Redis;

namespace Q4.Tests.Hosting;

public static class RedisAccess
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly Dictionary<AppHostProcess, ConnectionMultiplexer> Connections = [];

    /// <summary>Runs <paramref name="work"/> against the graph's Redis, on one shared connection per graph.</summary>
    public static async Task<T> RedisAsync<T>(this AppHostProcess app, Func<IDatabase, Task<T>> work)
    {
        ConnectionMultiplexer? connection;
        await Gate.WaitAsync();
        try
        {
            if (!Connections.TryGetValue(app, out connection))
            {
                Connections[app] = connection = await ConnectionMultiplexer.ConnectAsync(await app.GetConnectionStringAsync("redis") + ",allowAdmin=true");
            }
        }
        finally
        {
            Gate.Release();
        }
        return await work(connection.GetDatabase());
    }
}
