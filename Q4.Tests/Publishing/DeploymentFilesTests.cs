using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Q4.Tests.Contract;
using Q4.Tests.Identity;

namespace Q4.Tests.Publishing;

/// <summary>What a deployment reads besides the manifest: the production realm Keycloak imports, and azd's azure.yaml.</summary>
public sealed partial class DeploymentFilesTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static readonly string ProductionRealmPath = Path.Combine(ApiDocument.RepositoryRoot, "deploy", "keycloak", "q4-realm.json");

    [Fact]
    public void The_production_realm_has_the_development_realms_roles_and_clients_but_no_users_and_no_fixed_secret_or_address()
    {
        var text = File.ReadAllText(ProductionRealmPath);
        var realm = JsonDocument.Parse(text).RootElement;
        Assert.Equal(DevRealm.Json.GetProperty("realm").GetString(), realm.GetProperty("realm").GetString());
        Assert.Equal(DevRealm.Json.GetProperty("roles").ToString(), realm.GetProperty("roles").ToString());
        Assert.False(realm.TryGetProperty("users", out _));
        // New accounts may bid, as the development realm's users with the role "user" may.
        Assert.Contains("user", realm.GetProperty("defaultRole").GetProperty("composites").GetProperty("realm").EnumerateArray().Select(r => r.GetString()));

        var clients = realm.GetProperty("clients").EnumerateArray().ToDictionary(c => c.GetProperty("clientId").GetString()!);
        Assert.Equal(["q4-api", "q4-frontend"], clients.Keys.Order());
        var frontend = clients["q4-frontend"];
        Assert.Equal("${Q4_FRONTEND_CLIENT_SECRET}", frontend.GetProperty("secret").GetString());
        Assert.All(frontend.GetProperty("redirectUris").EnumerateArray(), uri => Assert.StartsWith("${Q4_FRONTEND_URL}/", uri.GetString()));
        Assert.Equal(DevRealm.Client("q4-frontend").GetProperty("protocolMappers").ToString(), frontend.GetProperty("protocolMappers").ToString());
        Assert.DoesNotContain("localhost", text);
        Assert.DoesNotContain("dev-", text);
    }

    [Fact]
    public async Task Every_placeholder_of_the_production_realm_is_a_variable_the_published_keycloak_gets()
    {
        var folder = Directory.CreateTempSubdirectory("q4-realm-").FullName;
        try
        {
            await AppHostPublisher.PublishAsync("manifest", Path.Combine(folder, "aspire-manifest.json"));
            using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "aspire-manifest.json"), Cancellation));
            var environment = manifest.RootElement.GetProperty("resources").GetProperty("keycloak").GetProperty("env")
                .EnumerateObject().Select(v => v.Name).ToHashSet();

            var placeholders = Placeholder().Matches(await File.ReadAllTextAsync(ProductionRealmPath, Cancellation)).Select(m => m.Groups[1].Value).Distinct().ToList();
            Assert.Equal(["Q4_FRONTEND_CLIENT_SECRET", "Q4_FRONTEND_URL"], placeholders.Order());
            Assert.All(placeholders, name => Assert.Contains(name, environment));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Azure_yaml_names_the_apphost_and_azd_recognises_it_as_one()
    {
        var yaml = await File.ReadAllLinesAsync(Path.Combine(ApiDocument.RepositoryRoot, "azure.yaml"), Cancellation);
        var project = yaml.Select(line => Regex.Match(line, @"^\s+project:\s*(\S+)")).Single(m => m.Success).Groups[1].Value;
        Assert.Equal(new Projects.Q4_AppHost().ProjectPath, Path.GetFullPath(Path.Combine(ApiDocument.RepositoryRoot, project)));
        Assert.Contains(yaml, line => line.Trim() == "host: containerapp");

        // azd asks MSBuild this question and deploys the project as an AppHost only when the answer is "true".
        using var msbuild = Process.Start(new ProcessStartInfo("dotnet", ["msbuild", new Projects.Q4_AppHost().ProjectPath, "-getProperty:IsAspireHost"])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        var answer = await msbuild.StandardOutput.ReadToEndAsync(Cancellation);
        await msbuild.WaitForExitAsync(Cancellation);
        Assert.Equal("true", answer.Trim());
    }

    [GeneratedRegex(@"\$\{([A-Z0-9_]+)(?::[^}]*)?\}")]
    private static partial Regex Placeholder();
}
