using Q4.Hosting.Publishing;
using StackExchange.Redis;

namespace Q4.Hosting;

/// <summary>redis-server with an append-only file, a password, on a loopback port.</summary>
public sealed class RedisResource(string name) : StoreResource(name), IResourceWithConnectionString
{
    private string _password = "";

    /// <summary>When Redis forces its append-only file to disk; see <see cref="RedisBuilderExtensions.WithAppendFsync"/>.</summary>
    internal AppendFsync AppendFsync { get; set; } = AppendFsync.Always;

    public string ConnectionString => $"127.0.0.1:{Port},password={_password}";

    internal override IReadOnlyList<string> Urls => [$"redis://127.0.0.1:{Port}"];

    internal override IEnumerable<Tool> RequiredTools => [Tools.RedisServer];

    internal override void Allocate(RunContext context)
    {
        base.Allocate(context);
        _password = context.State.Secret($"{Name}-password");
    }

    /// <summary>Redis's image with the same durability as here: append-only file, fsync as <see cref="AppendFsync"/>, no snapshots.</summary>
    internal override IEnumerable<PublishedResource> Publish()
    {
        var password = $"{Name}-password";
        yield return new PublishedParameter(password, Secret: true);
        yield return new PublishedContainer(Name, "docker.io/library/redis:7.4")
        {
            ConnectionString = $"{Expressions.Binding(Name, "tcp", "host")}:{Expressions.Binding(Name, "tcp", "port")},password={Expressions.Value(password)}",
            // Through a shell, so the password comes from the environment rather than the container's arguments.
            Entrypoint = "/bin/sh",
            Args = ["-c", $"exec redis-server --requirepass \"$REDIS_PASSWORD\" --appendonly yes --appendfsync {(AppendFsync == AppendFsync.EverySec ? "everysec" : "always")} --save ''"],
            Environment = new Dictionary<string, string> { ["REDIS_PASSWORD"] = Expressions.Value(password) },
            Bindings = [new PublishedBinding("tcp", "tcp", "tcp", TargetPort: 6379)],
            User = 999,
            Volumes = [new PublishedVolume($"q4-{Name}-data", "/data")],
        };
    }

    internal override async Task StartAsync(RunContext context, CancellationToken cancellationToken)
    {
        var dataDirectory = DataDirectoryIn(context);
        if (AppendFsync == AppendFsync.EverySec)
        {
            context.Log.Info($"{Name}: appendfsync everysec: a crash may lose the last second or two of answered writes.");
        }
        // A config file keeps the password off the command line, where `ps` would show it.
        var config = Path.Combine(dataDirectory, "redis.conf");
        OwnerOnly.WriteAllText(config, string.Join('\n',
        [
            $"port {Port}",
            "bind 127.0.0.1",
            $"dir {dataDirectory}",
            "appendonly yes",
            // always (the default): a write is answered only once it is on disk, so a bid answered 201 survives a
            // crash of Redis or of the machine.
            $"appendfsync {(AppendFsync == AppendFsync.EverySec ? "everysec" : "always")}",
            "save \"\"",
            $"requirepass {_password}",
            "daemonize no",
            "logfile \"\"",
            // Redis would otherwise overwrite its command line and environment in memory with a title, and /proc
            // would no longer say how it was started (tests read them there to start it again).
            "set-proc-title no",
        ]) + "\n");

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

/// <summary>When Redis forces its append-only file to disk (its <c>appendfsync</c> setting).</summary>
public enum AppendFsync
{
    /// <summary>Before a write is answered: what was answered is on disk. The default.</summary>
    Always,

    /// <summary>
    /// Once a second, in the background: a crash may lose the last second or two of answered writes. Usually they
    /// are already with the operating system and only a crash of the machine loses them, but while a slow disk is
    /// still syncing, Redis holds new writes back for up to two seconds, and then a crash of Redis alone loses them.
    /// </summary>
    EverySec,
}

public static class RedisBuilderExtensions
{
    /// <summary>
    /// Chooses when Redis forces its append-only file to disk. <see cref="AppendFsync.Always"/> (the default) keeps
    /// every answered bid; <see cref="AppendFsync.EverySec"/> is faster and may lose the last second or two of them.
    /// </summary>
    public static ResourceBuilder<RedisResource> WithAppendFsync(this ResourceBuilder<RedisResource> builder, AppendFsync appendFsync)
    {
        builder.Resource.AppendFsync = appendFsync;
        return builder;
    }
}
