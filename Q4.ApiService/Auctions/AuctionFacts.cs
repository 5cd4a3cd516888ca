using System.ComponentModel;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Hybrid;
using Q4.ApiService.Infrastructure;
using Q4.Data;
using Q4.Data.Entities;

namespace Q4.ApiService.Auctions;

/// <summary>
/// What PostgreSQL knows of an auction, cached in process: the parts that do not change (seller, increment,
/// texts) and the last persisted price and end, which only seed Redis if it has no live state.
/// </summary>
[ImmutableObject(true)]
public sealed record AuctionFacts(
    Guid Id, Guid SellerId, string SellerName, string Title, string Description, long StartingPrice, long MinIncrement,
    DateTimeOffset StartsAt, DateTimeOffset EndsAt, long CurrentPrice, Guid? HighestBidderId, string? HighestBidderName,
    int BidCount, bool Closed, Guid[] ImageIds);

/// <summary>Auction facts by id: one database read per auction per cache lifetime, never one per bid.</summary>
public sealed class AuctionFactsCache(HybridCache cache, CacheMetrics metrics, IServiceScopeFactory scopes)
{
    private static readonly HybridCacheEntryOptions EntryOptions = new()
    {
        Expiration = TimeSpan.FromMinutes(5),
        LocalCacheExpiration = TimeSpan.FromMinutes(5),
    };

    /// <summary>The facts, or null when no such auction exists.</summary>
    public ValueTask<AuctionFacts?> GetAsync(Guid auctionId, CancellationToken cancellationToken) =>
        cache.GetOrLoadAsync(metrics, CacheMetrics.Auctions, $"auction:{auctionId}", scopes, auctionId, ReadAsync, EntryOptions, cancellationToken);

    /// <summary>Those of <paramref name="auctionIds"/> that name no auction, in one read.</summary>
    public async Task<List<Guid>> UnknownAsync(IReadOnlyCollection<Guid> auctionIds, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var known = await scope.ServiceProvider.GetRequiredService<Q4DbContext>().Auctions.AsNoTracking()
            .Where(a => auctionIds.Contains(a.Id)).Select(a => a.Id).ToListAsync(cancellationToken);
        return auctionIds.Except(known).ToList();
    }

    /// <summary>
    /// The row as PostgreSQL holds it now, past the cache: the price, bid count, highest bidder and end the sync
    /// service persisted last. For rebuilding a live state Redis lost, where a cached copy could be minutes old.
    /// </summary>
    public async Task<AuctionFacts?> ReadPersistedAsync(Guid auctionId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await ReadAsync(scope.ServiceProvider.GetRequiredService<Q4DbContext>(), auctionId, cancellationToken);
    }

    private static Task<AuctionFacts?> ReadAsync(Q4DbContext db, Guid id, CancellationToken ct) =>
        db.Auctions.AsNoTracking().Where(a => a.Id == id)
            .Select(a => new AuctionFacts(
                a.Id, a.SellerId, a.Seller.Name, a.Title, a.Description, a.StartingPrice, a.MinIncrement,
                a.StartsAt, a.EndsAt, a.CurrentPrice, a.HighestBidderId, a.HighestBidder!.Name, a.BidCount,
                a.Status == AuctionStatus.Closed, a.Images.OrderBy(i => i.Position).Select(i => i.ImageId).ToArray()))
            .SingleOrDefaultAsync(ct);
}
