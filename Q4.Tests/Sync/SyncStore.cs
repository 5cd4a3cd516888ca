using Npgsql;
using Q4.Tests.Auctions;
using Q4.Tests.Hosting;
using StackExchange.Redis;

namespace Q4.Tests.Sync;

/// <summary>A row of <c>bids</c> as the sync service wrote it.</summary>
public sealed record PersistedBid(string StreamId, Guid AuctionId, Guid BidderId, long Amount, DateTimeOffset PlacedAt);

/// <summary>The columns of an <c>auctions</c> row that the sync service maintains.</summary>
public sealed record PersistedAuction(long CurrentPrice, int BidCount, Guid? HighestBidderId, string Status, Guid? WinnerId, DateTimeOffset? ClosedAt);

/// <summary>Who holds the sync lock: the whole value <c>&lt;host&gt;/&lt;pid&gt;/&lt;random&gt;:&lt;fence&gt;</c> and the pid in it.</summary>
public sealed record LockOwner(string Value, int Pid);

/// <summary>
/// What the sync service leaves behind, read straight from the graph's stores: rows in PostgreSQL, and the lock,
/// the consumer group and the streams in Redis. The tests judge the service by these, not by its logs.
/// </summary>
public static class SyncStore
{
    public const string BidStream = "q4:bids";
    public const string DeadLetterStream = "q4:bids:dead";
    public const string ConsumerGroup = "sync";
    public const string LockKey = "q4:sync:lock";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static async Task<List<PersistedBid>> BidsOfAsync(this AppHostProcess app, IEnumerable<Guid> auctionIds)
    {
        await using var connection = await OpenAsync(app);
        await using var command = new NpgsqlCommand(
            "SELECT stream_id, auction_id, bidder_id, amount, placed_at FROM bids WHERE auction_id = ANY($1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = auctionIds.ToArray() });
        var bids = new List<PersistedBid>();
        await using var reader = await command.ExecuteReaderAsync(Cancellation);
        while (await reader.ReadAsync(Cancellation))
        {
            bids.Add(new PersistedBid(reader.GetString(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetInt64(3),
                reader.GetFieldValue<DateTimeOffset>(4)));
        }
        return bids;
    }

    /// <summary>How many of <paramref name="streamIds"/> have a row in <c>bids</c>.</summary>
    public static async Task<long> CountBidsWithStreamIdsAsync(this AppHostProcess app, IEnumerable<string> streamIds)
    {
        await using var connection = await OpenAsync(app);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM bids WHERE stream_id = ANY($1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = streamIds.ToArray() });
        return (long)(await command.ExecuteScalarAsync(Cancellation))!;
    }

    public static async Task<PersistedAuction> PersistedAuctionAsync(this AppHostProcess app, Guid auctionId)
    {
        await using var connection = await OpenAsync(app);
        await using var command = new NpgsqlCommand(
            "SELECT current_price, bid_count, highest_bidder_id, status, winner_id, closed_at FROM auctions WHERE id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = auctionId });
        await using var reader = await command.ExecuteReaderAsync(Cancellation);
        Assert.True(await reader.ReadAsync(Cancellation), $"auction {auctionId} has no row");
        return new PersistedAuction(reader.GetInt64(0), reader.GetInt32(1),
            reader.IsDBNull(2) ? null : reader.GetGuid(2),
            reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetGuid(4),
            reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5));
    }

    public static async Task<long> FencingTokenAsync(this AppHostProcess app)
    {
        await using var connection = await OpenAsync(app);
        await using var command = new NpgsqlCommand("SELECT fencing_token FROM sync_state WHERE id = 1", connection);
        return (long)(await command.ExecuteScalarAsync(Cancellation))!;
    }

    public static async Task<NpgsqlConnection> OpenAsync(AppHostProcess app)
    {
        var connection = new NpgsqlConnection(app.GetConnectionString("q4db"));
        await connection.OpenAsync(Cancellation);
        return connection;
    }

    /// <summary>The current holder of the sync lock, or null while nobody holds it.</summary>
    public static async Task<LockOwner?> LockOwnerAsync(this AppHostProcess app)
    {
        var value = await app.RedisAsync(redis => redis.StringGetAsync(LockKey));
        if (value.IsNullOrEmpty)
        {
            return null;
        }
        var parts = value.ToString().Split('/');
        Assert.True(parts.Length >= 3 && int.TryParse(parts[1], out _), $"the lock value '{value}' is not <host>/<pid>/<random>:<fence>");
        return new LockOwner(value.ToString(), int.Parse(parts[1]));
    }

    /// <summary>Every entry of the global bid stream that belongs to one of <paramref name="auctionIds"/>, in stream order.</summary>
    public static async Task<List<StreamEntry>> StreamEntriesOfAsync(this AppHostProcess app, IEnumerable<Guid> auctionIds)
    {
        var wanted = auctionIds.Select(id => id.ToString()).ToHashSet();
        var entries = await app.RedisAsync(redis => redis.StreamRangeAsync(BidStream));
        return entries.Where(entry => wanted.Contains(entry["auction"].ToString())).ToList();
    }

    /// <summary>The auction's own event stream (replay for watchers), where the one <c>closed</c> event goes.</summary>
    public static async Task<List<StreamEntry>> AuctionEventsAsync(this AppHostProcess app, Guid auctionId) =>
        (await app.RedisAsync(redis => redis.StreamRangeAsync($"q4:auction:{auctionId}:events"))).ToList();

    /// <summary>Redis's clock in unix milliseconds: the one clock bid.lua and the closing go by.</summary>
    public static Task<long> RedisNowAsync(this AppHostProcess app) => app.RedisAsync(async redis =>
    {
        var time = (RedisResult[])(await redis.ExecuteAsync("TIME"))!;
        return long.Parse(time[0].ToString()) * 1000 + long.Parse(time[1].ToString()) / 1000;
    });

    /// <summary>
    /// Moves the auction's end straight in its live state. Bids cannot bring an end near without soft close pushing
    /// it two minutes out again, so closing tests bid first, then set the end this way.
    /// </summary>
    public static Task SetEndAsync(this AppHostProcess app, Guid auctionId, long endsAtMs) =>
        app.RedisAsync(async redis =>
        {
            // Both places bid.lua keeps an end: the live state, and the list of ends the sync service closes from.
            var transaction = redis.CreateTransaction();
            _ = transaction.HashSetAsync($"q4:auction:{auctionId}", "endsAt", endsAtMs);
            _ = transaction.SortedSetAddAsync("q4:auctions:ends", auctionId.ToString(), endsAtMs);
            return await transaction.ExecuteAsync();
        });

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes; whether it held. The
    /// caller asserts the details afterwards, so a timeout fails with a message that shows what differed.
    /// </summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout, int pollMs = 250)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition())
            {
                return true;
            }
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(pollMs, Cancellation);
        }
    }

    /// <summary>
    /// Waits until PostgreSQL holds exactly the <paramref name="accepted"/> bids of their auctions, then asserts it in
    /// detail: the same stream ids, each once, with their bidder, amount and time, and each auction's price, count
    /// and highest bidder derived from its bids. The stream ids must also be exactly the stream's entries.
    /// </summary>
    public static async Task AssertAllPersistedAsync(this AppHostProcess app, IReadOnlyCollection<BidResponse> accepted, TimeSpan timeout)
    {
        var auctionIds = accepted.Select(bid => bid.AuctionId).Distinct().ToList();
        var expected = accepted.Select(bid => bid.Id).Order(StringComparer.Ordinal).ToList();
        await EventuallyAsync(async () =>
        {
            var stored = await app.BidsOfAsync(auctionIds);
            return stored.Select(bid => bid.StreamId).Order(StringComparer.Ordinal).SequenceEqual(expected);
        }, timeout, pollMs: 500);

        var persisted = await app.BidsOfAsync(auctionIds);
        var duplicates = persisted.GroupBy(bid => bid.StreamId).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, $"stream ids persisted more than once: {string.Join(", ", duplicates.Take(10))}");
        var persistedIds = persisted.Select(bid => bid.StreamId).ToHashSet();
        var missing = expected.Where(id => !persistedIds.Contains(id)).ToList();
        var unexpected = persistedIds.Except(expected).ToList();
        Assert.True(missing.Count == 0 && unexpected.Count == 0,
            $"after {timeout}: {missing.Count} of {expected.Count} accepted bids are not in PostgreSQL (e.g. {string.Join(", ", missing.Take(5))}); " +
            $"{unexpected.Count} rows were never accepted (e.g. {string.Join(", ", unexpected.Take(5))})");

        // The API's answer and the stream entry agree with the row: nothing was lost or changed on the way.
        var byId = persisted.ToDictionary(bid => bid.StreamId);
        foreach (var bid in accepted)
        {
            var row = byId[bid.Id];
            Assert.Equal((bid.AuctionId, bid.Bidder.Id, bid.Amount), (row.AuctionId, row.BidderId, row.Amount));
            Assert.Equal(bid.PlacedAt, row.PlacedAt);
        }
        // Every entry the stream holds for these auctions was persisted, except those set aside as dead letters.
        var deadIds = (await app.RedisAsync(redis => redis.StreamRangeAsync(DeadLetterStream))).Select(entry => entry["id"].ToString()).ToHashSet();
        var streamIds = (await app.StreamEntriesOfAsync(auctionIds)).Select(entry => entry.Id.ToString())
            .Where(id => !deadIds.Contains(id)).Order(StringComparer.Ordinal);
        Assert.Equal(expected, streamIds);

        foreach (var auctionId in auctionIds)
        {
            var bids = persisted.Where(bid => bid.AuctionId == auctionId).ToList();
            var top = bids.MaxBy(bid => bid.Amount)!;
            var auction = await app.PersistedAuctionAsync(auctionId);
            Assert.True((top.Amount, bids.Count, (Guid?)top.BidderId) == (auction.CurrentPrice, auction.BidCount, auction.HighestBidderId),
                $"auction {auctionId}: row has price {auction.CurrentPrice}, count {auction.BidCount}, highest bidder {auction.HighestBidderId}; " +
                $"its bids say {top.Amount}, {bids.Count}, {top.BidderId}");
        }
    }
}
