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

    private ServiceProcess(Process process, string url)
    {
        _process = process;
        Url = url;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Url { get; }

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

    public static async Task<ServiceProcess> StartAsync(
        Q4.Hosting.IProjectMetadata project, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(project.ProjectPath),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(project.AssemblyPath);
        startInfo.Environment["ASPNETCORE_URLS"] = url;
        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        startInfo.Environment["Hosting__ParentProcessId"] = Environment.ProcessId.ToString();
        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }
        var service = new ServiceProcess(Process.Start(startInfo)!, url);
        try
        {
            await service.WaitUntilHealthyAsync(TimeSpan.FromMinutes(1), cancellationToken);
            return service;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    public HttpClient CreateHttpClient() => new() { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) };

    private async Task WaitUntilHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken)
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
                using var response = await client.GetAsync("/health", cancellationToken);
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
                throw new TimeoutException($"The service was not healthy within {timeout}:\n{Output}");
            }
            await Task.Delay(200, cancellationToken);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
