using Q4.Hosting;
using Q4.Tests.Auctions;
using Q4.Tests.Sync;
using Q4.Tests.Users;

namespace Q4.Tests.Hosting;

/// <summary>What the graph's Redis promises about a bid it has answered, on a graph of its own (it kills Redis).</summary>
public sealed class RedisDurabilityTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_answered_bid_survives_a_sigkill_of_redis_right_after_the_last_201()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Q4_AppHost>(Cancellation);
        await using var app = await builder.BuildAsync(Cancellation);
        await app.StartAsync(Cancellation);
        using var seller = TestUser.Fresh(app);
        var auctions = new List<AuctionResponse>();
        for (var i = 0; i < 5; i++)
        {
            auctions.Add(await seller.CreateAuctionAsync(startingPrice: 100, minIncrement: 1, replica: i % 2));
        }
        var bidders = Enumerable.Range(0, 10).Select(_ => TestUser.Fresh(app)).ToList();
        var storm = new BidStorm(bidders, auctions);

        await storm.RunAsync(1_000);
        // No bid is in flight: each one was answered, and the last answer has just arrived.
        await using var redis = await app.RestartStoreAsync("redis", Signals.SIGKILL, TimeSpan.Zero);

        var accepted = storm.Accepted.ToList();
        var inStream = (await app.StreamEntriesOfAsync(auctions.Select(a => a.Id))).Select(entry => entry.Id.ToString()).ToHashSet();
        var lost = accepted.Where(bid => !inStream.Contains(bid.Id)).ToList();
        TestContext.Current.TestOutputHelper?.WriteLine($"{accepted.Count} bids answered 201; {lost.Count} missing from q4:bids after the restart");
        Assert.True(lost.Count == 0,
            $"{lost.Count} of {accepted.Count} answered bids are gone from q4:bids after Redis was killed (e.g. {string.Join(", ", lost.Take(5).Select(b => b.Id))})");
        await app.AssertAllPersistedAsync(accepted, TimeSpan.FromSeconds(60));

        var fsync = await app.RedisAsync(async db => (string[])(await db.ExecuteAsync("CONFIG", "GET", "appendfsync"))!);
        Assert.Equal(["appendfsync", "always"], fsync);
        foreach (var bidder in bidders)
        {
            bidder.Dispose();
        }
    }
}
