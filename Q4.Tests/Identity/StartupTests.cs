using Q4.Tests.Hosting;

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
        await using var provider = ServiceProcess.Launch(new Projects.Q4_DevIdentity(), new Dictionary<string, string>
        {
            ["DevIdentity__DataDirectory"] = _dataDirectory,
            ["DevIdentity__AllowOutsideDevelopment"] = "true",
        }, environmentName: "Staging");
        await provider.WaitUntilAnswersAsync("/realms/q4/.well-known/openid-configuration", TimeSpan.FromMinutes(1), Cancellation);
        Assert.True(File.Exists(Path.Combine(_dataDirectory, "signing-key.pem")));
    }

    /// <summary>Runs the provider until it exits by itself (within a minute); its exit code and all its output.</summary>
    private async Task<(int ExitCode, string Output)> RunToExitAsync(Dictionary<string, string> variables, string environment = "Development")
    {
        await using var provider = ServiceProcess.Launch(new Projects.Q4_DevIdentity(),
            new Dictionary<string, string>(variables) { ["DevIdentity__DataDirectory"] = _dataDirectory }, environment);
        var exitCode = await provider.WaitForExitAsync(TimeSpan.FromMinutes(1), Cancellation);
        return (exitCode, provider.Output);
    }
}
