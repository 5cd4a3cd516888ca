using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Q4.Tests.Identity;

/// <summary>
/// Q4.DevIdentity started by hand, outside the graph: it must refuse to be anyone's production login, and say in
/// one line what is wrong when it cannot start.
/// </summary>
public sealed class StartupTests : IDisposable
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("q4-devidentity-").FullName;

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);

    [Fact]
    public async Task It_refuses_to_start_in_production_with_one_clear_message()
    {
        var (exitCode, output) = await RunToExitAsync([], environment: "Production");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("refuses to run in the 'Production' environment", output);
        Assert.Contains("DevIdentity__AllowOutsideDevelopment=true", output);
        Assert.DoesNotContain("   at ", output); // a message, not a stack trace
        Assert.Empty(Directory.GetFileSystemEntries(_dataDirectory)); // no key was made
    }

    [Fact]
    public async Task A_missing_realm_file_or_a_damaged_key_is_named_in_one_line()
    {
        var (exitCode, output) = await RunToExitAsync(new Dictionary<string, string> { ["DevIdentity__RealmFile"] = "no-such-realm.json" });
        Assert.NotEqual(0, exitCode);
        Assert.Contains("The realm file", output);
        Assert.Contains("no-such-realm.json does not exist", output);
        Assert.DoesNotContain("   at ", output);

        await File.WriteAllTextAsync(Path.Combine(_dataDirectory, "signing-key.pem"), "-----BEGIN PRIVATE KEY-----\nbroken\n", Cancellation);
        (exitCode, output) = await RunToExitAsync([]);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("signing-key.pem holds no readable RSA private key", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task It_starts_outside_development_only_when_explicitly_allowed()
    {
        var port = FreePort();
        using var process = Start("Staging", new Dictionary<string, string>
        {
            ["DevIdentity__AllowOutsideDevelopment"] = "true",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
        });
        var output = new StringBuilder();
        _ = Collect(process.StandardOutput, output);
        _ = Collect(process.StandardError, output);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            HttpStatusCode? status = null;
            while (status != HttpStatusCode.OK)
            {
                Assert.False(process.HasExited, $"it exited:\n{output}");
                Assert.True(DateTime.UtcNow < deadline, $"not healthy within a minute:\n{output}");
                try
                {
                    using var response = await client.GetAsync("/realms/q4/.well-known/openid-configuration", Cancellation);
                    status = response.StatusCode;
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(200, Cancellation);
                }
            }
            Assert.True(File.Exists(Path.Combine(_dataDirectory, "signing-key.pem")));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>Runs the provider until it exits by itself (within a minute); its exit code and all its output.</summary>
    private async Task<(int ExitCode, string Output)> RunToExitAsync(Dictionary<string, string> variables, string environment = "Development")
    {
        using var process = Start(environment, variables);
        var output = new StringBuilder();
        var reading = Task.WhenAll(Collect(process.StandardOutput, output), Collect(process.StandardError, output));
        try
        {
            await process.WaitForExitAsync(Cancellation).WaitAsync(TimeSpan.FromSeconds(60), Cancellation);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        await reading;
        return (process.ExitCode, output.ToString());
    }

    private Process Start(string environment, Dictionary<string, string> variables)
    {
        var project = new Projects.Q4_DevIdentity();
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(project.ProjectPath),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(project.AssemblyPath);
        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = environment;
        startInfo.Environment["DOTNET_ENVIRONMENT"] = environment;
        startInfo.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort()}";
        startInfo.Environment["DevIdentity__DataDirectory"] = _dataDirectory;
        // It ends by itself should this test process die.
        startInfo.Environment["Hosting__ParentProcessId"] = Environment.ProcessId.ToString();
        foreach (var (key, value) in variables)
        {
            startInfo.Environment[key] = value;
        }
        return Process.Start(startInfo)!;
    }

    private static async Task Collect(StreamReader reader, StringBuilder output)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
