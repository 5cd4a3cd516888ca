using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using Q4.Data;
using Q4.ServiceDefaults.Resilience;
using StackExchange.Redis;

namespace Q4.SyncService.Sync;

/// <summary>
/// Moves accepted bids from the Redis stream into PostgreSQL. Every replica runs this; only the lock holder works.
/// On taking the lock, and again every <c>Sync:ReclaimInterval</c>, it claims and finishes what any other consumer
/// left pending, then follows the stream. A batch is ACKed only after its transaction committed, so a crash at any
/// point leaves the entries pending for the next holder, and writing them again changes nothing (stream ids are
/// unique). No failure of Redis or PostgreSQL, however long, ends this loop: it logs, waits (capped back-off) and
/// starts over.
/// </summary>
public sealed class BidStreamSync(
    IConnectionMultiplexer redis, FencedLock fencedLock, BidConsumerGroup group, BidBatchWriter writer, AuctionCloser closer,
    SyncMetrics metrics, IOptions<SyncOptions> options, ILogger<BidStreamSync> logger) : BackgroundService
{
    /// <summary>How often the holder trims the stream and looks for auctions only PostgreSQL remembers.</summary>
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The sync service's spans: one per batch persisted, linked to the trace of every bid in it (its request's span),
    /// and one per auction settled (<see cref="AuctionCloser"/>), linked to the winning bid's.
    /// </summary>
    internal static readonly ActivitySource Tracing = new("Q4.Sync");

    private SyncOptions Settings => options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), Settings.MaxRetryDelay);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var lease = await fencedLock.AcquireAsync(stoppingToken);
                using var work = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lease.Lost);
                try
                {
                    await WorkAsync(lease, backoff, work.Token);
                }
                catch (OperationCanceledException) when (work.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
                {
                    // The lease is lost: nothing in flight was ACKed. Take the lock again, or stand by.
                }
                catch (FencedOutException e)
                {
                    logger.LogWarning("A newer lock holder exists ({Message}); this one stops.", e.Message);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Timeouts, refused or reset connections, LOADING, READONLY, a restarted server: all pass.
                logger.LogError(e, "Syncing failed ({Kind}); starting over in {Delay} ms.", e.GetType().Name, backoff.Next.TotalMilliseconds);
                await backoff.WaitAsync(stoppingToken);
            }
        }
    }

    private async Task WorkAsync(FencedLock.Lease lease, Backoff backoff, CancellationToken ct)
    {
        var db = redis.GetDatabase();
        await group.EnsureCreatedAsync();
        // From now on the database refuses every earlier holder, even one that wakes up mid-batch.
        await RetryWhileDatabaseIsAwayAsync(() => writer.ExecuteFencedAsync(lease.Fence, "SELECT 1", ct), ct);

        var lastReclaim = long.MinValue;
        var lastSweep = long.MinValue;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (lastReclaim == long.MinValue || Stopwatch.GetElapsedTime(lastReclaim) >= Settings.ReclaimInterval)
            {
                await ReclaimAsync(lease, ct);
                lastReclaim = Stopwatch.GetTimestamp();
            }
            var readAt = await RedisTimeAsync(db);
            var entries = await group.ReadNewAsync(fencedLock.Owner);
            if (entries.Length > 0)
            {
                metrics.Lag(TimeSpan.FromMilliseconds(readAt - StreamId.Parse(entries[0].Id!).UnixMilliseconds));
                await ProcessAsync(db, entries, lease.Fence, ct);
            }
            backoff.Reset();
            if (entries.Length == Settings.BatchSize)
            {
                continue; // behind: keep reading
            }
            // Caught up: what was in the stream when the read began is persisted, except what another consumer still
            // has pending; auctions that ended before both can close.
            metrics.Lag(TimeSpan.Zero);
            var persistedUpTo = await group.PersistedUpToAsync(readAt);
            await closer.CloseDueAsync(persistedUpTo, lease.Fence, ct);
            if (lastSweep == long.MinValue || Stopwatch.GetElapsedTime(lastSweep) > SweepInterval)
            {
                await closer.CloseForgottenAsync(persistedUpTo, lease.Fence, ct);
                var (bids, deadLetters) = await group.TrimAsync(readAt - (long)Settings.StreamRetention.TotalMilliseconds);
                metrics.StreamLengths(bids, deadLetters);
                lastSweep = Stopwatch.GetTimestamp();
            }
            if (entries.Length == 0)
            {
                await Task.Delay(Settings.IdleDelay, ct);
            }
        }
    }

    /// <summary>
    /// Whatever other consumers read but never ACKed (a holder that died, or woke after its lease and read a batch
    /// before it noticed) becomes ours and is persisted, oldest first; consumers left owning nothing are removed.
    /// </summary>
    private async Task ReclaimAsync(FencedLock.Lease lease, CancellationToken ct)
    {
        var db = redis.GetDatabase();
        await group.ClaimAllAsync(fencedLock.Owner);
        while (await group.ReadPendingAsync(fencedLock.Owner) is { Length: > 0 } pending)
        {
            logger.LogInformation("Persisting {Count} entries left pending, from {First}.", pending.Length, pending[0].Id);
            await ProcessAsync(db, pending, lease.Fence, ct);
        }
        if (await group.ForgetIdleConsumersAsync(fencedLock.Owner) is > 0 and var forgotten)
        {
            logger.LogInformation("Removed {Count} consumers that owned nothing from the group.", forgotten);
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
        // Its own trace (the batch serves many requests), linked to each bid's: the database writes nest inside it.
        using var batch = Tracing.StartActivity("sync.batch", ActivityKind.Internal, parentContext: default, links: LinksTo(bids));
        batch?.SetTag("q4.sync.entries", entries.Length);
        batch?.SetTag("q4.sync.fence", fence);
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
            await db.StreamAddAsync(RedisKeys.DeadBids, [new("id", entry.Id), new("error", error), .. entry.Values],
                maxLength: Settings.DeadLetterLimit, useApproximateMaxLength: true);
        }
        metrics.DeadLettered(dead.Count);
        await group.AcknowledgeAsync(entries);
    }

    private static IEnumerable<ActivityLink> LinksTo(IEnumerable<BidEntry> bids)
    {
        foreach (var bid in bids)
        {
            if (ActivityContext.TryParse(bid.TraceParent, null, out var context))
            {
                yield return new ActivityLink(context, new ActivityTagsCollection { ["q4.bid.stream_id"] = bid.StreamId });
            }
        }
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
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), Settings.MaxRetryDelay);
        while (true)
        {
            try
            {
                return await write();
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && !(e is PostgresException p && IsRefusedData(p)) && !ct.IsCancellationRequested)
            {
                logger.LogWarning("PostgreSQL did not take the write ({Message}); retrying in {Delay} ms without ACKing.", e.Message, backoff.Next.TotalMilliseconds);
                await backoff.WaitAsync(ct);
            }
        }
    }

    /// <summary>Data exceptions and integrity violations: retrying the same data cannot succeed.</summary>
    private static bool IsRefusedData(PostgresException e) => e.SqlState.StartsWith("22") || e.SqlState.StartsWith("23");

    private static async Task<long> RedisTimeAsync(IDatabase db)
    {
        var time = (RedisResult[])(await db.ExecuteAsync("TIME"))!;
        return (long)time[0] * 1000 + (long)time[1] / 1000;
    }
}
