using Microsoft.Extensions.Options;
using Npgsql;
using Q4.Data;
using StackExchange.Redis;

namespace Q4.SyncService.Sync;

/// <summary>
/// Moves accepted bids from the Redis stream into PostgreSQL. Every replica runs this; only the lock holder works.
/// On taking the lock it first finishes what earlier holders left pending, then follows the stream. A batch is
/// ACKed only after its transaction committed, so a crash at any point leaves the entries pending for the next
/// holder, and writing them again changes nothing (stream ids are unique).
/// </summary>
public sealed class BidStreamSync(
    IConnectionMultiplexer redis, FencedLock fencedLock, BidBatchWriter writer, AuctionCloser closer,
    SyncMetrics metrics, IOptions<SyncOptions> options, ILogger<BidStreamSync> logger) : BackgroundService
{
    private static readonly TimeSpan TrimInterval = TimeSpan.FromSeconds(10);

    private SyncOptions Settings => options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await using var lease = await fencedLock.AcquireAsync(stoppingToken);
            using var work = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lease.Lost);
            try
            {
                await WorkAsync(lease, work.Token);
            }
            catch (OperationCanceledException) when (work.IsCancellationRequested)
            {
                // Stopping, or the lock is lost: nothing in flight was ACKed.
            }
            catch (FencedOutException e)
            {
                logger.LogWarning("A newer lock holder exists ({Message}); this one stops.", e.Message);
            }
            catch (Exception e) when (e is RedisException or NpgsqlException)
            {
                logger.LogError(e, "Syncing failed; taking the lock again after a pause.");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private async Task WorkAsync(FencedLock.Lease lease, CancellationToken ct)
    {
        var db = redis.GetDatabase();
        await EnsureConsumerGroupAsync(db);
        // From now on the database refuses every earlier holder, even one that wakes up mid-batch.
        await RetryWhileDatabaseIsAwayAsync(() => writer.ExecuteFencedAsync(lease.Fence, "SELECT 1", ct), ct);

        // Whatever earlier holders read but never ACKed becomes ours, then goes first, oldest first.
        var cursor = "0-0";
        do
        {
            var claimed = await db.StreamAutoClaimIdsOnlyAsync(RedisKeys.BidStream, RedisKeys.SyncGroup, fencedLock.Owner, 0, cursor, Settings.BatchSize);
            cursor = claimed.NextStartId!;
        } while (cursor != "0-0");
        while (await db.StreamReadGroupAsync(RedisKeys.BidStream, RedisKeys.SyncGroup, fencedLock.Owner, "0", Settings.BatchSize) is { Length: > 0 } pending)
        {
            await ProcessAsync(db, pending, lease.Fence, ct);
        }

        string? lastAcked = null;
        var lastTrim = DateTime.UtcNow;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var readAt = await RedisTimeAsync(db);
            var entries = await db.StreamReadGroupAsync(RedisKeys.BidStream, RedisKeys.SyncGroup, fencedLock.Owner,
                StreamPosition.NewMessages, Settings.BatchSize);
            if (entries.Length > 0)
            {
                metrics.Lag(TimeSpan.FromMilliseconds(readAt - IdTime(entries[0].Id!)));
                await ProcessAsync(db, entries, lease.Fence, ct);
                lastAcked = entries[^1].Id;
            }
            if (entries.Length == Settings.BatchSize)
            {
                continue; // behind: keep reading
            }
            // Caught up: every entry older than readAt is persisted, so auctions that ended by then can close.
            metrics.Lag(TimeSpan.Zero);
            await closer.CloseDueAsync(readAt, lease.Fence, ct);
            if (lastAcked is not null && DateTime.UtcNow - lastTrim > TrimInterval)
            {
                await TrimAsync(db, readAt, lastAcked);
                lastTrim = DateTime.UtcNow;
            }
            if (entries.Length == 0)
            {
                await Task.Delay(Settings.IdleDelay, ct);
            }
        }
    }

    /// <summary>Persists the entries (retrying while PostgreSQL is away), dead-letters the bad ones, then ACKs all.</summary>
    private async Task ProcessAsync(IDatabase db, StreamEntry[] entries, long fence, CancellationToken ct)
    {
        var bids = new List<BidEntry>(entries.Length);
        var dead = new List<(StreamEntry Entry, string Error)>();
        foreach (var entry in entries)
        {
            var (bid, error) = BidEntry.Parse(entry);
            if (bid is not null)
            {
                bids.Add(bid);
            }
            else
            {
                dead.Add((entry, error!));
            }
        }
        if (bids.Count > 0)
        {
            foreach (var (bid, error) in await PersistAsync(bids, fence, ct))
            {
                dead.Add((entries.First(e => e.Id == bid.StreamId), error));
            }
        }
        foreach (var (entry, error) in dead)
        {
            logger.LogError("Bid stream entry {Id} cannot be persisted and goes to {DeadLetters}: {Error}", entry.Id, RedisKeys.DeadBids, error);
            await db.StreamAddAsync(RedisKeys.DeadBids, [new("id", entry.Id), new("error", error), .. entry.Values]);
        }
        metrics.DeadLettered(dead.Count);
        await db.StreamAcknowledgeAsync(RedisKeys.BidStream, RedisKeys.SyncGroup, [.. entries.Select(e => e.Id)]);
    }

    /// <summary>
    /// Writes the bids in one transaction. Data the database refuses (an unknown auction, say) is isolated by
    /// writing the bids one by one; those that still fail are returned with the reason. An unreachable database
    /// is waited for, never skipped.
    /// </summary>
    private async Task<List<(BidEntry Bid, string Error)>> PersistAsync(IReadOnlyList<BidEntry> bids, long fence, CancellationToken ct)
    {
        try
        {
            var rows = await RetryWhileDatabaseIsAwayAsync(() => writer.WriteAsync(bids, fence, ct), ct);
            metrics.Persisted(bids.Count, rows);
            return [];
        }
        catch (PostgresException e) when (IsRefusedData(e))
        {
            if (bids.Count == 1)
            {
                return [(bids[0], $"{e.SqlState}: {e.MessageText}")];
            }
            var refused = new List<(BidEntry, string)>();
            foreach (var bid in bids)
            {
                refused.AddRange(await PersistAsync([bid], fence, ct));
            }
            return refused;
        }
    }

    private async Task<T> RetryWhileDatabaseIsAwayAsync<T>(Func<Task<T>> write, CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                return await write();
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && !(e is PostgresException p && IsRefusedData(p)) && !ct.IsCancellationRequested)
            {
                logger.LogWarning("PostgreSQL did not take the write ({Message}); retrying in {Delay} ms without ACKing.", e.Message, delay.TotalMilliseconds);
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, Settings.MaxRetryDelay.Ticks));
            }
        }
    }

    /// <summary>Data exceptions and integrity violations: retrying the same data cannot succeed.</summary>
    private static bool IsRefusedData(PostgresException e) => e.SqlState.StartsWith("22") || e.SqlState.StartsWith("23");

    private async Task EnsureConsumerGroupAsync(IDatabase db)
    {
        try
        {
            // From the very first entry: bids accepted before any sync service ran are persisted too.
            await db.StreamCreateConsumerGroupAsync(RedisKeys.BidStream, RedisKeys.SyncGroup, "0", createStream: true);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
        }
    }

    /// <summary>Drops entries persisted more than the retention ago, never one above the last ACKed.</summary>
    private async Task TrimAsync(IDatabase db, long now, string lastAcked)
    {
        var cutoff = now - (long)Settings.StreamRetention.TotalMilliseconds;
        var minId = IdTime(lastAcked) < cutoff ? lastAcked : $"{cutoff}-0";
        await db.ExecuteAsync("XTRIM", RedisKeys.BidStream, "MINID", "~", minId);
    }

    private static async Task<long> RedisTimeAsync(IDatabase db)
    {
        var time = (RedisResult[])(await db.ExecuteAsync("TIME"))!;
        return (long)time[0] * 1000 + (long)time[1] / 1000;
    }

    private static long IdTime(string id) => long.Parse(id.AsSpan(0, id.IndexOf('-')));
}
