using System.Net;
using Npgsql;
using Q4.Tests.Auctions;
using Q4.Tests.Hosting;
using Q4.Tests.Users;
using StackExchange.Redis;

namespace Q4.Tests.Sync;

/// <summary>
/// Redis losing an auction's keys (a restore from an old backup, a flush, a failover that lost writes): the live state
/// comes back from what PostgreSQL persisted, never from anything older, and the auction still closes.
/// </summary>
public sealed class LostLiveStateTests(GraphFixture graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => graph.App;

    [Fact]
    public async Task After_redis_loses_an_auction_the_next_bid_must_beat_the_persisted_price()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync(startingPrice: 100, minIncrement: 10);
        // Both replicas read the auction's facts now, while its price is the starting price, and keep them cached.
        var bids = new List<BidResponse>();
        for (var i = 0; i < 5; i++)
        {
            bids.Add(await bidder.PlaceBidAsync(auction.Id, 100 + i * 10, replica: i % 2));
        }
        await App.AssertAllPersistedAsync(bids, TimeSpan.FromSeconds(30));

        await ForgetInRedisAsync(auction.Id, keepEnd: false);

        using var rival = TestUser.Fresh(App);
        for (var replica = 0; replica < 2; replica++)
        {
            using var tooLow = await rival.BidAsync(auction.Id, 120, replica: replica);
            var problem = await ProblemAssert.IsProblemAsync(tooLow, HttpStatusCode.Conflict, "bid_too_low");
            Assert.Equal(140, problem.GetProperty("currentPrice").GetInt64());
            Assert.Equal(150, problem.GetProperty("minimumBid").GetInt64());
        }
        var next = await rival.PlaceBidAsync(auction.Id, 150, replica: 1);
        var view = await rival.GetAuctionAsync(auction.Id);
        Assert.Equal((150L, 6, (Guid?)next.Bidder.Id), (view.CurrentPrice, view.BidCount, view.HighestBidder?.Id));
        await App.AssertAllPersistedAsync([.. bids, next], TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task An_ended_auction_redis_no_longer_knows_closes_with_its_persisted_winner()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App, "Persisted winner");
        // One auction Redis forgot entirely, one whose end is still listed but whose live state is gone.
        var forgotten = await seller.CreateAuctionAsync(startingPrice: 200, minIncrement: 10);
        var listed = await seller.CreateAuctionAsync(startingPrice: 300, minIncrement: 10);
        var bids = new List<BidResponse>
        {
            await bidder.PlaceBidAsync(forgotten.Id, 200), await bidder.PlaceBidAsync(forgotten.Id, 210),
            await bidder.PlaceBidAsync(listed.Id, 300),
        };
        await App.AssertAllPersistedAsync(bids, TimeSpan.FromSeconds(30));

        await ForgetInRedisAsync(forgotten.Id, keepEnd: false);
        await ForgetInRedisAsync(listed.Id, keepEnd: true);
        // Their end passes (soft close moved it two minutes out; the test does not wait for that).
        await EndInDatabaseAsync(forgotten.Id, listed.Id);
        await App.SetEndAsync(listed.Id, await App.RedisNowAsync() - 1_000);
        await App.RedisAsync(redis => redis.KeyDeleteAsync($"q4:auction:{listed.Id}"));

        foreach (var (auction, price) in new[] { (forgotten, 210L), (listed, 300L) })
        {
            PersistedAuction? row = null;
            await SyncStore.EventuallyAsync(async () => (row = await App.PersistedAuctionAsync(auction.Id)).Status == "closed", TimeSpan.FromSeconds(30));
            Assert.True(row!.Status == "closed", $"auction {auction.Id} is still '{row.Status}' 30 s after its end");
            Assert.Equal(((Guid?)bids[0].Bidder.Id, price), (row.WinnerId, row.CurrentPrice));
            Assert.NotNull(row.ClosedAt);
        }
    }

    /// <summary>Deletes what Redis holds of the auction: live state and events, and, unless kept, its listed end.</summary>
    private Task ForgetInRedisAsync(Guid auctionId, bool keepEnd) => App.RedisAsync(async redis =>
    {
        await redis.KeyDeleteAsync([$"q4:auction:{auctionId}", $"q4:auction:{auctionId}:events"]);
        return keepEnd || await redis.SortedSetRemoveAsync("q4:auctions:ends", auctionId.ToString());
    });

    private async Task EndInDatabaseAsync(params Guid[] auctionIds)
    {
        await using var connection = await SyncStore.OpenAsync(App);
        await using var command = new NpgsqlCommand("UPDATE auctions SET ends_at = now() - interval '1 second' WHERE id = ANY($1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = auctionIds });
        Assert.Equal(auctionIds.Length, await command.ExecuteNonQueryAsync(Cancellation));
    }
}
