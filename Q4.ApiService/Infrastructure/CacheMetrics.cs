using System.Diagnostics.Metrics;
using Microsoft.Extensions.Caching.Hybrid;

namespace Q4.ApiService.Infrastructure;

/// <summary>
/// The in-process cache's meter <c>Q4.Cache</c>: hits and misses per cache (tag <c>cache</c>: auctions, images, users,
/// search). HybridCache reports neither to a meter, so <see cref="GetOrCreateAsync"/> counts them around its call: a
/// call of the factory is a miss; an answer that was ready at once, without it, a hit. A request that waited for
/// another's read of the same key (HybridCache shares one) is neither.
/// </summary>
public sealed class CacheMetrics
{
    public const string MeterName = "Q4.Cache";

    /// <summary>The caches, as the tag names them.</summary>
    public const string Auctions = "auctions", Images = "images", Users = "users", Search = "search";

    /// <summary>Set by a factory that runs on the caller's own thread, before the call returns (see <see cref="GetOrCreateAsync"/>).</summary>
    [ThreadStatic]
    private static bool _loadedHere;

    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;

    public CacheMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _hits = meter.CreateCounter<long>("q4.cache.hits", "{lookup}", "Lookups the in-process cache answered from memory");
        _misses = meter.CreateCounter<long>("q4.cache.misses", "{lookup}", "Lookups that read the store (the cache's factory ran)");
    }

    /// <summary>
    /// <see cref="HybridCache.GetOrCreateAsync{TState, T}(string, TState, Func{TState, CancellationToken, ValueTask{T}}, HybridCacheEntryOptions?, IEnumerable{string}?, CancellationToken)"/>,
    /// counted under <paramref name="name"/>. HybridCache answers a hit synchronously, so an answer that is complete when
    /// the call returns is a hit, unless the factory itself ran to completion on this thread meanwhile.
    /// </summary>
    public ValueTask<T> GetOrCreateAsync<TState, T>(HybridCache cache, string name, string key, TState state,
        Func<TState, CancellationToken, ValueTask<T>> factory, HybridCacheEntryOptions options, CancellationToken cancellationToken)
    {
        _loadedHere = false;
        var answer = cache.GetOrCreateAsync(key, (state, factory, metrics: this, name), static (args, ct) =>
        {
            _loadedHere = true;
            args.metrics._misses.Add(1, new KeyValuePair<string, object?>("cache", args.name));
            return args.factory(args.state, ct);
        }, options, cancellationToken: cancellationToken);
        if (answer.IsCompletedSuccessfully && !_loadedHere)
        {
            _hits.Add(1, new KeyValuePair<string, object?>("cache", name));
        }
        return answer;
    }
}
