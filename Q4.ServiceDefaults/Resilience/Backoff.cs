namespace Q4.ServiceDefaults.Resilience;

/// <summary>
/// The wait between attempts of a background loop that must outlive any outage of a store: it starts at
/// <paramref name="first"/>, doubles after each failure up to <paramref name="max"/>, and starts over after a success.
/// A loop keeps retrying however long the outage lasts; the cap keeps recovery prompt once the store is back.
/// </summary>
public sealed class Backoff(TimeSpan first, TimeSpan max)
{
    private readonly TimeSpan _first = first;
    private TimeSpan _next = first;

    /// <summary>How long the next wait will be.</summary>
    public TimeSpan Next => _next;

    /// <summary>Waits the current delay, then doubles it (capped).</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        var delay = _next;
        _next = TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, max.Ticks));
        await Task.Delay(delay, cancellationToken);
    }

    /// <summary>After a success: the next failure waits <paramref name="first"/> again.</summary>
    public void Reset() => _next = _first;
}
