using System.Diagnostics;
using System.Text;
using Q4.Hosting;

namespace Q4.Tests.Hosting;

/// <summary>A running AppHost and the graph it started: clients, connection strings, pids, its console output.</summary>
public sealed class AppHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly bool _ownsStateDirectory;
    private EndpointsFile? _endpoints;

    internal AppHostProcess(Process process, string stateDirectory, bool ownsStateDirectory)
    {
        _process = process;
        Pid = process.Id;
        _ownsStateDirectory = ownsStateDirectory;
        StateDirectory = stateDirectory;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string StateDirectory { get; }

    public int Pid { get; }

    /// <summary>
    /// The folder of PostgreSQL's cluster when it cannot live in the state folder: as root, the postgres user may not
    /// enter a state folder that is its owner's alone.
    /// </summary>
    public string OutsideDataDirectory =>
        Path.GetDirectoryName(PostgresServerResource.OutsideDataDirectory(Path.Combine(StateDirectory, "data", "postgres")))!;

    public bool HasExited => _process.HasExited;

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

    public IReadOnlyList<string> GetUrls(string resource) => Endpoints.Resources[resource].Urls;

    public IReadOnlyList<int> GetPids(string resource) => Endpoints.Resources[resource].Pids;

    /// <summary>Every process of the graph but the AppHost itself.</summary>
    public IReadOnlyList<int> ChildPids => Endpoints.Resources.Where(r => r.Key != "apphost").SelectMany(r => r.Value.Pids).ToList();

    public HttpClient CreateHttpClient(string resource, int replica = 0) =>
        new() { BaseAddress = new Uri(GetUrls(resource)[replica]), Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Waits for the endpoints file that this AppHost writes once its graph is healthy.</summary>
    internal async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var path = Path.Combine(StateDirectory, EndpointsFile.FileName);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            // A file left by an earlier, killed AppHost names that one's pid: not ours, keep waiting.
            if (TryRead(path) is { } endpoints && endpoints.Resources["apphost"].Pids[0] == Pid)
            {
                _endpoints = endpoints;
                return;
            }
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The AppHost exited with code {_process.ExitCode} before the graph was ready:\n{Output}");
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
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>Stops the graph as Ctrl+C does and returns the AppHost's exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            Signals.Send(_process.Id, Signals.SIGINT);
        }
        return await WaitForExitAsync(TimeSpan.FromMinutes(1));
    }

    /// <summary>SIGKILL: the AppHost gets no chance to stop anything.</summary>
    public async Task KillAsync()
    {
        Signals.Send(_process.Id, Signals.SIGKILL);
        await WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            _process.Dispose();
            if (_ownsStateDirectory)
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
