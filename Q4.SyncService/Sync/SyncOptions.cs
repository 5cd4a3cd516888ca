using System.ComponentModel.DataAnnotations;

namespace Q4.SyncService.Sync;

/// <summary>Section <c>Sync</c>.</summary>
public sealed class SyncOptions
{
    public const string Section = "Sync";

    /// <summary>How long the lock outlives a holder that stopped renewing it (a crash hands over within this).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan LockTtl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Stream entries persisted per transaction at the most.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 1000;

    /// <summary>Persisted entries stay in the stream this long before they are trimmed (for inspection and replay).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan StreamRetention { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long to wait before reading again when the stream had nothing new.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:05")]
    public TimeSpan IdleDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How often the holder claims and persists entries other consumers left pending (a holder that died, or woke up
    /// after its lease ran out and read a batch it could no longer write).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:10:00")]
    public TimeSpan ReclaimInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Dead letters kept in <c>q4:bids:dead</c> at the most; older ones are trimmed.</summary>
    [Range(100, 10_000_000)]
    public int DeadLetterLimit { get; set; } = 100_000;

    /// <summary>Longest wait between retries of a failed database write.</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:01:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);
}
