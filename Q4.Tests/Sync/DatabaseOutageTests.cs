using Q4.Hosting;
using Q4.Tests.Auctions;
using Q4.Tests.Hosting;

namespace Q4.Tests.Sync;

/// <summary>
/// PostgreSQL shut down and started again under the graph while bids flow. In a graph of its own: the PostgreSQL
/// started again belongs to the test and stops with it.
/// </summary>
public sealed class DatabaseOutageTests(SyncChaosGraph chaos) : IClassFixture<SyncChaosGraph>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => chaos.App;

    [Fact]
    public async Task Every_process_lives_through_postgresql_stopped_and_started_again_and_every_bid_is_persisted()
    {
        var (bidders, auctions) = await chaos.BiddersAndAuctionsAsync(bidderCount: 6, auctionCount: 3);
        List<BidResponse> accepted;
        await using (var bidding = new SteadyBidding(bidders, auctions, TimeSpan.FromMilliseconds(20)))
        {
            // Every bidder and auction is known to both API replicas by now, so bids go on without PostgreSQL.
            await bidding.WaitForMoreAcceptedAsync(100, TimeSpan.FromSeconds(60));
            await using (var postgres = await App.StopStoreAsync("postgres", Signals.SIGINT))
            {
                var before = bidding.Accepted.Count;
                await Task.Delay(TimeSpan.FromSeconds(8), Cancellation);
                Log($"PostgreSQL stopped (fast shutdown) for 8 s: {bidding.Accepted.Count - before} bids accepted meanwhile");
                Assert.True(bidding.Accepted.Count - before >= 10, "bids were not accepted while PostgreSQL was down");
                await postgres.StartAsync();
                await bidding.WaitForMoreAcceptedAsync(100, TimeSpan.FromSeconds(60));
                accepted = await bidding.StopAsync();
                chaos.AssertEveryServiceProcessIsAlive();
                await App.AssertAllPersistedAsync(accepted, TimeSpan.FromSeconds(60));
            }
        }
        chaos.AssertEveryServiceProcessIsAlive();
        SyncChaosGraph.Dispose(bidders);
    }

    private static void Log(string message) => TestContext.Current.TestOutputHelper?.WriteLine(message);
}
