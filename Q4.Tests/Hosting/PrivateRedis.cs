using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Q4.Tests.Hosting;

/// <summary>
/// A redis-server of a test's own (no persistence, loopback only), for a service process the test starts beside the
/// graph: the test may count what that process sends it, or take it away, without touching the graph.
/// </summary>
public sealed class PrivateRedis : IAsyncDisposable
{
    private readonly Process _process;

    private PrivateRedis(Process process, int port)
    {
        _process = process;
        ConnectionString = $"127.0.0.1:{port}";
    }

    /// <summary>StackExchange.Redis format, as <c>ConnectionStrings:redis</c> takes it.</summary>
    public string ConnectionString { get; }

    public static async Task<PrivateRedis> StartAsync(CancellationToken cancellationToken)
    {
        var port = Q4.Hosting.Ports.Free();
        var startInfo = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var argument in (string[])["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        {
            startInfo.ArgumentList.Add(argument);
        }
        var redis = new PrivateRedis(Process.Start(startInfo)!, port);
        redis._process.BeginOutputReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                await using var connection = await redis.ConnectAsync();
                await connection.GetDatabase().PingAsync();
                return redis;
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline && !redis._process.HasExited)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    public Task<ConnectionMultiplexer> ConnectAsync() => ConnectionMultiplexer.ConnectAsync(ConnectionString + ",allowAdmin=true");

    /// <summary>How many times this server has run <paramref name="command"/> (from <c>INFO commandstats</c>).</summary>
    public async Task<long> CallsOfAsync(string command)
    {
        await using var connection = await ConnectAsync();
        var stats = await connection.GetServers()[0].InfoAsync("commandstats");
        var calls = stats.SelectMany(group => group).FirstOrDefault(entry => entry.Key == $"cmdstat_{command}").Value;
        // "calls=12,usec=34,..."; a command never run has no line.
        return calls is null ? 0 : long.Parse(calls.Split(',')[0]["calls=".Length..]);
    }

    /// <summary>SIGKILL: the server is gone at once, as a crashed one would be.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }
        _process.Dispose();
    }
}
