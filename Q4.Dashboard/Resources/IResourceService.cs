namespace Q4.Dashboard.Resources;

/// <summary>
/// The AppHost's resources as the dashboard sees them: the AppHost implements this, the dashboard only reads it (in
/// Aspire the AppHost serves the same to its dashboard as the resource service), so the dashboard knows nothing of
/// how resources are run.
/// </summary>
public interface IResourceService
{
    /// <summary>Every resource now, in the order the AppHost declares them.</summary>
    IReadOnlyList<ResourceSnapshot> GetResources();

    /// <summary>The file that holds a process's console output, or null when there is no such process.</summary>
    string? ConsoleLogPath(string process);
}

/// <summary>A resource: its state (Waiting, Starting, Healthy, Failed, Exited, Stopping, Stopped), URLs and processes.</summary>
public sealed record ResourceSnapshot(string Name, string State, IReadOnlyList<string> Urls, IReadOnlyList<ProcessSnapshot> Processes);

/// <summary>One process of a resource (a replica, say), with its exit code once it has ended.</summary>
public sealed record ProcessSnapshot(string Name, int Pid, int? ExitCode);
