using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Q4.Tests.Hosting;

/// <summary>
/// One extra replica of a service, started by a test beside the graph with settings of its own (the graph's
/// stores, a different configuration); stopped and gone when disposed.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    /// <summary>Completes with the address Kestrel says it listens on (its "Now listening on" line).</summary>
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServiceProcess(Process process, string url)
    {
        _process = process;
        Url = url;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Where it listens; for one started on port 0, known once <see cref="StartAsync"/> returned.</summary>
    public string Url { get; private set; }

    public int Pid => _process.Id;

    /// <summary>Whether it is still running, or how it ended: for messages about a test that lost it.</summary>
    public string Status => _process.HasExited ? $"exited with code {_process.ExitCode}" : "running";

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

    /// <summary>The settings an API replica started beside <paramref name="app"/> needs: its stores and its identity provider.</summary>
    public static Dictionary<string, string> ApiEnvironment(AppHostProcess app) => new()
    {
        ["ConnectionStrings__redis"] = app.GetConnectionString("redis"),
        ["ConnectionStrings__q4db"] = app.GetConnectionString("q4db"),
        ["ConnectionStrings__storage"] = app.GetConnectionString("storage"),
        ["services__identity__http__0"] = app.GetUrls("identity")[0].TrimEnd('/'),
    };

    /// <summary>The settings a front-end replica started beside <paramref name="app"/> needs: its Redis, the API replicas and the identity provider.</summary>
    public static Dictionary<string, string> FrontendEnvironment(AppHostProcess app)
    {
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = app.GetConnectionString("redis"),
            ["services__identity__http__0"] = app.GetUrls("identity")[0].TrimEnd('/'),
        };
        var api = app.GetUrls("apiservice");
        for (var i = 0; i < api.Count; i++)
        {
            environment[$"services__apiservice__http__{i}"] = api[i].TrimEnd('/');
        }
        return environment;
    }

    /// <summary>
    /// Starts the project and returns once its <c>/health</c> answers 200: at <paramref name="url"/>, or on a port the
    /// system gives the service itself (port 0), so that no other process can take it between choosing it and listening
    /// on it and answer in the service's place.
    /// </summary>
    public static async Task<ServiceProcess> StartAsync(
        Q4.Hosting.IProjectMetadata project, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken,
        string? url = null)
    {
        var service = Launch(project, environment, url: url ?? "http://127.0.0.1:0");
        try
        {
            if (new Uri(service.Url).Port == 0)
            {
                service.Url = await service.ListeningAsync(TimeSpan.FromMinutes(1), cancellationToken);
            }
            await service.WaitUntilAnswersAsync("/health", TimeSpan.FromMinutes(1), cancellationToken);
            return service;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts the project's built assembly from its project folder (as the AppHost does) on a free loopback port,
    /// in <paramref name="environmentName"/>, without waiting for anything; at <paramref name="url"/> instead when given (the
    /// address of a replica it replaces).
    /// </summary>
    public static ServiceProcess Launch(
        Q4.Hosting.IProjectMetadata project, IReadOnlyDictionary<string, string> environment, string environmentName = "Development",
        string? url = null)
    {
        url ??= $"http://127.0.0.1:{FreePort()}";
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(project.ProjectPath),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(project.AssemblyPath);
        startInfo.Environment["ASPNETCORE_URLS"] = url;
        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = environmentName;
        startInfo.Environment["DOTNET_ENVIRONMENT"] = environmentName;
        // It ends by itself should this test process die.
        startInfo.Environment["Hosting__ParentProcessId"] = Environment.ProcessId.ToString();
        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }
        return new ServiceProcess(Process.Start(startInfo)!, url);
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Waits for the process to end by itself; its exit code, with all its output read.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken).WaitAsync(timeout, cancellationToken);
        return _process.ExitCode;
    }

    public HttpClient CreateHttpClient() => new() { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) };

    private async Task<string> ListeningAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!_listening.Task.IsCompleted)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The service exited with code {_process.ExitCode} before it listened:\n{Output}");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The service did not say where it listens within {timeout}:\n{Output}");
            }
            await Task.WhenAny(_listening.Task, Task.Delay(200, cancellationToken));
        }
        return (await _listening.Task).TrimEnd('/');
    }

    /// <summary>Polls <paramref name="path"/> until it answers 200; fails at once, with the output, if the process exits.</summary>
    public async Task WaitUntilAnswersAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var client = CreateHttpClient();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The service exited with code {_process.ExitCode}:\n{Output}");
            }
            try
            {
                using var response = await client.GetAsync(path, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{path} did not answer 200 within {timeout}:\n{Output}");
            }
            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>A loopback port nothing listens on right now, as the AppHost picks them.</summary>
    public static int FreePort() => Q4.Hosting.Ports.Free();

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
            const string listening = "Now listening on: ";
            if (line.IndexOf(listening, StringComparison.Ordinal) is var at and >= 0)
            {
                _listening.TrySetResult(line[(at + listening.Length)..].Trim());
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
