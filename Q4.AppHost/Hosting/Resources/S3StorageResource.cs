namespace Q4.Hosting;

/// <summary>S3-compatible object storage served by s3rver (npm) on a loopback port.</summary>
public sealed class S3StorageResource(string name) : Resource(name), IResourceWithConnectionString
{
    // s3rver accepts exactly this key pair.
    private const string AccessKey = "S3RVER";
    private const string SecretKey = "S3RVER";

    private int _port;
    private ChildProcess? _process;

    private string Endpoint => $"http://127.0.0.1:{_port}";

    /// <summary>The format of Aspire's MinIO integration.</summary>
    public string ConnectionString => $"Endpoint={Endpoint};AccessKey={AccessKey};SecretKey={SecretKey}";

    internal override int StopOrder => StopOrders.Store;

    internal override IReadOnlyList<ChildProcess> Processes => _process is null ? [] : [_process];

    internal override IReadOnlyList<string> Urls => [Endpoint];

    internal override IEnumerable<Tool> RequiredTools => [Tools.Node, Tools.S3rver];

    internal override void Allocate(RunContext context) => _port = context.Ports.Allocate(Name);

    internal override async Task StartAsync(RunContext context, CancellationToken cancellationToken)
    {
        var dataDirectory = Path.Combine(context.State.DataDirectory, Name);
        Directory.CreateDirectory(dataDirectory);
        _process = new ChildProcess(Name, new ProcessSpec(context.Tools.PathOf(Tools.Node),
            [context.Tools.S3rverScript, "--directory", dataDirectory, "--address", "127.0.0.1", "--port", _port.ToString()]),
            context);
        _process.Start();

        // Any HTTP answer (an anonymous request is refused) means the server is up.
        await context.WaitUntilHealthyAsync(Name, Processes, async ct =>
        {
            using var response = await context.Http.GetAsync(Endpoint, ct);
            return true;
        }, cancellationToken);
    }
}
