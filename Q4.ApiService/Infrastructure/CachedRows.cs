using Microsoft.Extensions.Caching.Hybrid;
using Q4.Data;

namespace Q4.ApiService.Infrastructure;

/// <summary>Rows read from PostgreSQL once per key and cache lifetime, by any number of requests at once.</summary>
public static class CachedRows
{
    /// <summary>
    /// The cached value of <paramref name="key"/>, or what <paramref name="load"/> reads from a database context of
    /// its own (cache entries outlive requests, so a request's context will not do). Null results are cached too.
    /// </summary>
    public static ValueTask<T?> GetOrLoadAsync<TState, T>(this HybridCache cache, string key, IServiceScopeFactory scopes,
        TState state, Func<Q4DbContext, TState, CancellationToken, Task<T?>> load, HybridCacheEntryOptions options,
        CancellationToken cancellationToken) =>
        cache.GetOrCreateAsync(key, (scopes, state, load), static async (args, ct) =>
        {
            await using var scope = args.scopes.CreateAsyncScope();
            return await args.load(scope.ServiceProvider.GetRequiredService<Q4DbContext>(), args.state, ct);
        }, options, cancellationToken: cancellationToken);
}
