using StackExchange.Redis;

namespace Q4.Hosting;

/// <summary>redis-server with an append-only file, a password, on a loopback port.</summary>
public sealed class RedisResource(string name) : Resource(name), IResourceWithConnectionString
{
    private int _port;
    private string _password = "";
    private ChildProcess? _process;

    public string ConnectionString => $"127.0.0.1:{_port},password={_password}";

    internal override int StopOrder => StopOrders.Store;

    internal override IReadOnlyList<ChildProcess> Processes => _process is null ? [] : [_process];

    internal override IReadOnlyList<string> Urls => [$"redis://127.0.0.1:{_port}"];

    internal override IEnumerable<Tool> RequiredTools => [Tools.RedisServer];

    internal override void Allocate(RunContext context)
    {
        _port = context.Ports.Allocate(Name);
        _password = context.State.Secret($"{Name}-password");
    }

    internal override async Task StartAsync(RunContext context, CancellationToken cancellationToken)
    {
        var dataDirectory = Path.Combine(context.State.DataDirectory, Name);
        Directory.CreateDirectory(dataDirectory);
        // A config file keeps the password off the command line, where `ps` would show it.
        var config = Path.Combine(dataDirectory, "redis.conf");
        await File.WriteAllLinesAsync(config,
        [
            $"port {_port}",
            "bind 127.0.0.1",
            $"dir {dataDirectory}",
            "appendonly yes",
            "appendfsync everysec",
            "save \"\"",
            $"requirepass {_password}",
            "daemonize no",
            "logfile \"\"",
        ], cancellationToken);
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        _process = new ChildProcess(Name, new ProcessSpec(context.Tools.PathOf(Tools.RedisServer), [config]), context);
        _process.Start();

        await context.WaitUntilHealthyAsync(Name, Processes, async _ =>
        {
            var options = ConfigurationOptions.Parse(ConnectionString);
            options.AbortOnConnectFail = true;
            options.ConnectTimeout = 1000;
            options.ConnectRetry = 0;
            await using var connection = await ConnectionMultiplexer.ConnectAsync(options);
            await connection.GetDatabase().PingAsync();
            return true;
        }, cancellationToken);
    }
}
