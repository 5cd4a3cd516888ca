using StackExchange.Redis;

namespace Q4.Hosting;

/// <summary>redis-server with an append-only file, a password, on a loopback port.</summary>
public sealed class RedisResource(string name) : StoreResource(name), IResourceWithConnectionString
{
    private string _password = "";

    public string ConnectionString => $"127.0.0.1:{Port},password={_password}";

    internal override IReadOnlyList<string> Urls => [$"redis://127.0.0.1:{Port}"];

    internal override IEnumerable<Tool> RequiredTools => [Tools.RedisServer];

    internal override void Allocate(RunContext context)
    {
        base.Allocate(context);
        _password = context.State.Secret($"{Name}-password");
    }

    internal override async Task StartAsync(RunContext context, CancellationToken cancellationToken)
    {
        var dataDirectory = DataDirectoryIn(context);
        // A config file keeps the password off the command line, where `ps` would show it.
        var config = Path.Combine(dataDirectory, "redis.conf");
        await File.WriteAllLinesAsync(config,
        [
            $"port {Port}",
            "bind 127.0.0.1",
            $"dir {dataDirectory}",
            "appendonly yes",
            "appendfsync everysec",
            "save \"\"",
            $"requirepass {_password}",
            "daemonize no",
            "logfile \"\"",
            // Redis would otherwise overwrite its command line and environment in memory with a title, and /proc
            // would no longer say how it was started (tests read them there to start it again).
            "set-proc-title no",
        ], cancellationToken);
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        StartServer(context, new ProcessSpec(context.Tools.PathOf(Tools.RedisServer), [config]));

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
