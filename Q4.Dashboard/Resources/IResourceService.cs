namespace Q4.Dashboard.Resources;

/// <summary>
/// The AppHost's resources as the dashboard sees them: the AppHost implements this, the dashboard reads it and asks
/// it to stop, start or restart a process (in Aspire the AppHost serves the same to its dashboard as the resource
/// service, with its commands), so the dashboard knows nothing of how resources are run.
/// </summary>
public interface IResourceService
{
    /// <summary>Every resource now, in the order the AppHost declares them.</summary>
    IReadOnlyList<ResourceSnapshot> GetResources();

    /// <summary>The file that holds a process's console output, or null when there is no such process.</summary>
    string? ConsoleLogPath(string process);

    /// <summary>The environment a process was started with (secrets in clear: the caller masks them), or null when unknown.</summary>
    IReadOnlyDictionary<string, string>? EnvironmentOf(string process);

    /// <summary>The latest answer of a process's health endpoint, or null when it has none (yet).</summary>
    HealthReport? HealthOf(string process);

    /// <summary>
    /// Stops a resource (each of its processes) or one replica, gracefully: its stop signal, then a kill after the
    /// stop timeout. Returns once stopped; throws <see cref="ResourceActionException"/> when it cannot.
    /// </summary>
    Task<ResourceSnapshot> StopAsync(string resourceOrProcess, CancellationToken cancellationToken);

    /// <summary>Starts stopped processes again as they were (same port, same environment) and waits until they are healthy.</summary>
    Task<ResourceSnapshot> StartAsync(string resourceOrProcess, CancellationToken cancellationToken);

    /// <summary>Stops, then starts, each process in turn (replicas one after the other, so the others keep serving).</summary>
    Task<ResourceSnapshot> RestartAsync(string resourceOrProcess, CancellationToken cancellationToken);
}

/// <summary>
/// A resource: its state (Waiting, Starting, Healthy, Degraded, Failed, Finished, Exited, Stopping, Stopped), URLs,
/// processes, and what it is: its type, its references and what it waits for, the actions it allows now.
/// </summary>
public sealed record ResourceSnapshot(string Name, string State, IReadOnlyList<string> Urls, IReadOnlyList<ProcessSnapshot> Processes)
{
    /// <summary>Project, Redis, PostgreSQL, Database, S3, Parameter.</summary>
    public string Type { get; init; } = "";

    /// <summary>The worst health of its running processes (Healthy, Degraded, Unhealthy, Unreachable), or null when unknown.</summary>
    public string? Health { get; init; }

    /// <summary>The resources it is handed (<c>WithReference</c>): connection strings, service discovery.</summary>
    public IReadOnlyList<string> References { get; init; } = [];

    /// <summary>The resources it starts after (<c>WaitFor</c>, <c>WaitForCompletion</c>).</summary>
    public IReadOnlyList<string> WaitsFor { get; init; } = [];

    /// <summary>The actions it allows now, of <see cref="ResourceActions"/>.</summary>
    public IReadOnlyList<string> Actions { get; init; } = [];
}

/// <summary>
/// One process of a resource (a replica, say): its state (Starting, Running, Stopping, Stopped, Exited, Finished),
/// exit code once it has ended, address, when it started, how often it was started again, its health.
/// </summary>
public sealed record ProcessSnapshot(string Name, int Pid, int? ExitCode)
{
    public string State { get; init; } = "";

    public string? Url { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public int Restarts { get; init; }

    public string? Health { get; init; }

    /// <summary>The actions it allows now, of <see cref="ResourceActions"/>.</summary>
    public IReadOnlyList<string> Actions { get; init; } = [];
}

/// <summary>What a health endpoint answered: its status, each check's, and when it was asked.</summary>
public sealed record HealthReport(string Status, IReadOnlyList<HealthCheckEntry> Checks, DateTimeOffset CheckedAt);

/// <summary>One check of a health report, with its reason when it failed.</summary>
public sealed record HealthCheckEntry(string Name, string Status, string? Description);

/// <summary>The names of the actions on resources and processes, as the HTTP API and the page know them.</summary>
public static class ResourceActions
{
    public const string Stop = "stop";
    public const string Start = "start";
    public const string Restart = "restart";
}

/// <summary>Why an action cannot be done: an HTTP status (404, 409, 500), a machine-readable code and a sentence.</summary>
public sealed class ResourceActionException(int status, string code, string detail) : Exception(detail)
{
    public int Status { get; } = status;

    public string Code { get; } = code;
}
