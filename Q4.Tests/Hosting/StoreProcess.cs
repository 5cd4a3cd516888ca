using System.Diagnostics;
using System.Text;
using Npgsql;
using Q4.Hosting;
using Q4.Tests.Sync;
using StackExchange.Redis;

namespace Q4.Tests.Hosting;

/// <summary>
/// One store process of a running graph (<c>redis</c>, <c>postgres</c> or <c>storage</c>), stopped by a test with a
/// signal of its choice and started again as it was: same program, arguments, environment, working folder and user,
/// so the same data folder and port. The AppHost only reports that its child died; the store started again is a
/// child of the test process, and disposing this stops it (so use it in a graph of the test's own).
/// <code>
/// await using var postgres = await app.StopStoreAsync("postgres", Signals.SIGINT);
/// // ... the graph without PostgreSQL ...
/// await postgres.StartAsync();
/// </code>
/// </summary>
public sealed class StoreProcess : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(1);

    private readonly AppHostProcess _app;
    private readonly Queue<string> _recentOutput = new();
    private Launch? _launch;
    private Process? _process;

    private StoreProcess(AppHostProcess app, string resource)
    {
        if (resource is not ("redis" or "postgres" or "storage"))
        {
            throw new ArgumentException($"'{resource}' is not a store of the graph: redis, postgres or storage.", nameof(resource));
        }
        _app = app;
        Resource = resource;
        Pid = app.GetPids(resource).Single();
    }

    public string Resource { get; }

    /// <summary>The store's process: the AppHost's until the first stop, then the one this started last.</summary>
    public int Pid { get; private set; }

    public bool IsRunning => Signals.IsAlive(Pid);

    /// <summary>What the store started again has written lately, for messages about why it failed.</summary>
    public string RecentOutput
    {
        get
        {
            lock (_recentOutput)
            {
                return string.Join(Environment.NewLine, _recentOutput);
            }
        }
    }

    internal static async Task<StoreProcess> StopAsync(AppHostProcess app, string resource, int signal)
    {
        var store = new StoreProcess(app, resource);
        await store.StopAsync(signal);
        return store;
    }

    /// <summary>
    /// Sends <paramref name="signal"/> (SIGKILL: a crash; SIGINT: PostgreSQL's fast shutdown) and returns once the
    /// process and every child it had (PostgreSQL's backends) are gone, so the data folder is free to start again.
    /// </summary>
    public async Task StopAsync(int signal)
    {
        Assert.True(IsRunning, $"{Resource} (pid {Pid}) is not running");
        // Read before it is gone: /proc has no record of a dead process.
        _launch = Launch.Of(Pid);
        var family = ProcFs.ChildrenOf(Pid).Append(Pid).ToList();
        Assert.True(Signals.Send(Pid, signal), $"{Resource} (pid {Pid}) was gone before the signal");
        var deadline = DateTime.UtcNow + StopTimeout;
        while (family.Any(Signals.IsAlive))
        {
            Assert.True(DateTime.UtcNow < deadline,
                $"{Resource} did not end within {StopTimeout} of signal {signal}: pids {string.Join(", ", family.Where(Signals.IsAlive))} live on");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        if (_process is not null)
        {
            await _process.WaitForExitAsync(TestContext.Current.CancellationToken);
            _process.Dispose();
            _process = null;
        }
    }

    /// <summary>Starts the stopped store again and returns once it answers its clients (PostgreSQL after recovery, Redis after loading).</summary>
    public async Task StartAsync()
    {
        var launch = _launch ?? throw new InvalidOperationException($"{Resource} was not stopped by this helper.");
        Assert.False(IsRunning, $"{Resource} (pid {Pid}) is still running");
        lock (_recentOutput)
        {
            _recentOutput.Clear();
        }
        _process = await StartOnOwnThreadAsync(launch.StartInfo());
        Pid = _process.Id;
        _process.OutputDataReceived += (_, e) => Remember(e.Data);
        _process.ErrorDataReceived += (_, e) => Remember(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + StartTimeout;
        string lastProblem = "";
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Resource} exited with code {_process.ExitCode} when started again:\n{RecentOutput}");
            }
            try
            {
                await AnswerAsync();
                return;
            }
            catch (Exception e) when (e is RedisException or NpgsqlException or HttpRequestException or TimeoutException)
            {
                lastProblem = e.Message;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Resource} did not answer within {StartTimeout} of starting again ({lastProblem}):\n{RecentOutput}");
            }
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is null)
        {
            return;
        }
        if (!_process.HasExited)
        {
            // A clean stop for every store; PostgreSQL's SIGTERM would wait for the graph's services to disconnect.
            Signals.Send(_process.Id, Signals.SIGINT);
            try
            {
                await _process.WaitForExitAsync().WaitAsync(StopTimeout);
            }
            catch (TimeoutException)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }
        _process.Dispose();
        _process = null;
    }

    /// <summary>
    /// A parent-death signal (set by setpriv) stops the store should the test process die before disposing this.
    /// The kernel sends it when the thread that started the child ends, not the process, so the store is started
    /// from a thread of its own that waits for it to exit: a pooled thread may retire at any time.
    /// </summary>
    private static async Task<Process> StartOnOwnThreadAsync(ProcessStartInfo startInfo)
    {
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            var process = new Process { StartInfo = startInfo };
            try
            {
                process.Start();
            }
            catch (Exception e)
            {
                started.SetException(e);
                return;
            }
            started.SetResult(process);
            process.WaitForExit();
        })
        { IsBackground = true, Name = "store process" };
        thread.Start();
        return await started.Task;
    }

    private async Task AnswerAsync()
    {
        switch (Resource)
        {
            case "redis":
                var options = ConfigurationOptions.Parse(_app.GetConnectionString("redis"));
                options.AbortOnConnectFail = true;
                options.ConnectTimeout = 1000;
                options.ConnectRetry = 0;
                await using (var connection = await ConnectionMultiplexer.ConnectAsync(options))
                {
                    // Refused with LOADING until the append-only file is read back.
                    await connection.GetDatabase().PingAsync();
                }
                break;
            case "postgres":
                await using (var connection = new NpgsqlConnection(_app.GetConnectionString("postgres") + ";Pooling=false;Timeout=2"))
                {
                    await connection.OpenAsync(TestContext.Current.CancellationToken);
                    await using var command = new NpgsqlCommand("SELECT 1", connection);
                    await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
                }
                break;
            default:
                // Any HTTP answer (an anonymous request is refused) means the server is up.
                using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) })
                {
                    using var response = await http.GetAsync(_app.GetUrls(Resource)[0], TestContext.Current.CancellationToken);
                }
                break;
        }
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_recentOutput)
        {
            _recentOutput.Enqueue(line);
            if (_recentOutput.Count > 30)
            {
                _recentOutput.Dequeue();
            }
        }
    }

    /// <summary>How a running process was started, as /proc tells it.</summary>
    private sealed record Launch(
        IReadOnlyList<string> CommandLine, IReadOnlyList<KeyValuePair<string, string>> Variables, string WorkingDirectory,
        int Uid, int Gid)
    {
        public static Launch Of(int pid) => new(
            NulSeparated($"/proc/{pid}/cmdline"),
            NulSeparated($"/proc/{pid}/environ")
                .Select(entry => entry.Split('=', 2))
                .Select(pair => KeyValuePair.Create(pair[0], pair.Length > 1 ? pair[1] : ""))
                .ToList(),
            new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget ?? throw new InvalidOperationException($"pid {pid} has no working folder"),
            IdOf(pid, "Uid:"),
            IdOf(pid, "Gid:"));

        /// <summary>
        /// The same command, run as the same user (setpriv switches user without a process of its own in between),
        /// with the parent-death signal set after the switch, which would clear it.
        /// </summary>
        public ProcessStartInfo StartInfo()
        {
            var startInfo = new ProcessStartInfo("setpriv")
            {
                WorkingDirectory = WorkingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            if (Uid != IdOf(Environment.ProcessId, "Uid:") || Gid != IdOf(Environment.ProcessId, "Gid:"))
            {
                foreach (var argument in (string[])["--reuid", Uid.ToString(), "--regid", Gid.ToString(), "--init-groups"])
                {
                    startInfo.ArgumentList.Add(argument);
                }
            }
            startInfo.ArgumentList.Add("--pdeathsig");
            startInfo.ArgumentList.Add("INT");
            foreach (var argument in CommandLine)
            {
                startInfo.ArgumentList.Add(argument);
            }
            startInfo.Environment.Clear();
            foreach (var (key, value) in Variables)
            {
                startInfo.Environment[key] = value;
            }
            return startInfo;
        }

        private static List<string> NulSeparated(string path) =>
            Encoding.UTF8.GetString(File.ReadAllBytes(path)).Split('\0', StringSplitOptions.RemoveEmptyEntries).ToList();

        /// <summary>The real user or group id from /proc/pid/status ("Uid:  real effective saved filesystem").</summary>
        private static int IdOf(int pid, string field) =>
            int.Parse(File.ReadLines($"/proc/{pid}/status").Single(line => line.StartsWith(field, StringComparison.Ordinal))
                .Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);
    }
}

public static class StoreProcessExtensions
{
    /// <summary>Stops one store of the graph by <paramref name="signal"/>; start it again with <see cref="StoreProcess.StartAsync"/>.</summary>
    public static Task<StoreProcess> StopStoreAsync(this AppHostProcess app, string resource, int signal) =>
        StoreProcess.StopAsync(app, resource, signal);

    /// <summary>Stops one store of the graph by <paramref name="signal"/>, leaves it down for <paramref name="downtime"/>, starts it again.</summary>
    public static async Task<StoreProcess> RestartStoreAsync(this AppHostProcess app, string resource, int signal, TimeSpan downtime)
    {
        var store = await app.StopStoreAsync(resource, signal);
        try
        {
            await Task.Delay(downtime, TestContext.Current.CancellationToken);
            await store.StartAsync();
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }
}
