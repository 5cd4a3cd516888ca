using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Q4.Dashboard.Resources;

namespace Q4.Hosting;

/// <summary>
/// The resources this AppHost runs, as its dashboard reads them, and the dashboard's actions on their processes. A
/// process is started again exactly as it first was (same port, same environment), so service discovery and the
/// other replicas go on as before; a process stopped on purpose is no crash (nothing says it "exited unexpectedly")
/// and the rest of the graph runs on. One action at a time per process; others are refused while it runs.
/// </summary>
internal sealed class ResourceService(IReadOnlyList<Resource> resources, RunContext context, IHostApplicationLifetime lifetime) : IResourceService
{
    private readonly ConcurrentDictionary<string, string> _busy = new();

    public IReadOnlyList<ResourceSnapshot> GetResources() => [.. resources.Select(Snapshot)];

    public string? ConsoleLogPath(string process) =>
        FindProcess(process) is { } known && File.Exists(known.LogPath) ? known.LogPath : null;

    public IReadOnlyDictionary<string, string>? EnvironmentOf(string process) => FindProcess(process)?.Environment;

    public HealthReport? HealthOf(string process) => FindProcess(process)?.LastHealth;

    public Task<ResourceSnapshot> StopAsync(string resourceOrProcess, CancellationToken cancellationToken) =>
        ActAsync(resourceOrProcess, ResourceActions.Stop, async (resource, index) =>
        {
            await resource.Processes[index].StopAsync(lifetime.ApplicationStopping);
            context.Log.Info($"{resource.Processes[index].Name} stopped from the dashboard.");
        });

    public Task<ResourceSnapshot> StartAsync(string resourceOrProcess, CancellationToken cancellationToken) =>
        ActAsync(resourceOrProcess, ResourceActions.Start, StartAgainAsync);

    public Task<ResourceSnapshot> RestartAsync(string resourceOrProcess, CancellationToken cancellationToken) =>
        ActAsync(resourceOrProcess, ResourceActions.Restart, async (resource, index) =>
        {
            await resource.Processes[index].StopAsync(lifetime.ApplicationStopping);
            await StartAgainAsync(resource, index);
        });

    /// <summary>
    /// Finds the resource or replica, checks the action is allowed on each process it names, then does it to one
    /// process after the other (replicas in turn, so the others serve meanwhile). The caller's giving up does not
    /// stop it halfway: only the AppHost's own shutdown does.
    /// </summary>
    private async Task<ResourceSnapshot> ActAsync(string target, string action, Func<Resource, int, Task> act)
    {
        var (resource, indices) = Find(target);
        if (!context.IsUp || context.IsStopping)
        {
            throw Refused("graph_not_running", $"The graph is {(context.IsStopping ? "stopping" : "still starting")}; its processes cannot be {Past(action)} now.");
        }
        if (!resource.CanStartAgain || resource.Processes.Count == 0)
        {
            throw Refused("action_not_allowed", $"{resource.Name} runs no process the dashboard can stop or start (a database inside its server, or a one-shot migration).");
        }
        if (action == ResourceActions.Stop && !resource.MayStop)
        {
            throw Refused("action_not_allowed", $"{resource.Name} is a store the services depend on: it can be restarted, not stopped.");
        }
        var names = indices.Select(i => resource.Processes[i].Name).ToList();
        var taken = names.Where(name => _busy.TryAdd(name, action)).ToList();
        try
        {
            if (taken.Count < names.Count)
            {
                var other = names.Except(taken).First();
                throw Refused("busy", $"{other} is being {Past(_busy.GetValueOrDefault(other) ?? action)} already; try again once that is done.");
            }
            var chosen = indices.Where(i => Allows(resource, resource.Processes[i], action)).ToList();
            if (chosen.Count == 0)
            {
                throw Refused("action_not_allowed", action == ResourceActions.Stop
                    ? $"{target} is not running."
                    : $"{target} is {(action == ResourceActions.Start ? "already running" : "neither running nor stopped")}.");
            }
            foreach (var index in chosen)
            {
                await act(resource, index);
            }
        }
        finally
        {
            foreach (var name in taken)
            {
                _busy.TryRemove(name, out _);
            }
            if (context.IsUp && !context.IsStopping)
            {
                // Pids changed: whoever reads the file (a script, a test) finds the new ones.
                context.State.WriteEndpoints(Orchestrator.Describe(resources, context));
            }
        }
        return Snapshot(resource);
    }

    private async Task StartAgainAsync(Resource resource, int index)
    {
        if (context.IsStopping)
        {
            throw Refused("graph_not_running", "The graph is stopping; nothing starts again.");
        }
        try
        {
            await resource.StartAgainAsync(index, context, lifetime.ApplicationStopping);
        }
        catch (AppHostException e)
        {
            throw new ResourceActionException(StatusCodes.Status500InternalServerError, "start_failed", e.Message);
        }
        var process = resource.Processes[index];
        process.Ready = true;
        context.Log.Info($"{process.Name} started again from the dashboard (pid {process.Pid}); it is healthy.");
    }

    /// <summary>Stop and restart need a running process, start an ended one.</summary>
    private static bool Allows(Resource resource, ChildProcess process, string action)
    {
        if (!resource.CanStartAgain)
        {
            return false;
        }
        var state = process.State;
        var running = state is ProcessState.Running or ProcessState.Starting;
        return action switch
        {
            ResourceActions.Stop => running && resource.MayStop,
            ResourceActions.Start => state is ProcessState.Stopped or ProcessState.Exited,
            ResourceActions.Restart => running || state is ProcessState.Stopped or ProcessState.Exited,
            _ => false,
        };
    }

    private static readonly string[] AllActions = [ResourceActions.Stop, ResourceActions.Start, ResourceActions.Restart];

    private ResourceSnapshot Snapshot(Resource resource)
    {
        var processes = resource.Processes.Select((p, index) => new ProcessSnapshot(p.Name, p.Pid, p.Exited.IsCompleted ? p.Exited.Result : null)
        {
            State = p.State.ToString(),
            Url = index < resource.Urls.Count && resource is ProjectResource ? resource.Urls[index] : null,
            StartedAt = p.StartedAt,
            Restarts = p.Restarts,
            Health = p.State == ProcessState.Running ? p.LastHealth?.Status ?? (resource is ProjectResource { HealthCheckPath: not null } ? null : "Healthy") : null,
            Actions = context.IsUp && !context.IsStopping && !_busy.ContainsKey(p.Name)
                ? [.. AllActions.Where(action => Allows(resource, p, action))]
                : [],
        }).ToList();
        return new ResourceSnapshot(resource.Name, StateOf(resource, processes), resource.Urls, processes)
        {
            Type = TypeOf(resource),
            Health = processes.Select(p => p.Health).Where(h => h is not null).OrderBy(HealthRank).LastOrDefault(),
            References = resource is ProjectResource project ? [.. project.References.Select(r => r.Name)] : [],
            WaitsFor = [.. resource.WaitsFor.Select(r => r.Name)],
            Actions = [.. AllActions.Where(action => processes.Any(p => p.Actions.Contains(action)))],
        };
    }

    /// <summary>
    /// Once started, a resource is as its processes are: Exited when one ended unasked, Stopping or Starting while one
    /// does, Stopped when all are, Degraded when some are, else Healthy.
    /// </summary>
    private static string StateOf(Resource resource, IReadOnlyList<ProcessSnapshot> processes)
    {
        if (resource.State != ResourceState.Healthy || processes.Count == 0)
        {
            return resource.State.ToString();
        }
        var states = processes.Select(p => Enum.Parse<ProcessState>(p.State)).ToList();
        return states.Contains(ProcessState.Exited) ? "Exited"
            : states.Contains(ProcessState.Stopping) ? "Stopping"
            : states.Contains(ProcessState.Starting) ? "Starting"
            : states.All(s => s == ProcessState.Stopped) ? "Stopped"
            : states.Contains(ProcessState.Stopped) ? "Degraded"
            : "Healthy";
    }

    private static int HealthRank(string? health) => health switch
    {
        "Healthy" => 0,
        "Degraded" => 1,
        _ => 2,
    };

    private static string TypeOf(Resource resource) => resource switch
    {
        ProjectResource => "Project",
        RedisResource => "Redis",
        PostgresServerResource => "PostgreSQL",
        PostgresDatabaseResource => "Database",
        S3StorageResource => "S3",
        ParameterResource => "Parameter",
        _ => resource.GetType().Name.Replace("Resource", ""),
    };

    private (Resource Resource, IReadOnlyList<int> Indices) Find(string target)
    {
        if (resources.FirstOrDefault(r => r.Name == target) is { } resource)
        {
            return (resource, [.. Enumerable.Range(0, resource.Processes.Count)]);
        }
        foreach (var candidate in resources)
        {
            var processes = candidate.Processes;
            for (var i = 0; i < processes.Count; i++)
            {
                if (processes[i].Name == target)
                {
                    return (candidate, [i]);
                }
            }
        }
        throw new ResourceActionException(StatusCodes.Status404NotFound, "unknown_resource",
            $"There is no resource or replica named '{target}'.");
    }

    private ChildProcess? FindProcess(string name) => resources.SelectMany(r => r.Processes).FirstOrDefault(p => p.Name == name);

    private static ResourceActionException Refused(string code, string detail) =>
        new(StatusCodes.Status409Conflict, code, detail);

    private static string Past(string action) => action switch
    {
        ResourceActions.Stop => "stopped",
        ResourceActions.Start => "started",
        _ => "restarted",
    };
}
