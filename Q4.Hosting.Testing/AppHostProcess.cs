using System.Diagnostics;
using System.Text;

namespace Q4.Hosting.Testing;

/// <summary>
/// The AppHost of a test (what Aspire.Hosting.Testing's <c>BuildAsync</c> gives) and, once started, the graph it
/// runs: clients, connection strings, pids, its console output.
/// </summary>
public sealed class AppHostProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    private readonly ProcessStartInfo _startInfo;
    private readonly StringBuilder _output = new();
    private readonly bool _deleteStateDirectory;
    private Process? _process;
    private EndpointsFile? _endpoints;

    internal AppHostProcess(ProcessStartInfo startInfo, string stateDirectory, bool deleteStateDirectory)
    {
        _startInfo = startInfo;
        _deleteStateDirectory = deleteStateDirectory;
        StateDirectory = stateDirectory;
        ResourceNotifications = new ResourceNotificationService(this);
    }

    public string StateDirectory { get; }

    /// <summary>The AppHost's process id, once launched (and still after it ended).</summary>
    public int Pid { get; private set; }

    /// <summary>Waits for resources to reach a state, as Aspire's service of the same name does.</summary>
    public ResourceNotificationService ResourceNotifications { get; }

    private Process Process => _process ?? throw new InvalidOperationException("The AppHost was not started.");

    /// <summary>Starts the AppHost and returns once every resource of its graph is healthy.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        Launch();
        await WaitUntilReadyAsync(StartTimeout, cancellationToken);
    }

    /// <summary>Starts the AppHost without waiting for its graph: for tests of how it fails.</summary>
    public void Launch()
    {
        if (_process is not null)
        {
            return;
        }
        var process = Process.Start(_startInfo)!;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Pid = process.Id;
        _process = process;
    }

    /// <summary>
    /// The folder of PostgreSQL's cluster when it cannot live in the state folder: as root, the postgres user may not
    /// enter a state folder that is its owner's alone.
    /// </summary>
    public string OutsideDataDirectory =>
        Path.GetDirectoryName(PostgresServerResource.OutsideDataDirectory(Path.Combine(StateDirectory, "data", "postgres")))!;

    public bool HasExited => Process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public EndpointsFile Endpoints => _endpoints ?? throw new InvalidOperationException("The graph is not ready.");

    public string GetConnectionString(string resource) =>
        Endpoints.Resources[resource].ConnectionString ?? throw new InvalidOperationException($"{resource} has no connection string.");

    /// <summary>Aspire's name for the same: the connection string a service gets for <paramref name="resource"/>, or null.</summary>
    public ValueTask<string?> GetConnectionStringAsync(string resource, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Endpoints.Resources.TryGetValue(resource, out var endpoints) ? endpoints.ConnectionString : null);

    public IReadOnlyList<string> GetUrls(string resource) => Endpoints.Resources[resource].Urls;

    public IReadOnlyList<int> GetPids(string resource) => Endpoints.Resources[resource].Pids;

    /// <summary>Every process of the graph but the AppHost itself.</summary>
    public IReadOnlyList<int> ChildPids => Endpoints.Resources.Where(r => r.Key != "apphost").SelectMany(r => r.Value.Pids).ToList();

    /// <summary>
    /// A client of a resource; of <c>apphost</c>, the dashboard, it carries the OTLP key (<c>x-otlp-api-key</c>), as
    /// every program that reads the dashboard must.
    /// </summary>
    public HttpClient CreateHttpClient(string resource, int replica = 0)
    {
        var client = new HttpClient { BaseAddress = new Uri(GetUrls(resource)[replica]), Timeout = TimeSpan.FromSeconds(30) };
        if (resource == "apphost")
        {
            client.DefaultRequestHeaders.Add("x-otlp-api-key", DashboardKey);
        }
        return client;
    }

    /// <summary>The key that lets a program read the dashboard (and send it OTLP), from the owner-only endpoints file.</summary>
    public string DashboardKey =>
        Endpoints.Resources["apphost"].ConnectionString!.Split(';').Select(p => p.Split('=', 2)).Single(p => p[0] == "ApiKey")[1];

    /// <summary>The address the AppHost printed for a browser to sign in to its dashboard (<c>…/login?t=…</c>).</summary>
    public string DashboardLoginUrl =>
        System.Text.RegularExpressions.Regex.Match(Output, @"Dashboard: (http://\S+)").Groups[1].Value is { Length: > 0 } url
            ? url
            : throw new InvalidOperationException($"The AppHost printed no dashboard address:\n{Output}");

    /// <summary>
    /// Waits for the endpoints file that this AppHost writes once its graph is healthy, and for the lines it prints just
    /// after (the dashboard's address among them), which reach us through a pipe a moment later than the file.
    /// </summary>
    private async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var path = Path.Combine(StateDirectory, EndpointsFile.FileName);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            // A file left by an earlier, killed AppHost names that one's pid: not ours, keep waiting.
            if (TryRead(path) is { } endpoints && endpoints.Resources["apphost"].Pids[0] == Pid && Output.Contains(Orchestrator.LastStartLine))
            {
                _endpoints = endpoints;
                return;
            }
            if (Process.HasExited)
            {
                throw new InvalidOperationException($"The AppHost exited with code {Process.ExitCode} before the graph was ready:\n{Output}");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The graph was not ready within {timeout}:\n{Output}");
            }
            await Task.Delay(200, cancellationToken);
        }
    }

    private static EndpointsFile? TryRead(string path)
    {
        try
        {
            return EndpointsFile.Read(path);
        }
        catch (FileNotFoundException)
        {
            return null; // not written yet, or a stale one deleted while we looked
        }
    }

    /// <summary>Waits for the AppHost to end by itself; its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await Process.WaitForExitAsync().WaitAsync(timeout);
        return Process.ExitCode;
    }

    /// <summary>Stops the graph as Ctrl+C does and returns the AppHost's exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (!Process.HasExited)
        {
            Signals.Send(Process.Id, Signals.SIGINT);
        }
        return await WaitForExitAsync(TimeSpan.FromMinutes(1));
    }

    /// <summary>SIGKILL: the AppHost gets no chance to stop anything.</summary>
    public async Task KillAsync()
    {
        Signals.Send(Process.Id, Signals.SIGKILL);
        await WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_process is not null)
            {
                await StopAsync();
            }
        }
        finally
        {
            _process?.Dispose();
            if (_deleteStateDirectory)
            {
                DeleteIfExists(StateDirectory);
                DeleteIfExists(OutsideDataDirectory);
            }
        }
    }

    private static void DeleteIfExists(string directory)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
