using System.Diagnostics;

namespace Q4.Hosting.Testing;

/// <summary>
/// Starts the real graph from a test, with Aspire.Hosting.Testing's names:
/// <code>
/// var builder = await DistributedApplicationTestingBuilder.CreateAsync&lt;Projects.Q4_AppHost&gt;();
/// await using var app = await builder.BuildAsync();
/// await app.StartAsync();
/// using var api = app.CreateHttpClient("apiservice");
/// </code>
/// The AppHost runs as a process of its own (its own build, on random ports, in a state folder of its own), watching
/// the test process so it never outlives it.
/// </summary>
public static class DistributedApplicationTestingBuilder
{
    public static Task<IDistributedApplicationTestingBuilder> CreateAsync<TEntryPoint>(CancellationToken cancellationToken = default)
        where TEntryPoint : IProjectMetadata, new() =>
        CreateAsync<TEntryPoint>([], cancellationToken);

    /// <param name="args">The AppHost's command line: its settings (<c>--AppHost:Environment:frontend:Live__KeptEvents=8</c>, say).</param>
    /// <param name="cancellationToken">Unused: nothing to wait for until the graph starts.</param>
    public static Task<IDistributedApplicationTestingBuilder> CreateAsync<TEntryPoint>(string[] args, CancellationToken cancellationToken = default)
        where TEntryPoint : IProjectMetadata, new() =>
        Task.FromResult<IDistributedApplicationTestingBuilder>(new TestingBuilder(new TEntryPoint().AssemblyPath, [.. args]));

    private sealed class TestingBuilder(string appHostAssembly, List<string> args) : IDistributedApplicationTestingBuilder
    {
        public IList<string> Args => args;

        public string? StateDirectory { get; set; }

        public bool DeleteStateDirectory { get; set; } = true;

        public Task<AppHostProcess> BuildAsync(CancellationToken cancellationToken = default)
        {
            var startInfo = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            var state = StateDirectory ?? NewStateDirectory();
            startInfo.ArgumentList.Add(appHostAssembly);
            foreach (var argument in (string[])
                     ["--state-dir", state, "--random-ports", "true", "--quiet", "true",
                      "--parent-pid", Environment.ProcessId.ToString(), .. args])
            {
                startInfo.ArgumentList.Add(argument);
            }
            return Task.FromResult(new AppHostProcess(startInfo, state, DeleteStateDirectory));
        }
    }

    /// <summary>A fresh, empty state folder under the temporary folder.</summary>
    public static string NewStateDirectory() =>
        Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "q4-tests", Guid.NewGuid().ToString("n")[..12])).FullName;
}

/// <summary>The AppHost to start, before it starts.</summary>
public interface IDistributedApplicationTestingBuilder
{
    /// <summary>The AppHost's command line.</summary>
    IList<string> Args { get; }

    /// <summary>The state folder the AppHost keeps its data, logs and pids in; by default a fresh one.</summary>
    string? StateDirectory { get; set; }

    /// <summary>Whether the state folder goes when the application is disposed (by default it does).</summary>
    bool DeleteStateDirectory { get; set; }

    Task<AppHostProcess> BuildAsync(CancellationToken cancellationToken = default);
}
