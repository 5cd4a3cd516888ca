namespace Q4.Hosting.Publishing;

/// <summary>
/// A resource as a deployment describes it rather than as this machine runs it: a container image or a project to
/// build, how it is reached, what it is told. Both publishers (the Aspire manifest, Kubernetes) write from these.
/// Values may hold expressions in the manifest's syntax (<see cref="Expressions"/>), resolved by the platform.
/// </summary>
public abstract record PublishedResource(string Name);

/// <summary>How a resource is reached: Aspire's binding (its scheme, its transport and the port it listens on inside).</summary>
/// <param name="External">Reachable from outside the deployment (an ingress); otherwise only from the other resources.</param>
public sealed record PublishedBinding(string Name, string Scheme, string Transport, int? TargetPort = null, bool External = false);

/// <summary>A named volume mounted at <paramref name="Target"/>: data that outlives the container.</summary>
public sealed record PublishedVolume(string Name, string Target);

/// <summary>A folder of this repository (<paramref name="Source"/>, absolute here; written relative) mounted read-only.</summary>
public sealed record PublishedBindMount(string Source, string Target);

/// <summary>Something that runs: what it is told and how it is reached.</summary>
public abstract record PublishedWorkload(string Name) : PublishedResource(Name)
{
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<PublishedBinding> Bindings { get; init; } = [];
}

/// <summary>A container run from a public image (a store, the identity provider).</summary>
public sealed record PublishedContainer(string Name, string Image) : PublishedWorkload(Name)
{
    /// <summary>What a reference to it hands over, as <c>ConnectionStrings__&lt;name&gt;</c>; null when nothing.</summary>
    public string? ConnectionString { get; init; }

    public string? Entrypoint { get; init; }

    public IReadOnlyList<string> Args { get; init; } = [];

    public IReadOnlyList<PublishedVolume> Volumes { get; init; } = [];

    public IReadOnlyList<PublishedBindMount> BindMounts { get; init; } = [];

    /// <summary>An HTTP path on <see cref="HealthBinding"/> that answers 200 once it serves, or null.</summary>
    public string? HealthCheckPath { get; init; }

    public string? HealthBinding { get; init; }

    /// <summary>The unprivileged user the image's program runs as (Kubernetes runs it as that user, never as root).</summary>
    public long User { get; init; } = 1000;
}

/// <summary>A project of this solution, built into an image (<c>dotnet publish -t:PublishContainer</c>).</summary>
/// <param name="ProjectPath">The .csproj, absolute here; written relative to what is published.</param>
public sealed record PublishedProject(string Name, string ProjectPath) : PublishedWorkload(Name)
{
    /// <summary>How many copies run at least (the AppHost's <c>WithReplicas</c>).</summary>
    public int Replicas { get; init; } = 1;

    /// <summary>How many copies an autoscaler may run (<c>PublishWithAutoscaling</c>); <see cref="Replicas"/> when fixed.</summary>
    public int MaxReplicas { get; init; } = 1;

    /// <summary>Its readiness path (the AppHost's <c>WithHttpHealthCheck</c>), or null.</summary>
    public string? HealthCheckPath { get; init; }

    /// <summary>Runs once per deployment and exits 0 (the migrations); the others wait for it.</summary>
    public bool RunsToCompletion { get; init; }

    /// <summary>The published resources this one starts after.</summary>
    public IReadOnlyList<string> WaitsFor { get; init; } = [];
}

/// <summary>A value the deployment supplies, generated when it is a secret nobody chose (a password).</summary>
public sealed record PublishedParameter(string Name, bool Secret, int MinLength = 22) : PublishedResource(Name);

/// <summary>A connection string made of others' (a database inside a server).</summary>
public sealed record PublishedValue(string Name, string ConnectionString) : PublishedResource(Name);
