using Q4.Hosting.Publishing;

namespace Q4.Hosting;

/// <summary>Where a resource is; <see cref="Finished"/>: one that runs to completion ended with exit code 0.</summary>
public enum ResourceState { Waiting, Starting, Healthy, Finished, Failed, Exited, Stopping, Stopped }

/// <summary>Something the AppHost runs: a store, a database inside a store, or a .NET project.</summary>
public abstract class Resource(string name)
{
    public string Name { get; } = name;

    /// <summary>Resources that must be healthy (or, those that run to completion, finished) before this one starts.</summary>
    internal List<Resource> WaitsFor { get; } = [];

    /// <summary>Runs once and ends (a migration): started, it is waited for until it exits, and exit code 0 is success.</summary>
    internal bool RunsToCompletion { get; set; }

    /// <summary>Stores stop after everything that may still be writing to them.</summary>
    internal abstract int StopOrder { get; }

    internal ResourceState State { get; set; } = ResourceState.Waiting;

    internal TaskCompletionSource Healthy { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal virtual IReadOnlyList<ChildProcess> Processes => [];

    /// <summary>Programs that must be on the machine before the resource starts.</summary>
    internal virtual IEnumerable<Tool> RequiredTools => [];

    /// <summary>Chooses ports and secrets; runs for every resource before any starts.</summary>
    internal abstract void Allocate(RunContext context);

    /// <summary>Starts the resource and returns once it is healthy (or has finished, when it runs to completion).</summary>
    internal abstract Task StartAsync(RunContext context, CancellationToken cancellationToken);

    /// <summary>Whether the dashboard may start its processes again once they ended (a one-shot migration: no).</summary>
    internal virtual bool CanStartAgain => false;

    /// <summary>Whether the dashboard may stop it and leave it stopped (a store every service depends on: no).</summary>
    internal virtual bool MayStop => true;

    /// <summary>
    /// Starts process <paramref name="index"/>, which has ended, again as it was (same port, same environment) and
    /// returns once it is healthy, as at the first start.
    /// </summary>
    internal virtual Task StartAgainAsync(int index, RunContext context, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{Name} cannot be started again.");

    internal virtual async Task StopAsync(CancellationToken cancellationToken) =>
        await Task.WhenAll(Processes.Select(p => p.StopAsync(cancellationToken)));

    internal abstract IReadOnlyList<string> Urls { get; }

    /// <summary>The name a published graph knows it by (another resource may stand in for it there).</summary>
    internal virtual string PublishedName => Name;

    /// <summary>What a deployment runs in its place: a container, a project to build, the parameters they need.</summary>
    internal abstract IEnumerable<PublishedResource> Publish();
}

/// <summary>A resource a project reaches through <c>ConnectionStrings__&lt;name&gt;</c>.</summary>
public interface IResourceWithConnectionString
{
    string Name { get; }

    string ConnectionString { get; }
}
