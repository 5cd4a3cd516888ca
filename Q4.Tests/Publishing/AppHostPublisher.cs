namespace Q4.Tests.Publishing;

/// <summary>The AppHost run as a deployment tool runs it: <c>--publisher &lt;name&gt; --output-path &lt;path&gt;</c>, to its end.</summary>
public static class AppHostPublisher
{
    /// <summary>What one run said and left: its exit code, its output, and what it put in its state folder.</summary>
    public sealed record Run(int ExitCode, string Output, IReadOnlyList<string> StateEntries);

    public static async Task<Run> RunAsync(string publisher, string outputPath, params string[] more)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Q4_AppHost>(
            ["--publisher", publisher, "--output-path", outputPath, .. more], TestContext.Current.CancellationToken);
        await using var app = await builder.BuildAsync(TestContext.Current.CancellationToken);
        app.Launch();
        var exitCode = await app.WaitForExitAsync(TimeSpan.FromMinutes(1));
        return new Run(exitCode, app.Output, Directory.GetFileSystemEntries(app.StateDirectory));
    }

    /// <summary>Publishes and fails the test, with the AppHost's output, unless it succeeded.</summary>
    public static async Task<Run> PublishAsync(string publisher, string outputPath, params string[] more)
    {
        var run = await RunAsync(publisher, outputPath, more);
        Assert.True(run.ExitCode == 0, run.Output);
        return run;
    }
}
