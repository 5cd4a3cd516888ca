namespace Q4.Hosting;

/// <summary>How the AppHost runs the graph; section "AppHost", or the command-line switches in <see cref="Switches"/>.</summary>
public sealed class AppHostOptions
{
    public const string Section = "AppHost";

    public static readonly Dictionary<string, string> Switches = new()
    {
        ["--state-dir"] = $"{Section}:{nameof(StateDirectory)}",
        ["--random-ports"] = $"{Section}:{nameof(RandomPorts)}",
        ["--parent-pid"] = $"{Section}:{nameof(ParentProcessId)}",
        ["--quiet"] = $"{Section}:{nameof(Quiet)}",
        ["--otlp-endpoint"] = $"{Section}:{nameof(OtlpEndpoint)}",
        ["--publisher"] = $"{Section}:{nameof(Publisher)}",
        ["--output-path"] = $"{Section}:{nameof(OutputPath)}",
        ["--container-registry"] = $"{Section}:{nameof(ContainerRegistry)}",
    };

    /// <summary>
    /// Write a description of the graph for a deployment tool and exit, starting nothing: <c>manifest</c> (Aspire's
    /// manifest, which azd reads) or <c>kubernetes</c> (a Kustomize base and overlays).
    /// </summary>
    public string? Publisher { get; set; }

    /// <summary>Where the publisher writes: the manifest's file, or the Kubernetes folder.</summary>
    public string? OutputPath { get; set; }

    /// <summary>The registry the projects' images are pushed to, in the Kubernetes manifests' image names.</summary>
    public string? ContainerRegistry { get; set; }

    /// <summary>Data, logs, secrets and pids of this run. Default: <c>&lt;repository&gt;/.q4</c>.</summary>
    public string? StateDirectory { get; set; }

    /// <summary>Tools the AppHost installs itself (s3rver). Default: <c>&lt;repository&gt;/.q4/tools</c>, shared by all runs.</summary>
    public string? ToolsDirectory { get; set; }

    /// <summary>Ignore the fixed ports (dashboard, frontend, identity) so that several graphs can run at once.</summary>
    public bool RandomPorts { get; set; }

    public int DashboardPort { get; set; } = 18888;

    /// <summary>Open the dashboard to anyone who reaches its port, with no browser token (a warning says so).</summary>
    public bool DashboardUnsecured { get; set; }

    /// <summary>Where the dashboard receives OTLP over gRPC (the services send there), as Aspire's dashboard does by default.</summary>
    public int OtlpGrpcPort { get; set; } = 18889;

    /// <summary>Where the dashboard receives OTLP over HTTP (protobuf), as Aspire's dashboard does by default.</summary>
    public int OtlpHttpPort { get; set; } = 18890;

    /// <summary>Stop the whole graph when this process ends (the test host that started us).</summary>
    public int? ParentProcessId { get; set; }

    /// <summary>Keep the resources' output in their log files only.</summary>
    public bool Quiet { get; set; }

    /// <summary>
    /// Keep the dashboard's telemetry across runs: every accepted export goes to <c>.q4/telemetry/telemetry.db</c> (SQLite)
    /// and the last <see cref="KeptTelemetryRuns"/> runs' are read back when the AppHost starts.
    /// </summary>
    public bool KeepTelemetry { get; set; }

    /// <summary>How many runs' telemetry <see cref="KeepTelemetry"/> keeps, this one included.</summary>
    public int KeptTelemetryRuns { get; set; } = 3;

    /// <summary>Why these options cannot run, or null when they can.</summary>
    public string? Problem() =>
        KeptTelemetryRuns is < 1 or > 100 ? $"{Section}:{nameof(KeptTelemetryRuns)} is from 1 to 100 (it is {KeptTelemetryRuns})." : null;

    /// <summary>
    /// Whether services export telemetry at all (default: yes, to the dashboard or <see cref="OtlpEndpoint"/>). Off, they
    /// get no <c>OTEL_EXPORTER_OTLP_*</c> variables: for measuring what exporting costs.
    /// </summary>
    public bool ExportTelemetry { get; set; } = true;

    /// <summary>Where services send OpenTelemetry data (OTLP) instead of the AppHost's dashboard (a collector elsewhere).</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>
    /// Extra environment variables by resource name (<c>AppHost:Environment:identity:DevIdentity__AccessTokenLifetime</c>)
    /// or replica name (<c>AppHost:Environment:apiservice-1:...</c>, after the resource's), set last: a test or a benchmark
    /// changes one resource's settings this way, as Aspire's testing builder lets it.
    /// </summary>
    public Dictionary<string, Dictionary<string, string>> Environment { get; set; } = [];

    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromMinutes(2);

    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(15);
}
