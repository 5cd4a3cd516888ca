using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Q4.Hosting.Publishing;

/// <summary>
/// Writes Aspire's manifest (schema aspire-8.0), which azd reads to deploy: containers as <c>container.v0</c>,
/// projects as <c>project.v0</c>, parameters as <c>parameter.v0</c> with generated defaults for secrets, a database's
/// connection string as <c>value.v0</c>. Paths are relative to the manifest's folder.
/// </summary>
internal static class ManifestPublisher
{
    public const string DefaultPath = "aspire-manifest.json";

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        // The manifest is read by tools, not embedded in HTML: '+', '<' and quotes in values stay as they are.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Write(IReadOnlyList<PublishedResource> resources, string? outputPath)
    {
        var path = Path.GetFullPath(outputPath ?? DefaultPath);
        var folder = Path.GetDirectoryName(path)!;
        var manifest = new JsonObject();
        foreach (var resource in resources)
        {
            manifest[resource.Name] = resource switch
            {
                PublishedContainer container => Container(container, folder),
                PublishedProject project => Project(project, folder),
                PublishedParameter parameter => Parameter(parameter),
                PublishedValue value => new JsonObject { ["type"] = "value.v0", ["connectionString"] = value.ConnectionString },
                _ => throw new InvalidOperationException($"The manifest has no form for {resource.GetType().Name}."),
            };
        }
        Directory.CreateDirectory(folder);
        var document = new JsonObject { ["$schema"] = "https://json.schemastore.org/aspire-8.0.json", ["resources"] = manifest };
        File.WriteAllText(path, document.ToJsonString(Indented) + "\n");
        return path;
    }

    private static JsonObject Container(PublishedContainer container, string folder)
    {
        var node = new JsonObject { ["type"] = "container.v0" };
        if (container.ConnectionString is { } connectionString)
        {
            node["connectionString"] = connectionString;
        }
        node["image"] = container.Image;
        if (container.Entrypoint is { } entrypoint)
        {
            node["entrypoint"] = entrypoint;
        }
        if (container.Args.Count > 0)
        {
            node["args"] = Strings(container.Args);
        }
        if (container.BindMounts.Count > 0)
        {
            node["bindMounts"] = new JsonArray([.. container.BindMounts.Select(mount => new JsonObject
            {
                ["source"] = Relative(folder, mount.Source),
                ["target"] = mount.Target,
                ["readOnly"] = true,
            })]);
        }
        if (container.Volumes.Count > 0)
        {
            node["volumes"] = new JsonArray([.. container.Volumes.Select(volume => new JsonObject
            {
                ["name"] = volume.Name,
                ["target"] = volume.Target,
                ["readOnly"] = false,
            })]);
        }
        AddEnvironmentAndBindings(node, container);
        return node;
    }

    private static JsonObject Project(PublishedProject project, string folder)
    {
        var node = new JsonObject { ["type"] = "project.v0", ["path"] = Relative(folder, project.ProjectPath) };
        AddEnvironmentAndBindings(node, project);
        return node;
    }

    private static JsonObject Parameter(PublishedParameter parameter)
    {
        var input = new JsonObject { ["type"] = "string", ["secret"] = parameter.Secret };
        if (parameter.Secret)
        {
            // Nobody has to choose a password: the deployment tool generates one the first time and keeps it.
            input["default"] = new JsonObject { ["generate"] = new JsonObject { ["minLength"] = parameter.MinLength, ["special"] = false } };
        }
        return new JsonObject
        {
            ["type"] = "parameter.v0",
            ["value"] = $"{{{parameter.Name}.inputs.value}}",
            ["inputs"] = new JsonObject { ["value"] = input },
        };
    }

    private static void AddEnvironmentAndBindings(JsonObject node, PublishedWorkload workload)
    {
        var (environment, bindings) = (workload.Environment, workload.Bindings);
        if (environment.Count > 0)
        {
            var env = new JsonObject();
            foreach (var (key, value) in environment)
            {
                env[key] = value;
            }
            node["env"] = env;
        }
        if (bindings.Count > 0)
        {
            var all = new JsonObject();
            foreach (var binding in bindings)
            {
                var entry = new JsonObject { ["scheme"] = binding.Scheme, ["protocol"] = "tcp", ["transport"] = binding.Transport };
                if (binding.TargetPort is { } port)
                {
                    entry["targetPort"] = port;
                }
                if (binding.External)
                {
                    entry["external"] = true;
                }
                all[binding.Name] = entry;
            }
            node["bindings"] = all;
        }
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(value => (JsonNode)value)]);

    /// <summary>Forward slashes whatever the machine, as the manifest is read elsewhere.</summary>
    private static string Relative(string folder, string path) => Path.GetRelativePath(folder, path).Replace('\\', '/');
}
