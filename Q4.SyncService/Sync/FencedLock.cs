using System.Diagnostics;
using Microsoft.Extensions.Options;
using Q4.Data;
using StackExchange.Redis;

namespace Q4.SyncService.Sync;

/// <summary>
/// The lock only one replica holds: <c>SET NX PX</c> with a fencing token from <c>INCR</c>, renewed every third of
/// its lifetime by compare-and-PEXPIRE, released by compare-and-DEL. A holder that cannot renew in time loses it:
/// its <see cref="Lease.Lost"/> token is cancelled and it stops at once.
/// </summary>
public sealed class FencedLock(IConnectionMultiplexer redis, IOptions<SyncOptions> options, SyncMetrics metrics, ILogger<FencedLock> logger)
{
    private const string AcquireScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return false end
        local fence = redis.call('INCR', KEYS[2])
        redis.call('SET', KEYS[1], ARGV[1] .. ':' .. fence, 'PX', ARGV[2])
        return fence
        """;

    private const string RenewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private IDatabase Redis => redis.GetDatabase();

    private ILogger Logger => logger;

    private SyncMetrics Metrics => metrics;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>Who this process is, as a lock value and a consumer name: host, pid and a random part.</summary>
    public string Owner { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    /// <summary>Waits until this replica holds the lock; the lease renews itself until disposed or lost.</summary>
    public async Task<Lease> AcquireAsync(CancellationToken cancellationToken)
    {
        var ttl = options.Value.LockTtl;
        var db = redis.GetDatabase();
        var waited = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var fence = await db.ScriptEvaluateAsync(AcquireScript, [RedisKeys.SyncLock, RedisKeys.SyncFence],
                    [Owner, (long)ttl.TotalMilliseconds]);
                if (!fence.IsNull)
                {
                    var lease = new Lease(this, (long)fence, ttl);
                    metrics.LockAcquired();
                    logger.LogInformation("Holding the sync lock as {Owner} with fencing token {Fence}.", Owner, lease.Fence);
                    return lease;
                }
                if (!waited)
                {
                    logger.LogInformation("Another replica holds the sync lock; standing by.");
                    waited = true;
                }
            }
            catch (RedisException e)
            {
                logger.LogWarning("Cannot reach Redis to take the sync lock: {Message}", e.Message);
            }
            // A released lock is taken within one poll; a crashed holder's once its lifetime ran out.
            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    public sealed class Lease : IAsyncDisposable
    {
        private readonly FencedLock _lock;
        private readonly TimeSpan _ttl;
        private readonly CancellationTokenSource _lost = new();
        private readonly CancellationTokenSource _stopRenewing = new();
        private readonly Task _renewing;

        internal Lease(FencedLock @lock, long fence, TimeSpan ttl)
        {
            _lock = @lock;
            _ttl = ttl;
            Fence = fence;
            Value = $"{@lock.Owner}:{fence}";
            _renewing = RenewAsync();
        }

        public long Fence { get; }

        public string Value { get; }

        /// <summary>Cancelled the moment the lock may belong to someone else.</summary>
        public CancellationToken Lost => _lost.Token;

        private async Task RenewAsync()
        {
            var db = _lock.Redis;
            var lastRenewed = Stopwatch.StartNew();
            while (!_stopRenewing.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(_ttl / 3, _stopRenewing.Token);
                    var renewed = (long)await db.ScriptEvaluateAsync(RenewScript, [RedisKeys.SyncLock], [Value, (long)_ttl.TotalMilliseconds]);
                    if (renewed != 1)
                    {
                        Lose("the lock is held by someone else");
                        return;
                    }
                    lastRenewed.Restart();
                }
                catch (OperationCanceledException) when (_stopRenewing.IsCancellationRequested)
                {
                    return;
                }
                catch (RedisException e) when (lastRenewed.Elapsed < _ttl * 2 / 3)
                {
                    _lock.Logger.LogWarning("Renewing the sync lock failed, retrying: {Message}", e.Message);
                }
                catch (RedisException e)
                {
                    // The lock may have expired by now: stop before another holder starts.
                    Lose($"it could not be renewed in time ({e.Message})");
                    return;
                }
            }
        }

        private void Lose(string why)
        {
            _lock.Logger.LogWarning("Lost the sync lock (fence {Fence}): {Why}. Stopping work at once.", Fence, why);
            _lock.Metrics.LockLost();
            _lost.Cancel();
        }

        /// <summary>Stops renewing and deletes the lock if still ours, so another replica takes over at once.</summary>
        public async ValueTask DisposeAsync()
        {
            _stopRenewing.Cancel();
            await _renewing;
            if (!_lost.IsCancellationRequested)
            {
                try
                {
                    await _lock.Redis.ScriptEvaluateAsync(ReleaseScript, [RedisKeys.SyncLock], [Value]);
                    _lock.Logger.LogInformation("Released the sync lock (fence {Fence}).", Fence);
                }
                catch (RedisException e)
                {
                    _lock.Logger.LogWarning("Could not release the sync lock; it expires by itself: {Message}", e.Message);
                }
            }
            _lost.Dispose();
            _stopRenewing.Dispose();
        }
    }
}
