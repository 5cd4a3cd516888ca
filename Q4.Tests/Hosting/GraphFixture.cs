using Q4.Tests.Hosting;

[assembly: AssemblyFixture(typeof(GraphFixture))]

namespace Q4.Tests.Hosting;

/// <summary>
/// The one graph the tests of a run share (this machine has two cores): started once, stopped at the end.
/// Tests create their own data in it, so they stay independent and may run in parallel.
/// </summary>
public sealed class GraphFixture : IAsyncLifetime
{
    private AppHostProcess? _app;

    public AppHostProcess App => _app ?? throw new InvalidOperationException("The graph did not start.");

    public async ValueTask InitializeAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Q4_AppHost>(TestContext.Current.CancellationToken);
        _app = await builder.BuildAsync(TestContext.Current.CancellationToken);
        await _app.StartAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
            var leftovers = await Leftovers.AfterSettlingAsync(_app, TimeSpan.FromSeconds(5));
            if (leftovers.Count > 0)
            {
                throw new InvalidOperationException($"The shared graph left processes running: {string.Join(", ", leftovers)}");
            }
        }
    }
}
