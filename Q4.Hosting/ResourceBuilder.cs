using Q4.Hosting.Publishing;

namespace Q4.Hosting;

/// <summary>Declares a resource fluently, as Aspire's IResourceBuilder does.</summary>
public sealed class ResourceBuilder<T>(T resource, DistributedApplicationBuilder application) where T : Resource
{
    public T Resource { get; } = resource;

    public DistributedApplicationBuilder ApplicationBuilder { get; } = application;
}

public static class ResourceBuilderExtensions
{
    /// <summary>Start this resource only once <paramref name="dependency"/> is healthy.</summary>
    public static ResourceBuilder<T> WaitFor<T, TDependency>(this ResourceBuilder<T> builder, ResourceBuilder<TDependency> dependency)
        where T : Resource where TDependency : Resource
    {
        builder.Resource.WaitsFor.Add(dependency.Resource);
        return builder;
    }

    /// <summary>
    /// Start this resource only once <paramref name="dependency"/>, which runs once and ends (a migration), has ended
    /// with exit code 0; when it fails, the graph does not start, with its last output in the message.
    /// </summary>
    public static ResourceBuilder<T> WaitForCompletion<T>(this ResourceBuilder<T> builder, ResourceBuilder<ProjectResource> dependency)
        where T : Resource
    {
        dependency.Resource.RunsToCompletion = true;
        builder.Resource.WaitsFor.Add(dependency.Resource);
        return builder;
    }

    /// <summary>Hands the project the store's connection string as <c>ConnectionStrings__&lt;name&gt;</c>.</summary>
    public static ResourceBuilder<ProjectResource> WithReference<TStore>(this ResourceBuilder<ProjectResource> builder, ResourceBuilder<TStore> store)
        where TStore : Resource, IResourceWithConnectionString
    {
        builder.Resource.References.Add(store.Resource);
        return builder;
    }

    /// <summary>Lets the project find the other one by name through service discovery (<c>services__&lt;name&gt;__http__&lt;i&gt;</c>).</summary>
    public static ResourceBuilder<ProjectResource> WithReference(this ResourceBuilder<ProjectResource> builder, ResourceBuilder<ProjectResource> project)
    {
        builder.Resource.References.Add(project.Resource);
        return builder;
    }

    public static ResourceBuilder<ProjectResource> WithReplicas(this ResourceBuilder<ProjectResource> builder, int replicas)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        builder.Resource.Replicas = replicas;
        return builder;
    }

    /// <summary>
    /// A deployment runs at least the replicas of <c>WithReplicas</c> and lets an autoscaler add more, up to
    /// <paramref name="maxReplicas"/>, as load grows (a Kubernetes HorizontalPodAutoscaler on CPU); here nothing changes.
    /// </summary>
    public static ResourceBuilder<ProjectResource> PublishWithAutoscaling(this ResourceBuilder<ProjectResource> builder, int maxReplicas)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxReplicas, builder.Resource.Replicas);
        builder.Resource.MaxReplicas = maxReplicas;
        return builder;
    }

    /// <summary>Serve on a fixed port (needed where a URL is registered elsewhere, such as OIDC redirects).</summary>
    public static ResourceBuilder<ProjectResource> WithHttpEndpoint(this ResourceBuilder<ProjectResource> builder, int port)
    {
        builder.Resource.FixedPort = port;
        return builder;
    }

    /// <summary>The resource is healthy when GET <paramref name="path"/> answers 2xx on every replica.</summary>
    public static ResourceBuilder<ProjectResource> WithHttpHealthCheck(this ResourceBuilder<ProjectResource> builder, string path)
    {
        builder.Resource.HealthCheckPath = path;
        return builder;
    }

    /// <summary>
    /// Gives the project a folder of its own that outlives a run, <c>.q4/data/&lt;name&gt;</c> (created), in the
    /// environment variable <paramref name="environmentVariable"/> (for example <c>DevIdentity__DataDirectory</c>).
    /// </summary>
    public static ResourceBuilder<ProjectResource> WithDataDirectory(this ResourceBuilder<ProjectResource> builder, string environmentVariable)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(environmentVariable);
        builder.Resource.DataDirectoryVariables.Add(environmentVariable);
        return builder;
    }

    public static ResourceBuilder<ProjectResource> WithEnvironment(this ResourceBuilder<ProjectResource> builder, string name, string value)
    {
        builder.Resource.Environment[name] = value;
        return builder;
    }

    /// <summary>
    /// Hands the project another project's address, known only once ports are allocated (random in tests), as
    /// Aspire's <c>WithEnvironment(name, endpoint)</c> does.
    /// </summary>
    public static ResourceBuilder<ProjectResource> WithEnvironment(this ResourceBuilder<ProjectResource> builder, string name, EndpointReference endpoint)
    {
        builder.Resource.EndpointVariables[name] = endpoint;
        return builder;
    }

    /// <summary>Hands the project a parameter's value (published: the deployment's; here: <see cref="ParameterResource"/>'s).</summary>
    public static ResourceBuilder<ProjectResource> WithEnvironment(this ResourceBuilder<ProjectResource> builder, string name, ResourceBuilder<ParameterResource> parameter)
    {
        builder.Resource.ParameterVariables[name] = parameter.Resource;
        return builder;
    }

    /// <summary>A published graph makes the project's HTTP binding reachable from outside (an ingress).</summary>
    public static ResourceBuilder<ProjectResource> WithExternalHttpEndpoints(this ResourceBuilder<ProjectResource> builder)
    {
        builder.Resource.ExternalHttpEndpoints = true;
        return builder;
    }

    /// <summary>The project's HTTP address (its first replica's), for <see cref="WithEnvironment(ResourceBuilder{ProjectResource}, string, EndpointReference)"/>.</summary>
    public static EndpointReference GetEndpoint(this ResourceBuilder<ProjectResource> builder) => new(builder.Resource);
}

/// <summary>A project's HTTP address, read when the processes that need it start (after ports are allocated).</summary>
public sealed class EndpointReference(ProjectResource project)
{
    public string Url => project.Urls.Count > 0
        ? project.Urls[0]
        : throw new InvalidOperationException($"{project.Name} has no address yet: ports are allocated before any process starts.");

    /// <summary>The address in a published graph, where the platform fills it in.</summary>
    internal string Expression => Expressions.Binding(project.PublishedName, "http", "url");
}
