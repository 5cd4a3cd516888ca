using Q4.Dashboard.Resources;

namespace Q4.Hosting;

/// <summary>The resources this AppHost runs, as its dashboard reads them.</summary>
internal sealed class ResourceService(IReadOnlyList<Resource> resources) : IResourceService
{
    public IReadOnlyList<ResourceSnapshot> GetResources() =>
        [.. resources.Select(resource => new ResourceSnapshot(
            resource.Name,
            StateOf(resource).ToString(),
            resource.Urls,
            [.. resource.Processes.Select(p => new ProcessSnapshot(p.Name, p.Pid, p.Exited.IsCompleted ? p.Exited.Result : null))]))];

    public string? ConsoleLogPath(string process) =>
        resources.SelectMany(r => r.Processes).FirstOrDefault(p => p.Name == process) is { } known && File.Exists(known.LogPath)
            ? known.LogPath
            : null;

    /// <summary>A healthy resource one of whose processes has ended since is shown as exited.</summary>
    private static ResourceState StateOf(Resource resource) =>
        resource.State == ResourceState.Healthy && resource.Processes.Any(p => p.Exited.IsCompleted)
            ? ResourceState.Exited
            : resource.State;
}
