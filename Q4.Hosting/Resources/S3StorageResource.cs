using Q4.Hosting.Publishing;

namespace Q4.Hosting;

/// <summary>S3-compatible object storage served by s3rver (npm) on a loopback port.</summary>
public sealed class S3StorageResource(string name) : StoreResource(name), IResourceWithConnectionString
{
    // s3rver accepts exactly this key pair.
    private const string AccessKey = "S3RVER";
    private const string SecretKey = "S3RVER";

    private string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>The format of Aspire's MinIO integration.</summary>
    public string ConnectionString => $"Endpoint={Endpoint};AccessKey={AccessKey};SecretKey={SecretKey}";

    internal override IReadOnlyList<string> Urls => [Endpoint];

    internal override IEnumerable<Tool> RequiredTools => [Tools.Node, Tools.S3rver];

    /// <summary>MinIO: S3 with the same connection string format, its root user the access key.</summary>
    internal override IEnumerable<PublishedResource> Publish()
    {
        var password = $"{Name}-password";
        yield return new PublishedParameter(password, Secret: true);
        yield return new PublishedContainer(Name, "quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z")
        {
            ConnectionString = $"Endpoint={Expressions.Binding(Name, "http", "url")};AccessKey=q4;SecretKey={Expressions.Value(password)}",
            Args = ["server", "/data"],
            Environment = new Dictionary<string, string>
            {
                ["MINIO_ROOT_USER"] = "q4",
                ["MINIO_ROOT_PASSWORD"] = Expressions.Value(password),
            },
            Bindings = [new PublishedBinding("http", "http", "http", TargetPort: 9000)],
            User = 1000,
            Volumes = [new PublishedVolume($"q4-{Name}-data", "/data")],
            HealthCheckPath = "/minio/health/live",
            HealthBinding = "http",
        };
    }

    internal override async Task StartAsync(RunContext context, CancellationToken cancellationToken)
    {
        var dataDirectory = DataDirectoryIn(context);
        // Silent: the services' health checks list the buckets every couple of seconds, and a log line for each
        // request would drown everything else; the services log the S3 errors they meet themselves.
        StartServer(context, new ProcessSpec(context.Tools.PathOf(Tools.Node),
            [context.Tools.S3rverScript, "--directory", dataDirectory, "--address", "127.0.0.1", "--port", Port.ToString(), "--silent"]));

        // Any HTTP answer (an anonymous request is refused) means the server is up.
        await context.WaitUntilHealthyAsync(Name, Processes, async ct =>
        {
            using var response = await context.Http.GetAsync(Endpoint, ct);
            return true;
        }, cancellationToken);
    }
}
