using System.Net;
using Npgsql;
using Q4.Tests.Auctions;
using Q4.Tests.Hosting;
using Q4.Tests.Users;
using StackExchange.Redis;

namespace Q4.Tests.Sync;

/// <summary>
/// The sync service at work in the shared graph: bids copied to PostgreSQL once each, poison entries set aside,
/// stale writers refused, auctions closed once. Other tests run beside these, so nothing here kills, pauses or
/// moves the fence forward; every check is limited to this test's own auctions and entries.
/// </summary>
public sealed class SyncPersistenceTests(GraphFixture graph)
{
    private static readonly TimeSpan PersistTimeout = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => graph.App;

    [Fact]
    public async Task Every_accepted_bid_is_persisted_once_with_the_auctions_price_and_count()
    {
        using var seller = TestUser.Fresh(App);
        var auctions = new List<AuctionResponse>();
        for (var i = 0; i < 3; i++)
        {
            auctions.Add(await seller.CreateAuctionAsync(startingPrice: 1_000, minIncrement: 10, replica: i % 2));
        }
        var bidders = Enumerable.Range(0, 9).Select(_ => TestUser.Fresh(App)).ToList();
        var storm = new BidStorm(bidders, auctions);

        await storm.RunAsync(450);

        Assert.True(storm.Accepted.Count >= 150, $"only {storm.Accepted.Count} of 450 bids were accepted");
        Assert.All(auctions, auction => Assert.Contains(storm.Accepted, bid => bid.AuctionId == auction.Id));
        await App.AssertAllPersistedAsync(storm.Accepted, PersistTimeout);
        foreach (var bidder in bidders)
        {
            bidder.Dispose();
        }
    }

    [Fact]
    public async Task A_poison_entry_goes_to_the_dead_letter_stream_and_the_rest_are_persisted()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync();
        var accepted = new List<BidResponse> { await bidder.PlaceBidAsync(auction.Id, 100) };
        var bidderId = accepted[0].Bidder.Id;

        // Written the way bid.lua writes, each wrong in one way, between real bids so they share batches with them.
        var poison = new List<(string Id, NameValueEntry[] Fields)>();
        async Task AddPoisonAsync(Guid auctionId, string? amount)
        {
            var fields = await BidFieldsAsync(auctionId, bidderId, amount, auction.EndsAt);
            var id = await App.RedisAsync(redis => redis.StreamAddAsync(SyncStore.BidStream, fields));
            poison.Add((id.ToString(), fields));
        }
        await AddPoisonAsync(auction.Id, amount: null);
        accepted.Add(await bidder.PlaceBidAsync(auction.Id, 110, replica: 1));
        await AddPoisonAsync(auction.Id, amount: "abc");
        accepted.Add(await bidder.PlaceBidAsync(auction.Id, 120));
        await AddPoisonAsync(Guid.NewGuid(), amount: "500");
        accepted.Add(await bidder.PlaceBidAsync(auction.Id, 130, replica: 1));

        var poisonIds = poison.Select(p => p.Id).ToHashSet();
        List<StreamEntry> dead = [];
        await SyncStore.EventuallyAsync(async () =>
        {
            dead = (await App.RedisAsync(redis => redis.StreamRangeAsync(SyncStore.DeadLetterStream)))
                .Where(entry => poisonIds.Contains(entry["id"].ToString())).ToList();
            return dead.Count >= poison.Count;
        }, PersistTimeout);
        // Each poison entry is set aside exactly once, not once per attempt.
        Assert.Equal(poison.Select(p => p.Id).Order(), dead.Select(entry => entry["id"].ToString()).Order());
        foreach (var (id, fields) in poison)
        {
            var letter = dead.Single(entry => entry["id"] == id);
            Assert.False(letter["error"].IsNullOrEmpty, $"dead letter of {id} has no error");
            foreach (var field in fields)
            {
                Assert.Equal(field.Value, letter[field.Name]); // the original entry travels with its error
            }
        }

        await App.AssertAllPersistedAsync(accepted, PersistTimeout);
        Assert.Equal(0, await App.CountBidsWithStreamIdsAsync(poisonIds));

        // Set aside means done with: the group holds none of them as pending, so nobody retries them forever.
        var stillPending = new List<string>();
        await SyncStore.EventuallyAsync(async () =>
        {
            stillPending = await PendingAmongAsync(poisonIds);
            return stillPending.Count == 0;
        }, TimeSpan.FromSeconds(15));
        Assert.True(stillPending.Count == 0, $"poison entries still pending in group {SyncStore.ConsumerGroup}: {string.Join(", ", stillPending)}");
    }

    [Fact]
    public async Task A_stale_fencing_token_is_refused_by_the_database()
    {
        // A bid of our own makes sure the holder has written at least once, which records its token.
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync();
        await App.AssertAllPersistedAsync([await bidder.PlaceBidAsync(auction.Id, 100)], PersistTimeout);
        var holderBefore = await App.LockOwnerAsync();
        var token = await App.FencingTokenAsync();
        Assert.True(token > 0, $"sync_state.fencing_token is {token} after the holder wrote");

        await using (var connection = await SyncStore.OpenAsync(App))
        await using (var transaction = await connection.BeginTransactionAsync(Cancellation))
        {
            await using var claim = new NpgsqlCommand("SELECT q4_claim_fence($1)", connection, transaction);
            claim.Parameters.Add(new NpgsqlParameter { Value = token - 1 });
            var refused = await Assert.ThrowsAsync<PostgresException>(() => claim.ExecuteNonQueryAsync(Cancellation));
            Assert.Equal("P0001", refused.SqlState);
            Assert.Contains("fenc", refused.MessageText, StringComparison.OrdinalIgnoreCase);
            await transaction.RollbackAsync(Cancellation);
        }

        // The refusal changed nothing. Only a real change of holder (none is expected here) may move the token, and
        // only forward.
        var after = await App.FencingTokenAsync();
        if ((await App.LockOwnerAsync())?.Value == holderBefore?.Value)
        {
            Assert.Equal(token, after);
        }
        else
        {
            Assert.True(after >= token, $"the token went back from {token} to {after}");
        }
    }

    [Fact]
    public async Task An_auction_closes_once_with_the_highest_bidder_as_winner()
    {
        using var seller = TestUser.Fresh(App);
        var bidders = Enumerable.Range(0, 3).Select(i => TestUser.Fresh(App, $"Closing bidder {i}")).ToList();
        var auction = await seller.CreateAuctionAsync(startingPrice: 200, minIncrement: 20);
        using var feed = await AuctionClient.OpenFeedAsync(App.CreateHttpClient("apiservice", 1), auction.Id);

        // Bids far from the end (no soft close), then the end brought near by hand.
        var bids = new List<BidResponse>();
        for (var i = 0; i < 6; i++)
        {
            bids.Add(await bidders[i % 3].PlaceBidAsync(auction.Id, 200 + i * 20, replica: i % 2));
        }
        var top = bids[^1];
        await App.SetEndAsync(auction.Id, await App.RedisNowAsync() + 1_500);

        PersistedAuction? row = null;
        await SyncStore.EventuallyAsync(async () =>
        {
            row = await App.PersistedAuctionAsync(auction.Id);
            return row.Status == "closed";
        }, PersistTimeout);
        Assert.True(row!.Status == "closed", $"auction still '{row.Status}' in PostgreSQL {PersistTimeout} after its end");
        Assert.Equal(top.Bidder.Id, row.WinnerId);
        Assert.Equal(top.Amount, row.CurrentPrice);
        Assert.Equal(bids.Count, row.BidCount);
        Assert.NotNull(row.ClosedAt);

        var events = await feed.TakeAsync(bids.Count + 1);
        Assert.Equal(bids.Select(b => b.Id), events.Take(bids.Count).Select(e => e.Data.GetProperty("id").GetString()));
        var closed = events[^1];
        Assert.Equal("closed", closed.Type);
        Assert.Equal(top.Amount, closed.Data.GetProperty("finalPrice").GetInt64());
        Assert.Equal(top.Bidder.Id, closed.Data.GetProperty("winner").GetProperty("id").GetGuid());
        Assert.Equal(top.Bidder.Name, closed.Data.GetProperty("winner").GetProperty("name").GetString());

        Assert.Equal("1", (await App.RedisAsync(redis => redis.HashGetAsync($"q4:auction:{auction.Id}", "closed"))).ToString());
        var view = await seller.GetAuctionAsync(auction.Id, replica: 1);
        Assert.Equal("ended", view.Status);
        Assert.Equal(top.Bidder.Id, view.Winner?.Id);
        Assert.Equal(top.Amount, view.CurrentPrice);
        // The closed event is the newest the ended auction's values reflect.
        Assert.Equal(closed.Id, view.LastEventId);
        for (var replica = 0; replica < 2; replica++)
        {
            using var late = await bidders[0].BidAsync(auction.Id, top.Amount + 1_000, replica: replica);
            await ProblemAssert.IsProblemAsync(late, HttpStatusCode.Conflict, "auction_not_open");
        }

        // Several closing passes later there is still one closed event: closing is not repeated.
        await Task.Delay(TimeSpan.FromSeconds(3), Cancellation);
        var closedEvents = (await App.AuctionEventsAsync(auction.Id)).Where(e => e["type"] == "closed").ToList();
        var only = Assert.Single(closedEvents);
        Assert.Equal(top.Amount.ToString(), only["finalPrice"].ToString());
        Assert.Equal(top.Bidder.Id.ToString(), only["winnerId"].ToString());
        Assert.Equal(top.Bidder.Name, only["winnerName"].ToString());
        Assert.False(only["closedAt"].IsNullOrEmpty);
        foreach (var bidder in bidders)
        {
            bidder.Dispose();
        }
    }

    /// <summary>The fields of a bid entry as bid.lua writes them; the amount is left out when null.</summary>
    private async Task<NameValueEntry[]> BidFieldsAsync(Guid auctionId, Guid bidderId, string? amount, DateTimeOffset endsAt)
    {
        var now = await App.RedisNowAsync();
        var fields = new List<NameValueEntry>
        {
            new("auction", auctionId.ToString()),
            new("bidder", bidderId.ToString()),
            new("bidderName", "Poison"),
        };
        if (amount is not null)
        {
            fields.Add(new("amount", amount));
        }
        fields.Add(new("placedAt", now));
        fields.Add(new("endsAt", endsAt.ToUnixTimeMilliseconds()));
        fields.Add(new("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
        return fields.ToArray();
    }

    /// <summary>Which of <paramref name="ids"/> the consumer group still holds as delivered but not acknowledged.</summary>
    private async Task<List<string>> PendingAmongAsync(IReadOnlyCollection<string> ids)
    {
        var pending = new List<string>();
        foreach (var id in ids)
        {
            var entries = await App.RedisAsync(redis => redis.StreamPendingMessagesAsync(
                SyncStore.BidStream, SyncStore.ConsumerGroup, 1, RedisValue.Null, id, id));
            pending.AddRange(entries.Select(e => e.MessageId.ToString()));
        }
        return pending;
    }
}
