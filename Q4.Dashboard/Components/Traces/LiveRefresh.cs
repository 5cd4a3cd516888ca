using Q4.Dashboard.Telemetry;

namespace Q4.Dashboard.Components.Traces;

/// <summary>
/// Keeps a page live: each time the store takes something newer than the page last read (<c>position</c>, which the
/// page's reads keep up to date), calls <c>refresh</c>, at most once per <see cref="Interval"/> however fast telemetry
/// arrives. Disposing stops it.
/// </summary>
public sealed class LiveRefresh : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private readonly CancellationTokenSource _stop = new();

    public LiveRefresh(TelemetryStore store, Func<long> position, Func<Task> refresh) => _ = RunAsync(store, position, refresh);

    private async Task RunAsync(TelemetryStore store, Func<long> position, Func<Task> refresh)
    {
        try
        {
            while (true)
            {
                await store.WaitForNewerAsync(position(), _stop.Token);
                await Task.Delay(Interval, _stop.Token);
                await refresh();
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            // The page went away (its last refresh may have found it gone).
        }
    }

    /// <summary>Stops (the token source is left to the collector: the loop may still be reading it).</summary>
    public void Dispose() => _stop.Cancel();
}
