using System.ComponentModel.DataAnnotations;

namespace Q4.Data.Options;

/// <summary>
/// Section <c>Housekeeping</c>. The sync service sweeps uploads nobody attached; the API refuses to attach an upload
/// that old, since it may vanish at any moment.
/// </summary>
public sealed class HousekeepingOptions
{
    public const string Section = "Housekeeping";

    /// <summary>Pause between sweeps (the first runs shortly after start).</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long an upload may stay unattached before it is deleted.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan UnattachedImageLifetime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Images deleted per transaction at the most.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 100;
}
