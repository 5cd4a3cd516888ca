using Microsoft.Extensions.Caching.Hybrid;
using Q4.Data;

namespace Q4.ApiService.Infrastructure;

/// <summary>Rows read from PostgreSQL once per key and cache lifetime, by any number of requests at once.</summary>
public static class CachedRows
{
    /// <summary>
    /// The cached value of <paramref name="key"/>, or what <paramref name="load"/> reads from a database context of
    /// its own (cache entries outlive requests, so a request's context will not do). A row that does not exist is
    /// not remembered: ids come from clients, and keeping every unknown one would let anyone fill the cache with
    /// them. Requests for the same unknown id at the same moment still share one read. Hits and misses count under
    /// <paramref name="name"/> (<see cref="CacheMetrics"/>).
    /// </summary>
    public static async ValueTask<T?> GetOrLoadAsync<TState, T>(this HybridCache cache, CacheMetrics metrics, string name, string key,
        IServiceScopeFactory scopes, TState state, Func<Q4DbContext, TState, CancellationToken, Task<T?>> load,
        HybridCacheEntryOptions options, CancellationToken cancellationToken) where T : class
    {
        var row = await metrics.GetOrCreateAsync(cache, name, key, (scopes, state, load), static async (args, ct) =>
        {
            await using var scope = args.scopes.CreateAsyncScope();
            return await args.load(scope.ServiceProvider.GetRequiredService<Q4DbContext>(), args.state, ct);
        }, options, cancellationToken);
        if (row is null)
        {
            // HybridCache keeps whatever the load returned; take the miss back out at once.
            await cache.RemoveAsync(key, CancellationToken.None);
        }
        return row;
    }
}
