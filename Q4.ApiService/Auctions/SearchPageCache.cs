using System.ComponentModel;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Options;
using Npgsql;
using Q4.ApiService.Infrastructure;

namespace Q4.ApiService.Auctions;

/// <summary>The rows of one page of search results, as found at one moment.</summary>
[ImmutableObject(true)]
public sealed record FoundRows(IReadOnlyList<SearchRow> Rows);

/// <summary>
/// The rows PostgreSQL found for a query, kept by each replica for <see cref="SearchOptions.PageCacheLifetime"/>:
/// a crowd refreshing the same list costs one query a second per replica instead of one per request, and only
/// one of them waits for it (HybridCache runs a missing entry's query once for all its callers).
/// </summary>
public sealed class SearchPageCache(
    HybridCache cache, CacheMetrics metrics, NpgsqlDataSource database, TimeProvider clock, IOptions<SearchOptions> options)
{
    private readonly HybridCacheEntryOptions _entryOptions = new()
    {
        Expiration = options.Value.PageCacheLifetime,
        LocalCacheExpiration = options.Value.PageCacheLifetime,
    };

    public async ValueTask<IReadOnlyList<SearchRow>> GetAsync(AuctionSearchQuery query, CancellationToken cancellationToken)
    {
        if (options.Value.PageCacheLifetime == TimeSpan.Zero)
        {
            return await FindAsync((query, database, clock), cancellationToken);
        }
        var page = await metrics.GetOrCreateAsync(cache, CacheMetrics.Search, KeyOf(query), (query, database, clock),
            static async (state, ct) => new FoundRows(await FindAsync(state, ct)), _entryOptions, cancellationToken);
        return page.Rows;
    }

    private static async ValueTask<IReadOnlyList<SearchRow>> FindAsync(
        (AuctionSearchQuery Query, NpgsqlDataSource Database, TimeProvider Clock) state, CancellationToken ct) =>
        await AuctionSearch.RunAsync(state.Database, state.Query, state.Clock.GetUtcNow(), ct);

    /// <summary>Everything the rows depend on; the words go last, as the one part that may hold any character.</summary>
    private static string KeyOf(AuctionSearchQuery query)
    {
        var after = query.After is { } cursor ? $"{cursor.Id:N}/{cursor.At?.UtcTicks}/{cursor.Price}/{cursor.Rank:R}" : "";
        return $"search:{query.Order.Name}:{query.Take}:{query.Status}:{query.MinPrice}:{query.MaxPrice}:{after}:{query.Text}";
    }
}
