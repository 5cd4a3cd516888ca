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
