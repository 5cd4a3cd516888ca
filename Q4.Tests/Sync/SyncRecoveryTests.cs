using System.Diagnostics;
using Q4.Hosting;
using Q4.Tests.Auctions;
using Q4.Tests.Hosting;
using Q4.Tests.Users;
using StackExchange.Redis;

namespace Q4.Tests.Sync;

/// <summary>
/// Faults the services must live through without anybody restarting them: Redis stalling for longer than the
/// clients wait, a lock holder paused past its lease, entries left pending under a consumer that never comes back.
/// In a graph of their own; the tests of a class run one after the other.
/// </summary>
public sealed class SyncRecoveryTests(SyncChaosGraph chaos) : IClassFixture<SyncChaosGraph>
{
    /// <summary>StackExchange.Redis gives up on a command after this long by default (syncTimeout/asyncTimeout).</summary>
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Sync:LockTtl's default.</summary>
    private static readonly TimeSpan LockTtl = TimeSpan.FromSeconds(10);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => chaos.App;

    [Fact]
    public async Task Every_process_lives_through_two_redis_stalls_longer_than_the_client_timeout_and_every_bid_is_persisted()
    {
        var (bidders, auctions) = await chaos.BiddersAndAuctionsAsync(bidderCount: 8, auctionCount: 4);
        var accepted = new List<BidResponse>();
        await using (var bidding = new SteadyBidding(bidders, auctions, TimeSpan.FromMilliseconds(20)))
        {
            for (var stall = 1; stall <= 2; stall++)
            {
                await bidding.WaitForMoreAcceptedAsync(50, TimeSpan.FromSeconds(60));
                var pause = ClientTimeout + TimeSpan.FromSeconds(2);
                // On a connection of its own: the pause holds every client, the caller's later commands too.
                await using (var admin = await ConnectAsync())
                {
                    await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", (long)pause.TotalMilliseconds, "ALL");
                }
                Log($"stall {stall}: Redis paused for {pause.TotalSeconds:0} s with {bidding.Accepted.Count} bids accepted so far");
                await Task.Delay(pause, Cancellation);
            }
            // After the second stall bids must be accepted again, and keep being accepted.
            await bidding.WaitForMoreAcceptedAsync(100, TimeSpan.FromSeconds(60));
            accepted.AddRange(await bidding.StopAsync());
            Log($"{bidding.Undecided} answers were undecided during the stalls and retried");
        }

        chaos.AssertEveryServiceProcessIsAlive();
        Log($"{accepted.Count} bids accepted in all");
        await App.AssertAllPersistedAsync(accepted, TimeSpan.FromSeconds(60));
        chaos.AssertEveryServiceProcessIsAlive();
        SyncChaosGraph.Dispose(bidders);
    }

    [Fact]
    public async Task An_entry_left_pending_under_another_consumer_is_persisted_and_its_auction_closes_with_the_right_winner()
    {
        await chaos.EnsureReplicasAsync(2);
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App, "Patient bidder");
        var auction = await seller.CreateAuctionAsync(startingPrice: 500, minIncrement: 10);
        var first = await bidder.PlaceBidAsync(auction.Id, 500);
        await App.AssertAllPersistedAsync([first], TimeSpan.FromSeconds(30));

        // Hold every sync replica still, so the next bid's stream entry waits undelivered; a consumer that will never
        // come back takes it (it is now pending under that name), then the replicas go on.
        var replicas = chaos.SyncReplicaPids();
        BidResponse ending;
        try
        {
            foreach (var pid in replicas)
            {
                Assert.True(Signals.Send(pid, SyncChaosGraph.SIGSTOP), $"sync replica {pid} was gone before SIGSTOP");
            }
            // A read the holder sent just before it stopped is served now, before the bid below exists.
            await Task.Delay(200, Cancellation);
            ending = await bidder.PlaceBidAsync(auction.Id, 510, replica: 1);
            var taken = await App.RedisAsync(redis => redis.StreamReadGroupAsync(SyncStore.BidStream, SyncStore.ConsumerGroup, "ghost", ">", 1000));
            Assert.Contains(taken, entry => entry.Id == ending.Id);
            // The auction ends right away, while its winning bid is pending under the ghost.
            await App.SetEndAsync(auction.Id, await App.RedisNowAsync() + 500);
        }
        finally
        {
            SyncChaosGraph.Resume(replicas);
        }
        var resumed = Stopwatch.GetTimestamp();

        // The row of the ghost's entry appears; the auction closes, and only after that row was written.
        await App.AssertAllPersistedAsync([first, ending], TimeSpan.FromSeconds(30));
        Log($"the ghost's entry was persisted {Stopwatch.GetElapsedTime(resumed).TotalSeconds:F1} s after the replicas resumed");
        PersistedAuction? row = null;
        await SyncStore.EventuallyAsync(async () => (row = await App.PersistedAuctionAsync(auction.Id)).Status == "closed", TimeSpan.FromSeconds(30));
        Assert.True(row!.Status == "closed", $"the auction is still '{row.Status}'");
        Assert.Equal((Guid?)ending.Bidder.Id, row.WinnerId);
        Assert.Equal(510, row.CurrentPrice);
        var closed = Assert.Single(await App.AuctionEventsAsync(auction.Id), e => e["type"] == "closed");
        Assert.Equal("510", closed["finalPrice"].ToString());

        // Nothing stays pending anywhere, and the ghost, owning nothing, is no longer a consumer of the group.
        await SyncStore.EventuallyAsync(async () => !(await ConsumersAsync()).ContainsKey("ghost"), TimeSpan.FromSeconds(30));
        var consumers = await ConsumersAsync();
        Assert.False(consumers.ContainsKey("ghost"), $"the ghost is still a consumer: {string.Join(", ", consumers)}");
    }

    [Fact]
    public async Task A_holder_paused_past_its_lease_while_bids_flow_loses_nothing_and_writes_nothing_twice()
    {
        await chaos.EnsureReplicasAsync(2);
        var (bidders, auctions) = await chaos.BiddersAndAuctionsAsync(bidderCount: 6, auctionCount: 3);
        var accepted = new List<BidResponse>();
        await using (var bidding = new SteadyBidding(bidders, auctions, TimeSpan.FromMilliseconds(10)))
        {
            await bidding.WaitForMoreAcceptedAsync(50, TimeSpan.FromSeconds(60));
            var holder = await chaos.HolderAsync();
            Assert.True(Signals.Send(holder.Pid, SyncChaosGraph.SIGSTOP), $"pid {holder.Pid} was gone before SIGSTOP");
            var stopped = Stopwatch.GetTimestamp();
            try
            {
                var (after, next) = await chaos.WaitForNewHolderAsync(holder, stopped, LockTtl + TimeSpan.FromSeconds(10));
                Assert.True(after is not null, $"nobody took the lock from the paused pid {holder.Pid}");
                Log($"pid {holder.Pid} paused; pid {next!.Pid} took the lock after {after!.Value.TotalSeconds:F1} s");
                // Bids keep coming while the new holder works and the old one sleeps on.
                await bidding.WaitForMoreAcceptedAsync(50, TimeSpan.FromSeconds(30));
            }
            finally
            {
                // The old holder wakes with its lease long gone, in the middle of the bids.
                Signals.Send(holder.Pid, SyncChaosGraph.SIGCONT);
            }
            await bidding.WaitForMoreAcceptedAsync(100, TimeSpan.FromSeconds(30));
            accepted.AddRange(await bidding.StopAsync());
            Assert.True(Signals.IsAlive(holder.Pid), $"the paused holder {holder.Pid} did not survive waking up");
        }

        await App.AssertAllPersistedAsync(accepted, TimeSpan.FromSeconds(60));
        await SyncStore.EventuallyAsync(async () => await PendingCountAsync() == 0, TimeSpan.FromSeconds(30));
        Assert.Equal(0, await PendingCountAsync());
        SyncChaosGraph.Dispose(bidders);
    }

    [Fact]
    public async Task Dead_letters_stay_capped_however_many_poison_entries_arrive()
    {
        const int limit = 100, flood = 2_000;
        var paused = await chaos.MakeHolderWithAsync(new Dictionary<string, string> { ["Sync__DeadLetterLimit"] = limit.ToString() });
        try
        {
            // Entries that cannot be persisted (no bid fields at all), many more than the cap.
            var last = await App.RedisAsync(async redis =>
            {
                var batch = redis.CreateBatch();
                var adds = Enumerable.Range(0, flood).Select(i => batch.StreamAddAsync(SyncStore.BidStream, "poison", i)).ToList();
                batch.Execute();
                await Task.WhenAll(adds);
                return adds[^1].Result.ToString();
            });
            await SyncStore.EventuallyAsync(async () => await DeadLetteredAsync(last), TimeSpan.FromSeconds(60));
            Assert.True(await DeadLetteredAsync(last), $"the last poison entry {last} never reached the dead letters");
            var length = await App.RedisAsync(redis => redis.StreamLengthAsync(SyncStore.DeadLetterStream));
            Log($"{flood} poison entries; {length} dead letters kept with a limit of {limit}");
            // Trimmed with MAXLEN ~: Redis drops whole nodes of up to 100 entries, so up to one node more stays.
            Assert.InRange(length, limit, limit + 100);
        }
        finally
        {
            SyncChaosGraph.Resume(paused);
        }
    }

    private Task<bool> DeadLetteredAsync(string id) => App.RedisAsync(async redis =>
        (await redis.StreamRangeAsync(SyncStore.DeadLetterStream, "-", "+", 1, Order.Descending)) is [var newest] && newest["id"] == id);

    private Task<ConnectionMultiplexer> ConnectAsync() =>
        ConnectionMultiplexer.ConnectAsync(App.GetConnectionString("redis") + ",allowAdmin=true");

    private Task<Dictionary<string, long>> ConsumersAsync() => App.RedisAsync(async redis =>
        (await redis.StreamConsumerInfoAsync(SyncStore.BidStream, SyncStore.ConsumerGroup)).ToDictionary(c => c.Name, c => (long)c.PendingMessageCount));

    private Task<long> PendingCountAsync() => App.RedisAsync(async redis =>
        (long)(await redis.StreamPendingAsync(SyncStore.BidStream, SyncStore.ConsumerGroup)).PendingMessageCount);

    private static void Log(string message) => TestContext.Current.TestOutputHelper?.WriteLine(message);
}
