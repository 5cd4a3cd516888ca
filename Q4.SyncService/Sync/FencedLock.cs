using System.Diagnostics;
using Microsoft.Extensions.Options;
using Q4.Data;
using StackExchange.Redis;

namespace Q4.SyncService.Sync;

/// <summary>
/// The lock only one replica holds: <c>SET NX PX</c> with a fencing token from <c>INCR</c>, renewed every third of
/// its lifetime by compare-and-PEXPIRE, released by compare-and-DEL. The holder counts its lease on its own monotonic
/// clock from the moment it sent the last renewal that Redis confirmed; two thirds of the lifetime later, unless a
/// newer renewal was confirmed, its <see cref="Lease.Lost"/> token is cancelled and it stops, before the lock could
/// have expired for anybody else. Any failure to renew (a refusal, a timeout, a dropped connection) counts as "not
/// renewed": the clock decides, not the error.
/// </summary>
public sealed class FencedLock(IConnectionMultiplexer redis, IOptions<SyncOptions> options, SyncMetrics metrics, ILogger<FencedLock> logger)
{
    // A holder whose answer was lost (a timeout while Redis stalled, say) finds its own value there on its next
    // attempt and takes the lease back with the same fence, instead of waiting for the lifetime to run out.
    private const string AcquireScript = """
        local held = redis.call('GET', KEYS[1])
        if held then
          local mine = ARGV[1] .. ':'
          if string.sub(held, 1, #mine) ~= mine then return false end
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return tonumber(string.sub(held, #mine + 1))
        end
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

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    private IDatabase Redis => redis.GetDatabase();

    private ILogger Logger => logger;

    private SyncMetrics Metrics => metrics;

    /// <summary>Who this process is, as a lock value and a consumer name: host, pid and a random part.</summary>
    public string Owner { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    /// <summary>
    /// Waits until this replica holds the lock; the lease renews itself until disposed or lost. Redis being away
    /// only makes it wait longer: every failure is logged and tried again.
    /// </summary>
    public async Task<Lease> AcquireAsync(CancellationToken cancellationToken)
    {
        var ttl = options.Value.LockTtl;
        var waited = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sentAt = Stopwatch.GetTimestamp();
            try
            {
                var fence = await Redis.ScriptEvaluateAsync(AcquireScript, [RedisKeys.SyncLock, RedisKeys.SyncFence],
                    [Owner, (long)ttl.TotalMilliseconds]);
                if (!fence.IsNull)
                {
                    var lease = new Lease(this, (long)fence, ttl, sentAt);
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
            catch (Exception e) when (e is not OperationCanceledException)
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
        private string? _whyLost;

        internal Lease(FencedLock @lock, long fence, TimeSpan ttl, long confirmedAt)
        {
            _lock = @lock;
            _ttl = ttl;
            Fence = fence;
            Value = $"{@lock.Owner}:{fence}";
            _lost.Token.Register(OnLost);
            ExtendUntil(confirmedAt);
            _renewing = RenewAsync();
        }

        public long Fence { get; }

        public string Value { get; }

        /// <summary>Cancelled the moment the lock may belong to someone else.</summary>
        public CancellationToken Lost => _lost.Token;

        /// <summary>
        /// Redis keeps the key at least a lifetime after it received the command sent at <paramref name="sentAt"/>; the
        /// holder gives up a third of the lifetime earlier, which leaves room for clocks running at slightly different
        /// speeds and for the work in flight to stop.
        /// </summary>
        private void ExtendUntil(long sentAt)
        {
            var left = _ttl * 2 / 3 - Stopwatch.GetElapsedTime(sentAt);
            if (left <= TimeSpan.Zero)
            {
                Lose("a renewal was confirmed too late to count");
                return;
            }
            try
            {
                _lost.CancelAfter(left);
            }
            catch (ObjectDisposedException)
            {
                // Released meanwhile.
            }
        }

        private async Task RenewAsync()
        {
            var db = _lock.Redis;
            while (!_lost.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(_ttl / 3, _stopRenewing.Token);
                    var sentAt = Stopwatch.GetTimestamp();
                    var renewed = (long)await db.ScriptEvaluateAsync(RenewScript, [RedisKeys.SyncLock], [Value, (long)_ttl.TotalMilliseconds]);
                    if (renewed != 1)
                    {
                        Lose("the lock is held by someone else");
                        return;
                    }
                    ExtendUntil(sentAt);
                }
                catch (OperationCanceledException) when (_stopRenewing.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    // Not renewed. The deadline set by the last confirmed renewal decides whether the lease is lost.
                    _lock.Logger.LogWarning("Renewing the sync lock failed; retrying while the lease lasts: {Message}", e.Message);
                }
            }
        }

        private void Lose(string why)
        {
            _whyLost ??= why;
            try
            {
                _lost.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Released meanwhile.
            }
        }

        private void OnLost()
        {
            var why = _whyLost ?? $"no renewal was confirmed within {(_ttl * 2 / 3).TotalSeconds:0.#} s";
            _lock.Logger.LogWarning("Lost the sync lock (fence {Fence}): {Why}. Stopping work at once.", Fence, why);
            _lock.Metrics.LockLost();
        }

        /// <summary>Stops renewing and deletes the lock if still ours, so another replica takes over at once.</summary>
        public async ValueTask DisposeAsync()
        {
            await _stopRenewing.CancelAsync();
            await _renewing;
            if (!_lost.IsCancellationRequested)
            {
                try
                {
                    await _lock.Redis.ScriptEvaluateAsync(ReleaseScript, [RedisKeys.SyncLock], [Value]);
                    _lock.Logger.LogInformation("Released the sync lock (fence {Fence}).", Fence);
                }
                catch (Exception e)
                {
                    _lock.Logger.LogWarning("Could not release the sync lock; it expires by itself: {Message}", e.Message);
                }
            }
            _lost.Dispose();
            _stopRenewing.Dispose();
        }
    }
}
