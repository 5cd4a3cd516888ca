using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NJsonSchema;

namespace Q4.Tests.Publishing;

/// <summary>
/// <c>--publisher manifest</c>: the AppHost writes Aspire's manifest, which azd deploys, and starts nothing. Checked
/// against Aspire's schema (<c>aspire-8.0.json</c>, as Aspire publishes it) and for what the schema cannot say.
/// </summary>
public sealed partial class ManifestTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("q4-manifest-").FullName;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_manifest_validates_against_aspires_schema_and_names_every_resource_with_its_type()
    {
        var (manifest, text) = await PublishAsync();

        var schema = await AspireSchemaAsync();
        var errors = schema.Validate(text);
        Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => e.ToString())));

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["redis"] = "container.v0", ["postgres"] = "container.v0", ["storage"] = "container.v0", ["keycloak"] = "container.v0",
                ["q4db"] = "value.v0",
                ["migrations"] = "project.v0", ["apiservice"] = "project.v0", ["syncservice"] = "project.v0", ["frontend"] = "project.v0",
                ["redis-password"] = "parameter.v0", ["postgres-password"] = "parameter.v0", ["storage-password"] = "parameter.v0",
                ["keycloak-password"] = "parameter.v0", ["frontend-client-secret"] = "parameter.v0",
            },
            Resources(manifest).ToDictionary(r => r.Name, r => r.Value.GetProperty("type").GetString()!));
        // The development provider never reaches a deployment: Keycloak stands in for it.
        Assert.DoesNotContain("DevIdentity", text);
        Assert.Equal("docker.io/library/redis:7.4", Resource(manifest, "redis").GetProperty("image").GetString());
        Assert.Contains("--appendfsync always", Resource(manifest, "redis").GetProperty("args")[1].GetString());
        Assert.Equal("{postgres.connectionString};Database=q4db", Resource(manifest, "q4db").GetProperty("connectionString").GetString());
    }

    [Fact]
    public async Task Every_expression_refers_to_a_resource_binding_or_parameter_that_exists()
    {
        var (manifest, _) = await PublishAsync();
        var resources = Resources(manifest).ToDictionary(r => r.Name, r => r.Value);
        var checkedCount = 0;
        foreach (var (owner, value) in Strings(manifest.GetProperty("resources")))
        {
            foreach (Match reference in Expression().Matches(value))
            {
                checkedCount++;
                var name = reference.Groups["resource"].Value;
                Assert.True(resources.TryGetValue(name, out var target), $"{owner}: {reference.Value} names no resource");
                var path = reference.Groups["path"].Value;
                var type = target.GetProperty("type").GetString();
                switch (path.Split('.'))
                {
                    case ["connectionString"]:
                        Assert.True(target.TryGetProperty("connectionString", out _), $"{owner}: {reference.Value}: {name} has no connection string");
                        break;
                    case ["value"]:
                    case ["inputs", "value"]:
                        Assert.Equal("parameter.v0", type);
                        break;
                    case ["bindings", var binding, "host" or "port" or "targetPort" or "url" or "scheme"]:
                        Assert.True(target.TryGetProperty("bindings", out var bindings) && bindings.TryGetProperty(binding, out _),
                            $"{owner}: {reference.Value}: {name} has no binding {binding}");
                        break;
                    default:
                        Assert.Fail($"{owner}: {reference.Value} is no expression the manifest knows");
                        break;
                }
            }
            // A brace that is not an expression would be taken for one, or break the deployment tool's parser.
            Assert.DoesNotMatch(@"\{(?![a-z0-9-]+\.[A-Za-z.]+\})", Expression().Replace(value, ""));
        }
        Assert.True(checkedCount > 30, $"only {checkedCount} expressions");
    }

    [Fact]
    public async Task No_secret_is_in_clear_and_every_password_is_a_generated_secret_parameter()
    {
        var (manifest, text) = await PublishAsync();
        var secrets = Resources(manifest)
            .Where(r => r.Value.GetProperty("type").GetString() == "parameter.v0")
            .ToDictionary(r => r.Name, r => r.Value.GetProperty("inputs").GetProperty("value"));
        Assert.All(secrets.Values, input =>
        {
            Assert.True(input.GetProperty("secret").GetBoolean());
            Assert.True(input.GetProperty("default").GetProperty("generate").GetProperty("minLength").GetInt32() >= 22);
        });

        // Whatever carries a password or a secret takes it from a secret parameter, whole.
        foreach (var (owner, value) in Strings(manifest.GetProperty("resources")))
        {
            foreach (Match secret in SecretInConnectionString().Matches(value))
            {
                Assert.Matches(@"^\{[a-z0-9-]+\.value\}$", secret.Groups["value"].Value);
                Assert.Contains(secret.Groups["value"].Value.Trim('{', '}').Split('.')[0], secrets.Keys);
            }
        }
        foreach (var (name, resource) in Resources(manifest))
        {
            if (!resource.TryGetProperty("env", out var env))
            {
                continue;
            }
            foreach (var variable in env.EnumerateObject().Where(v => SecretName().IsMatch(v.Name)))
            {
                var parameter = Regex.Match(variable.Value.GetString()!, @"^\{(?<name>[a-z0-9-]+)\.value\}$");
                Assert.True(parameter.Success && secrets.ContainsKey(parameter.Groups["name"].Value), $"{name}: {variable.Name} = {variable.Value}");
            }
        }
        Assert.DoesNotContain("dev-secret", text);
        Assert.DoesNotContain("dev-password", text);
    }

    [Fact]
    public async Task Paths_are_relative_to_the_manifest_and_lead_to_the_projects_and_the_realm()
    {
        var (manifest, _) = await PublishAsync();
        var folder = _folder;
        foreach (var (name, resource) in Resources(manifest))
        {
            if (resource.TryGetProperty("path", out var path))
            {
                Assert.False(Path.IsPathRooted(path.GetString()), $"{name}: {path}");
                Assert.True(File.Exists(Path.Combine(folder, path.GetString()!)), $"{name}: {path} does not lead to the project");
            }
            foreach (var mount in resource.TryGetProperty("bindMounts", out var mounts) ? mounts.EnumerateArray() : [])
            {
                var source = mount.GetProperty("source").GetString()!;
                Assert.False(Path.IsPathRooted(source), $"{name}: {source}");
                Assert.True(mount.GetProperty("readOnly").GetBoolean());
                // Keycloak reads the .json files at the top of the folder: the production realm, never the development one.
                var realms = Directory.GetFiles(Path.Combine(folder, source), "*.json").Select(Path.GetFileName);
                Assert.Equal(["q4-realm.json"], realms);
            }
        }
        Assert.Equal(Path.GetRelativePath(folder, new Projects.Q4_ApiService().ProjectPath), Resource(manifest, "apiservice").GetProperty("path").GetString());
    }

    [Fact]
    public async Task Projects_get_the_environment_contract_of_a_local_run_and_only_the_front_end_and_sign_in_are_external()
    {
        var (manifest, _) = await PublishAsync();
        string Env(string resource, string name) => Resource(manifest, resource).GetProperty("env").GetProperty(name).GetString()!;

        foreach (var service in (string[])["apiservice", "syncservice"])
        {
            Assert.Equal("{redis.connectionString}", Env(service, "ConnectionStrings__redis"));
            Assert.Equal("{q4db.connectionString}", Env(service, "ConnectionStrings__q4db"));
            Assert.Equal("{storage.connectionString}", Env(service, "ConnectionStrings__storage"));
            Assert.Equal($"{{{service}.bindings.http.targetPort}}", Env(service, "HTTP_PORTS"));
        }
        // The services find the identity provider as they do here; published, it is Keycloak, whose realm they trust.
        Assert.Equal("{keycloak.bindings.http.url}", Env("apiservice", "services__identity__http__0"));
        Assert.Equal("{keycloak.bindings.http.url}", Env("frontend", "services__identity__http__0"));
        Assert.Equal("{apiservice.bindings.http.url}", Env("frontend", "services__apiservice__http__0"));
        Assert.Equal("{frontend-client-secret.value}", Env("frontend", "SignIn__ClientSecret"));
        Assert.Equal("{frontend-client-secret.value}", Env("keycloak", "Q4_FRONTEND_CLIENT_SECRET"));
        Assert.Equal("{frontend.bindings.http.url}", Env("keycloak", "Q4_FRONTEND_URL"));
        Assert.Equal("{q4db.connectionString}", Env("migrations", "ConnectionStrings__q4db"));
        Assert.False(Resource(manifest, "migrations").TryGetProperty("bindings", out _));
        // Where telemetry goes is the platform's to say.
        Assert.DoesNotContain(Resources(manifest), r => r.Value.TryGetProperty("env", out var env) && env.EnumerateObject().Any(v => v.Name.StartsWith("OTEL_EXPORTER", StringComparison.Ordinal)));

        var external = Resources(manifest)
            .SelectMany(r => r.Value.TryGetProperty("bindings", out var bindings)
                ? bindings.EnumerateObject().Where(b => b.Value.TryGetProperty("external", out var e) && e.GetBoolean()).Select(b => $"{r.Name}.{b.Name}")
                : [])
            .Order();
        Assert.Equal(["frontend.http", "keycloak.http"], external);

        var keycloak = Resource(manifest, "keycloak");
        Assert.Equal(["start", "--import-realm"], keycloak.GetProperty("args").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("/opt/keycloak/data/import", keycloak.GetProperty("bindMounts")[0].GetProperty("target").GetString());
    }

    [Fact]
    public async Task An_unknown_publisher_is_refused_by_name_and_nothing_is_written()
    {
        var run = await AppHostPublisher.RunAsync("helm", Path.Combine(_folder, "out.json"));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("There is no publisher 'helm'. Publishers: manifest, kubernetes.", run.Output);
        Assert.Empty(Directory.GetFileSystemEntries(_folder));
    }

    /// <summary>Runs the AppHost's manifest publisher into this test's folder; the manifest and its text.</summary>
    private async Task<(JsonElement Manifest, string Text)> PublishAsync()
    {
        var run = await AppHostPublisher.RunAsync("manifest", Path.Combine(_folder, "aspire-manifest.json"));
        Assert.Equal(0, run.ExitCode);
        // It published and started nothing: its state folder (logs, data, generated secrets) stays empty.
        Assert.Contains("Published the graph (manifest)", run.Output);
        Assert.DoesNotContain("is healthy", run.Output);
        Assert.Empty(run.StateEntries);
        var text = await File.ReadAllTextAsync(Path.Combine(_folder, "aspire-manifest.json"), Cancellation);
        return (JsonDocument.Parse(text).RootElement.Clone(), text);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>
    /// Aspire's schema as NJsonSchema reads it. Two constructs of draft 7 that NJsonSchema does not know become their
    /// equivalents of draft 4: a boolean schema (<c>false</c>: "this property may not be there") its object form
    /// (<c>{"not": {}}</c>; <c>true</c>: <c>{}</c>), and <c>"const": x</c> <c>"enum": [x]</c>. Without the second, every
    /// resource would match both versions of its type.
    /// </summary>
    private static async Task<JsonSchema> AspireSchemaAsync()
    {
        var schema = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Publishing", "aspire-8.0.json"), Cancellation))!;
        void Rewrite(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject obj:
                    if (obj["const"] is { } constant)
                    {
                        obj.Remove("const");
                        obj["enum"] = new JsonArray(constant.DeepClone());
                    }
                    if (obj["properties"] is JsonObject properties)
                    {
                        foreach (var (name, value) in properties.ToList())
                        {
                            if (value is JsonValue flag && flag.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
                            {
                                properties[name] = flag.GetValue<bool>() ? new JsonObject() : new JsonObject { ["not"] = new JsonObject() };
                            }
                        }
                    }
                    foreach (var (_, child) in obj.ToList())
                    {
                        Rewrite(child);
                    }
                    break;
                case JsonArray array:
                    foreach (var child in array.ToList())
                    {
                        Rewrite(child);
                    }
                    break;
            }
        }
        Rewrite(schema);
        return await JsonSchema.FromJsonAsync(schema.ToJsonString(), Cancellation);
    }

    private static IEnumerable<(string Name, JsonElement Value)> Resources(JsonElement manifest) =>
        manifest.GetProperty("resources").EnumerateObject().Select(p => (p.Name, p.Value));

    private static JsonElement Resource(JsonElement manifest, string name) => manifest.GetProperty("resources").GetProperty(name);

    /// <summary>Every string in the manifest, with the resource it belongs to.</summary>
    private static IEnumerable<(string Resource, string Value)> Strings(JsonElement resources) =>
        resources.EnumerateObject().SelectMany(r => StringsIn(r.Value).Select(s => (r.Name, s)));

    private static IEnumerable<string> StringsIn(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => [element.GetString()!],
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => StringsIn(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(StringsIn),
        _ => [],
    };

    [GeneratedRegex(@"\{(?<resource>[a-z0-9-]+)\.(?<path>[A-Za-z0-9.-]+)\}")]
    private static partial Regex Expression();

    [GeneratedRegex(@"(?:password|secretkey)=(?<value>[^;,]*)", RegexOptions.IgnoreCase)]
    private static partial Regex SecretInConnectionString();

    [GeneratedRegex("PASSWORD|SECRET", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();
}
