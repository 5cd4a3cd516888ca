using System.Net.Http.Json;
using Q4.Dashboard.Resources;

namespace Q4.Hosting.Testing;

/// <summary>
/// Waits for a resource of a test's graph to reach a state, as the AppHost's dashboard reports it
/// (<c>/api/resources</c>): after a test stopped or restarted something, say.
/// </summary>
public sealed class ResourceNotificationService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    private readonly AppHostProcess _app;

    internal ResourceNotificationService(AppHostProcess app) => _app = app;

    /// <summary>Returns once <paramref name="resource"/> is healthy; cancel to give up.</summary>
    public Task<ResourceSnapshot> WaitForResourceHealthyAsync(string resource, CancellationToken cancellationToken = default) =>
        WaitForResourceAsync(resource, "Healthy", cancellationToken);

    /// <summary>Returns once <paramref name="resource"/> is in <paramref name="state"/> (Starting, Healthy, Exited, ...).</summary>
    public async Task<ResourceSnapshot> WaitForResourceAsync(string resource, string state, CancellationToken cancellationToken = default)
    {
        using var dashboard = _app.CreateHttpClient("apphost");
        while (true)
        {
            var resources = await dashboard.GetFromJsonAsync<List<ResourceSnapshot>>("/api/resources", cancellationToken);
            var found = resources?.SingleOrDefault(r => r.Name == resource)
                ?? throw new ArgumentException($"The graph has no resource named '{resource}'.", nameof(resource));
            if (found.State == state)
            {
                return found;
            }
            await Task.Delay(PollInterval, cancellationToken);
        }
    }
}
