using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Q4.Hosting;
using Q4.Tests.Auctions;
using Q4.Tests.Hosting;
using Q4.Tests.Users;
using StackExchange.Redis;

namespace Q4.Tests.Sync;

/// <summary>
/// The sync service while its processes are killed, stopped and starved of PostgreSQL, in one graph of its own
/// (the tests of a class run one after the other). No accepted bid may be lost or written twice, the lock must
/// move on in time, and an auction closes once whoever holds the lock.
/// </summary>
public sealed class SyncChaosTests(SyncChaosGraph chaos) : IClassFixture<SyncChaosGraph>
{
    /// <summary>Sync:LockTtl's default; a dead holder's lock lapses after at most this long.</summary>
    private static readonly TimeSpan LockTtl = TimeSpan.FromSeconds(10);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => chaos.App;

    [Fact]
    public async Task Ten_thousand_bids_survive_two_sigkills_of_the_lock_holder()
    {
        const int attempts = 10_000;
        // Two holders die; a third replica is left to finish the work.
        await chaos.EnsureReplicasAsync(3);
        using var seller = TestUser.Fresh(App);
        var auctions = new List<AuctionResponse>();
        for (var i = 0; i < 10; i++)
        {
            auctions.Add(await seller.CreateAuctionAsync(startingPrice: 100, minIncrement: 1, replica: i % 2));
        }
        var bidders = Enumerable.Range(0, 20).Select(_ => TestUser.Fresh(App)).ToList();
        var storm = new BidStorm(bidders, auctions);

        // The second kill is meant to land while bids still flow, so bidders past two thirds wait for the first
        // takeover to be over; before that they run freely, also while nobody holds the lock.
        var firstTakeoverOver = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bidding = storm.RunAsync(attempts, attempt => attempt > attempts * 2 / 3 ? firstTakeoverOver.Task : Task.CompletedTask);
        var takeovers = new List<(LockOwner Killed, TimeSpan? After)>();
        async Task KillTwiceAsync()
        {
            try
            {
                await WhenAttemptsReachAsync(storm, bidding, attempts / 3);
                Log($"killing the holder at attempt {storm.Attempts}");
                takeovers.Add(await KillHolderAsync());
            }
            finally
            {
                firstTakeoverOver.TrySetResult();
            }
            await WhenAttemptsReachAsync(storm, bidding, attempts * 2 / 3);
            Log($"killing the holder at attempt {storm.Attempts}");
            takeovers.Add(await KillHolderAsync());
        }
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(bidding, KillTwiceAsync());
        Log($"bidding and kills took {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");

        Log($"{storm.Accepted.Count} of {attempts} bids accepted; lock taken over " +
            string.Join(", ", takeovers.Select(t => $"{t.After?.TotalSeconds:F1} s after killing pid {t.Killed.Pid}")));
        Assert.Equal(2, takeovers.Count);
        foreach (var (killed, after) in takeovers)
        {
            Assert.True(after is not null, $"nobody took the lock over within 30 s of killing pid {killed.Pid}");
            Assert.True(after <= LockTtl + TimeSpan.FromSeconds(2),
                $"the lock moved on {after!.Value.TotalSeconds:F1} s after pid {killed.Pid} was killed; at most the TTL and 2 s are allowed");
        }
        Assert.True(storm.Accepted.Count >= 2_500, $"only {storm.Accepted.Count} of {attempts} bids were accepted");

        await App.AssertAllPersistedAsync(storm.Accepted, TimeSpan.FromSeconds(60));
        // Killed holders left only good entries behind: nothing of theirs may end up as a dead letter.
        Assert.Equal(0, await App.RedisAsync(redis => redis.StreamLengthAsync(SyncStore.DeadLetterStream)));
        foreach (var bidder in bidders)
        {
            bidder.Dispose();
        }
    }

    [Fact]
    public async Task A_graceful_stop_hands_the_lock_over_within_a_second()
    {
        await chaos.EnsureReplicasAsync(2);
        var holder = await chaos.HolderAsync();

        var stopped = Stopwatch.GetTimestamp();
        Assert.True(Signals.Send(holder.Pid, Signals.SIGTERM), $"pid {holder.Pid} was gone before SIGTERM");
        var watch = chaos.WaitForNewHolderAsync(holder, stopped, TimeSpan.FromSeconds(30));
        TimeSpan? exitedAfter = null;
        while (Stopwatch.GetElapsedTime(stopped) < TimeSpan.FromSeconds(30))
        {
            if (!Signals.IsAlive(holder.Pid))
            {
                exitedAfter = Stopwatch.GetElapsedTime(stopped);
                break;
            }
            await Task.Delay(5, Cancellation);
        }
        Assert.True(exitedAfter is not null, $"pid {holder.Pid} did not exit within 30 s of SIGTERM");
        var (takenAfter, next) = await watch;
        Log($"pid {holder.Pid} exited {exitedAfter?.TotalMilliseconds:F0} ms after SIGTERM; pid {next?.Pid} held the lock after {takenAfter?.TotalMilliseconds:F0} ms");

        Assert.True(takenAfter is not null, $"nobody took the lock over within 30 s of stopping pid {holder.Pid}");
        Assert.True(takenAfter - exitedAfter <= TimeSpan.FromSeconds(1),
            $"the lock moved on {(takenAfter - exitedAfter)!.Value.TotalMilliseconds:F0} ms after the holder exited; at most 1 s is allowed");
        Assert.True(Fence(next!) > Fence(holder), $"the new holder's fence ({next!.Value}) is not above the old one's ({holder.Value})");

        // The new holder writes: a bid placed now is persisted.
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync();
        await App.AssertAllPersistedAsync([await bidder.PlaceBidAsync(auction.Id, 100)], TimeSpan.FromSeconds(30));
        Assert.True(await App.FencingTokenAsync() >= Fence(next!), "the database does not record the new holder's fence");
    }

    [Fact]
    public async Task Bids_are_accepted_while_postgresql_is_paused_and_persisted_after()
    {
        await chaos.EnsureReplicasAsync(1);
        using var seller = TestUser.Fresh(App);
        var bidders = new[] { TestUser.Fresh(App), TestUser.Fresh(App) };
        var auction = await seller.CreateAuctionAsync(startingPrice: 100, minIncrement: 10);

        // A user's first request, and an auction's first bid, on each API replica read PostgreSQL; later ones are
        // served from the replica's cache. So every bidder bids on every replica before the pause.
        var accepted = new List<BidResponse>();
        var amount = 100L;
        foreach (var bidder in bidders)
        {
            for (var replica = 0; replica < 2; replica++, amount += 10)
            {
                accepted.Add(await bidder.PlaceBidAsync(auction.Id, amount, replica));
            }
        }
        await App.AssertAllPersistedAsync(accepted, TimeSpan.FromSeconds(30));

        var duringPause = new List<BidResponse>();
        using (var paused = PostgresPause.Start(App))
        {
            var pauseStarted = Stopwatch.GetTimestamp();
            for (var i = 0; Stopwatch.GetElapsedTime(pauseStarted) < TimeSpan.FromSeconds(10); i++, amount += 10)
            {
                // A bid that waited on the paused database would hang: give up long before the pause ends.
                using var response = await bidders[i % 2].BidAsync(auction.Id, amount, replica: i / 2 % 2).WaitAsync(TimeSpan.FromSeconds(5), Cancellation);
                Assert.True(response.StatusCode == HttpStatusCode.Created,
                    $"bid {i} during the pause: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Cancellation)}");
                duringPause.Add((await response.Content.ReadFromJsonAsync<BidResponse>(Cancellation))!);
                await Task.Delay(200, Cancellation);
            }

            // Still paused: every bid of the pause is either not yet delivered to the group or delivered and pending.
            // An ACK without a write to PostgreSQL would show as an entry that is neither.
            var unacknowledged = await UnacknowledgedAsync(duringPause.Select(bid => bid.Id).ToList());
            Log($"{duringPause.Count} bids accepted while {paused.Count} PostgreSQL processes were stopped; {unacknowledged.Count} of them unacknowledged");
            var acknowledged = duringPause.Select(bid => bid.Id).Except(unacknowledged).ToList();
            Assert.True(acknowledged.Count == 0,
                $"{acknowledged.Count} bids were acknowledged while PostgreSQL was paused: {string.Join(", ", acknowledged.Take(5))}");
        }

        Assert.True(duringPause.Count >= 10, $"only {duringPause.Count} bids were placed during the pause");
        accepted.AddRange(duringPause);
        await App.AssertAllPersistedAsync(accepted, TimeSpan.FromSeconds(60));
        foreach (var bidder in bidders)
        {
            bidder.Dispose();
        }
    }

    [Fact]
    public async Task An_auction_closes_once_across_a_lock_change()
    {
        await chaos.EnsureReplicasAsync(2);
        using var seller = TestUser.Fresh(App);
        var bidders = Enumerable.Range(0, 3).Select(i => TestUser.Fresh(App, $"Chaos bidder {i}")).ToList();
        var auction = await seller.CreateAuctionAsync(startingPrice: 300, minIncrement: 25);
        var bids = new List<BidResponse>();
        for (var i = 0; i < 6; i++)
        {
            bids.Add(await bidders[i % 3].PlaceBidAsync(auction.Id, 300 + i * 25, replica: i % 2));
        }
        var top = bids[^1];

        // The end two seconds out; the holder dies right around it, while it may be closing the auction.
        await App.SetEndAsync(auction.Id, await App.RedisNowAsync() + 2_000);
        await Task.Delay(1_900, Cancellation);
        var (killed, takenAfter) = await KillHolderAsync();
        Assert.True(takenAfter is not null, $"nobody took the lock over within 30 s of killing pid {killed.Pid}");
        Log($"killed pid {killed.Pid} at the end; lock taken over after {takenAfter?.TotalSeconds:F1} s");

        PersistedAuction? row = null;
        await SyncStore.EventuallyAsync(async () => (row = await App.PersistedAuctionAsync(auction.Id)).Status == "closed", TimeSpan.FromSeconds(30));
        Assert.True(row!.Status == "closed", $"auction still '{row.Status}' in PostgreSQL after the lock changed hands");
        Assert.Equal(((Guid?)top.Bidder.Id, top.Amount, bids.Count), (row.WinnerId, row.CurrentPrice, row.BidCount));
        Assert.NotNull(row.ClosedAt);
        var view = await seller.GetAuctionAsync(auction.Id);
        Assert.Equal("ended", view.Status);
        Assert.Equal(top.Bidder.Id, view.Winner?.Id);

        // Whatever the old holder got done before it died, there is one closed event, also a while later.
        await Task.Delay(TimeSpan.FromSeconds(3), Cancellation);
        var closed = (await App.AuctionEventsAsync(auction.Id)).Where(e => e["type"] == "closed").ToList();
        var only = Assert.Single(closed);
        Assert.Equal(top.Amount.ToString(), only["finalPrice"].ToString());
        Assert.Equal(top.Bidder.Id.ToString(), only["winnerId"].ToString());
        foreach (var bidder in bidders)
        {
            bidder.Dispose();
        }
    }

    private static void Log(string message) => TestContext.Current.TestOutputHelper?.WriteLine(message);

    /// <summary>SIGKILLs the lock's holder (it cannot release anything) and waits for another process to hold it.</summary>
    private async Task<(LockOwner Killed, TimeSpan? After)> KillHolderAsync()
    {
        var holder = await chaos.HolderAsync();
        var killedAt = Stopwatch.GetTimestamp();
        Assert.True(Signals.Send(holder.Pid, Signals.SIGKILL), $"pid {holder.Pid} was gone before SIGKILL");
        var (after, _) = await chaos.WaitForNewHolderAsync(holder, killedAt, TimeSpan.FromSeconds(30));
        return (holder, after);
    }

    /// <summary>Returns once the storm has made <paramref name="count"/> attempts, or has ended.</summary>
    private static async Task WhenAttemptsReachAsync(BidStorm storm, Task bidding, int count)
    {
        while (storm.Attempts < count && !bidding.IsCompleted)
        {
            await Task.Delay(10, Cancellation);
        }
    }

    /// <summary>
    /// Which of <paramref name="ids"/> the group has not acknowledged: those after its last delivered id, and those
    /// delivered but still pending.
    /// </summary>
    private Task<List<string>> UnacknowledgedAsync(List<string> ids) => App.RedisAsync(async redis =>
    {
        var group = (await redis.StreamGroupInfoAsync(SyncStore.BidStream)).Single(g => g.Name == SyncStore.ConsumerGroup);
        var lastDelivered = StreamOrder(group.LastDeliveredId ?? "0-0");
        var ordered = ids.OrderBy(StreamOrder).ToList();
        var pending = (await redis.StreamPendingMessagesAsync(SyncStore.BidStream, SyncStore.ConsumerGroup, ids.Count * 2 + 100,
                RedisValue.Null, ordered[0], ordered[^1]))
            .Select(message => message.MessageId.ToString()).ToHashSet();
        return ids.Where(id => pending.Contains(id) || StreamOrder(id).CompareTo(lastDelivered) > 0).ToList();
    });

    private static (ulong, ulong) StreamOrder(string id)
    {
        var parts = id.Split('-');
        return (ulong.Parse(parts[0]), ulong.Parse(parts[1]));
    }

    private static long Fence(LockOwner owner) => long.Parse(owner.Value[(owner.Value.LastIndexOf(':') + 1)..]);
}
