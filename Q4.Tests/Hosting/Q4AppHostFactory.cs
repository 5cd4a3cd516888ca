using System.Diagnostics;
using Q4.Hosting;

namespace Q4.Tests.Hosting;

/// <summary>
/// Starts the real graph from the AppHost, as Aspire.Hosting.Testing does: the AppHost's own build, in a state
/// folder of its own, on random ports, watching this test process so it never outlives it.
/// </summary>
public static class Q4AppHostFactory
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    public static async Task<AppHostProcess> StartAsync(CancellationToken cancellationToken = default, params string[] extraArguments)
    {
        var process = Launch(NewStateDirectory(), ownsStateDirectory: true, extraArguments);
        try
        {
            await process.WaitUntilReadyAsync(StartTimeout, cancellationToken);
            return process;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Runs the AppHost without waiting for it to be ready, for tests of how it fails. The state folder is deleted
    /// when the process is disposed only if <paramref name="ownsStateDirectory"/>: it may be another graph's.
    /// </summary>
    public static AppHostProcess Launch(string stateDirectory, bool ownsStateDirectory, params string[] extraArguments)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(new Projects.Q4_AppHost().AssemblyPath);
        foreach (var argument in (string[])
                 ["--state-dir", stateDirectory, "--random-ports", "true", "--quiet", "true",
                  "--parent-pid", Environment.ProcessId.ToString(), .. extraArguments])
        {
            startInfo.ArgumentList.Add(argument);
        }
        return new AppHostProcess(Process.Start(startInfo)!, stateDirectory, ownsStateDirectory);
    }

    public static string NewStateDirectory() =>
        Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "q4-tests", Guid.NewGuid().ToString("n")[..12])).FullName;
}
