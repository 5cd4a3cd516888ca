using System.Text.Json;
using Q4.Dashboard.Otlp;
using Q4.Dashboard.Resources;
using Q4.Hosting.Publishing;

namespace Q4.Hosting;

/// <summary>A .NET project of this solution, run from its built assembly as one or more replicas.</summary>
public sealed class ProjectResource(string name, IProjectMetadata project) : Resource(name)
{
    /// <summary>Carries <see cref="RunContext.HealthKey"/>, as Q4.ServiceDefaults expects it.</summary>
    private const string HealthKeyHeader = "Q4-Health-Key";

    private readonly List<int> _ports = [];
    /// <summary>Replaced whole, never changed in place, so readers enumerate it while a replica is started again.</summary>
    private ChildProcess[] _replicas = [];

    public IProjectMetadata Project { get; } = project;

    internal int Replicas { get; set; } = 1;

    /// <summary>How many replicas a deployment's autoscaler may add up to; null: exactly <see cref="Replicas"/>.</summary>
    internal int? MaxReplicas { get; set; }

    internal int? FixedPort { get; set; }

    internal string? HealthCheckPath { get; set; }

    /// <summary>Stores and projects this one reaches, handed over as Aspire's environment variables.</summary>
    internal List<Resource> References { get; } = [];

    internal Dictionary<string, string> Environment { get; } = [];

    /// <summary>Variables whose value is another project's address.</summary>
    internal Dictionary<string, EndpointReference> EndpointVariables { get; } = [];

    /// <summary>Variables whose value is a parameter's.</summary>
    internal Dictionary<string, ParameterResource> ParameterVariables { get; } = [];

    /// <summary>Environment variables that receive the project's own folder under <c>.q4/data/</c>.</summary>
    internal List<string> DataDirectoryVariables { get; } = [];

    /// <summary>Reachable from outside a deployment (<c>WithExternalHttpEndpoints</c>); here every port is loopback anyway.</summary>
    internal bool ExternalHttpEndpoints { get; set; }

    /// <summary>What a published graph runs instead of this project (<c>PublishAsKeycloak</c>), or null.</summary>
    internal Resource? PublishedAs { get; set; }

    internal override string PublishedName => PublishedAs?.Name ?? Name;

    internal override int StopOrder => StopOrders.Service;

    internal override IReadOnlyList<ChildProcess> Processes => _replicas;

    internal override IReadOnlyList<string> Urls => _ports.Select(port => $"http://localhost:{port}").ToList();

    internal override IEnumerable<Tool> RequiredTools => [];

    internal override bool CanStartAgain => !RunsToCompletion;

    /// <summary>The replica's process again, on its own port with its own environment, so its address stays valid for all.</summary>
    internal override async Task StartAgainAsync(int index, RunContext context, CancellationToken cancellationToken)
    {
        var replicas = _replicas.ToArray();
        var process = replicas[index].Again();
        replicas[index] = process;
        _replicas = replicas;
        process.Start();
        await WaitUntilHealthyAsync(context, index, process, cancellationToken);
    }

    /// <summary>What the replica's health endpoint answers now (its checks with their reasons), or null without one.</summary>
    internal async Task<HealthReport?> CheckHealthAsync(RunContext context, int replica, CancellationToken cancellationToken)
    {
        if (HealthCheckPath is null)
        {
            return null;
        }
        using var response = await SendHealthRequestAsync(context, replica, cancellationToken);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var checks = json.RootElement.TryGetProperty("checks", out var entries) && entries.ValueKind == JsonValueKind.Object
            ? entries.EnumerateObject().Select(check => new HealthCheckEntry(
                check.Name,
                check.Value.TryGetProperty("status", out var status) ? status.GetString() ?? "" : "",
                check.Value.TryGetProperty("description", out var description) && description.ValueKind == JsonValueKind.String ? description.GetString() : null)).ToList()
            : [];
        var overall = json.RootElement.TryGetProperty("status", out var value) ? value.GetString() ?? "" : $"HTTP {(int)response.StatusCode}";
        return new HealthReport(overall, checks, DateTimeOffset.Now);
    }

    private async Task<HttpResponseMessage> SendHealthRequestAsync(RunContext context, int replica, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Urls[replica] + HealthCheckPath);
        request.Headers.Add(HealthKeyHeader, context.HealthKey);
        return await context.Http.SendAsync(request, cancellationToken);
    }

    private Task WaitUntilHealthyAsync(RunContext context, int replica, ChildProcess process, CancellationToken cancellationToken) =>
        HealthCheckPath is null
            ? Task.CompletedTask
            : context.WaitUntilHealthyAsync(process.Name, [process], async ct =>
            {
                using var response = await SendHealthRequestAsync(context, replica, ct);
                return response.IsSuccessStatusCode;
            }, cancellationToken);

    internal override void Allocate(RunContext context)
    {
        if (FixedPort is not null && Replicas > 1)
        {
            throw new AppHostException($"{Name}: a fixed port cannot serve {Replicas} replicas.");
        }
        for (var replica = 0; replica < Replicas; replica++)
        {
            _ports.Add(context.Ports.Allocate(Name, FixedPort));
        }
    }

    internal override async Task StartAsync(RunContext context, CancellationToken cancellationToken)
    {
        if (!File.Exists(Project.AssemblyPath))
        {
            throw new AppHostException($"{Name}: {Project.AssemblyPath} does not exist. Build the solution first (`dotnet build`).");
        }
        for (var replica = 0; replica < Replicas; replica++)
        {
            var instance = Replicas == 1 ? Name : $"{Name}-{replica}";
            var spec = new ProcessSpec("dotnet", [Project.AssemblyPath])
            {
                // As `dotnet run` does: appsettings.json and wwwroot are found from the project folder.
                WorkingDirectory = Path.GetDirectoryName(Project.ProjectPath),
                Environment = EnvironmentFor(context, instance, Urls[replica]),
            };
            var process = new ChildProcess(instance, spec, context);
            _replicas = [.. _replicas, process];
            if (!RunsToCompletion)
            {
                process.Start();
            }
        }

        if (RunsToCompletion)
        {
            var codes = await Task.WhenAll(_replicas.Select(p => p.RunToEndAsync(cancellationToken)));
            if (_replicas.Zip(codes).FirstOrDefault(run => run.Second != 0) is ({ } failed, var code))
            {
                throw new AppHostException(
                    $"{failed.Name} exited with code {code}. Its last output (all of it in {failed.LogPath}):{System.Environment.NewLine}{failed.RecentOutput()}");
            }
            return;
        }

        await Task.WhenAll(_replicas.Select((process, replica) => WaitUntilHealthyAsync(context, replica, process, cancellationToken)));
    }

    /// <summary>
    /// The project to build, with the environment contract of a local run, its values as expressions: connection
    /// strings, other projects' addresses (<c>services__*</c>), its own settings. Telemetry's variables are the platform's.
    /// </summary>
    internal override IEnumerable<PublishedResource> Publish()
    {
        if (PublishedAs is not null)
        {
            return PublishedAs.Publish();
        }
        if (DataDirectoryVariables.Count > 0)
        {
            throw new AppHostException($"{Name} keeps a data directory ({string.Join(", ", DataDirectoryVariables)}), which a published graph has no place for.");
        }

        var environment = new Dictionary<string, string> { ["OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY"] = "in_memory" };
        if (!RunsToCompletion)
        {
            // It serves HTTP on the port the platform gives it, behind a proxy that ends TLS.
            environment["ASPNETCORE_FORWARDEDHEADERS_ENABLED"] = "true";
            environment["HTTP_PORTS"] = Expressions.Binding(Name, "http", "targetPort");
        }
        foreach (var reference in References)
        {
            switch (reference)
            {
                case IResourceWithConnectionString store:
                    environment[$"ConnectionStrings__{store.Name}"] = Expressions.ConnectionString(reference.PublishedName);
                    break;
                case ProjectResource project:
                    environment[$"services__{project.Name}__http__0"] = Expressions.Binding(project.PublishedName, "http", "url");
                    break;
            }
        }
        foreach (var (key, value) in Environment)
        {
            environment[key] = value;
        }
        foreach (var (key, endpoint) in EndpointVariables)
        {
            environment[key] = endpoint.Expression;
        }
        foreach (var (key, parameter) in ParameterVariables)
        {
            environment[key] = Expressions.Value(parameter.Name);
        }
        return
        [
            new PublishedProject(Name, Project.ProjectPath)
            {
                Environment = environment,
                Bindings = RunsToCompletion ? [] : [new PublishedBinding("http", "http", "http", External: ExternalHttpEndpoints)],
                Replicas = Replicas,
                MaxReplicas = MaxReplicas ?? Replicas,
                HealthCheckPath = HealthCheckPath,
                RunsToCompletion = RunsToCompletion,
                WaitsFor = WaitsFor.Select(r => r.PublishedName).Distinct().ToList(),
            },
        ];
    }

    /// <summary>The variables Aspire's AppHost gives a project, so a service cannot tell who started it.</summary>
    private Dictionary<string, string> EnvironmentFor(RunContext context, string instance, string url)
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = url,
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["OTEL_SERVICE_NAME"] = Name,
            ["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={instance}",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "1000",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "1000",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
            ["Hosting__ParentProcessId"] = System.Environment.ProcessId.ToString(),
            ["Health__DetailsKey"] = context.HealthKey,
        };
        if (!context.Options.ExportTelemetry)
        {
            // No exporter: the services keep their spans, logs and metrics to themselves.
        }
        else if (context.Options.OtlpEndpoint is { } otlp)
        {
            environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp;
        }
        else
        {
            // The AppHost's own dashboard, as Aspire's AppHost points every project at its dashboard.
            environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = context.OtlpGrpcUrl;
            environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc";
            environment["OTEL_EXPORTER_OTLP_HEADERS"] = $"{OtlpApi.ApiKeyHeader}={context.OtlpApiKey}";
        }
        foreach (var reference in References)
        {
            switch (reference)
            {
                case IResourceWithConnectionString store:
                    environment[$"ConnectionStrings__{store.Name}"] = store.ConnectionString;
                    break;
                case ProjectResource project:
                    for (var i = 0; i < project.Urls.Count; i++)
                    {
                        environment[$"services__{project.Name}__http__{i}"] = project.Urls[i];
                    }
                    break;
            }
        }
        foreach (var variable in DataDirectoryVariables)
        {
            // Kept between runs like the stores' data; every replica gets the same folder.
            environment[variable] = OwnerOnly.CreateDirectory(Path.Combine(context.State.DataDirectory, Name)).FullName;
        }
        foreach (var (key, endpoint) in EndpointVariables)
        {
            environment[key] = endpoint.Url;
        }
        foreach (var (key, parameter) in ParameterVariables)
        {
            environment[key] = parameter.Value;
        }
        // The resource's own, then those a run gives the resource, then those it gives this replica alone.
        var given = context.Options.Environment;
        foreach (var (key, value) in Environment.Concat(given.GetValueOrDefault(Name) ?? []).Concat(instance != Name ? given.GetValueOrDefault(instance) ?? [] : []))
        {
            environment[key] = value;
        }
        return environment;
    }
}
