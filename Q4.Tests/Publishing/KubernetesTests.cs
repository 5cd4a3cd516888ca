using System.Diagnostics;
using System.Text.Json;
using k8s;
using k8s.Models;
using Q4.Tests.Contract;

namespace Q4.Tests.Publishing;

/// <summary>
/// <c>--publisher kubernetes</c>: the committed <c>deploy/k8s</c> is what publishing writes; both overlays render with
/// <c>kubectl kustomize</c> into objects the official Kubernetes models read strictly (an unknown field fails), and
/// they say what a deployment needs: probes, limits, non-root, every variable the services read, every key they take.
/// </summary>
public sealed class KubernetesTests : IDisposable
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static readonly string Committed = Path.Combine(ApiDocument.RepositoryRoot, "deploy", "k8s");

    private readonly string _folder = Directory.CreateTempSubdirectory("q4-k8s-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task The_committed_tree_is_what_publishing_writes_now()
    {
        var fresh = Path.Combine(_folder, "k8s");
        await AppHostPublisher.PublishAsync("kubernetes", fresh);
        var expected = Files(fresh);
        var committed = Files(Committed);
        Assert.True(expected.Keys.SequenceEqual(committed.Keys),
            $"deploy/k8s differs from a fresh publish: publish again (README: Deploying).\nfresh: {string.Join(", ", expected.Keys)}\ncommitted: {string.Join(", ", committed.Keys)}");
        foreach (var (path, content) in expected)
        {
            Assert.True(content == committed[path], $"deploy/k8s/{path} differs from a fresh publish: publish again (README: Deploying).");
        }
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public async Task The_overlay_renders_into_strict_kubernetes_objects_with_probes_limits_and_no_root(string overlay)
    {
        var objects = await RenderAsync(overlay);
        var deployments = objects.OfType<V1Deployment>().ToList();
        Assert.Equal(["apiservice", "frontend", "syncservice"], deployments.Select(d => d.Metadata.Name).Order());
        foreach (var deployment in deployments)
        {
            var pod = deployment.Spec.Template.Spec;
            Assert.True(pod.SecurityContext.RunAsNonRoot, $"{deployment.Metadata.Name}: pod may run as root");
            foreach (var container in pod.Containers.Concat(pod.InitContainers ?? []))
            {
                var where = $"{deployment.Metadata.Name}/{container.Name}";
                Assert.True(container.SecurityContext.RunAsNonRoot == true && container.SecurityContext.RunAsUser > 0, $"{where} may run as root");
                Assert.False(container.SecurityContext.AllowPrivilegeEscalation, where);
                Assert.All((string[])["cpu", "memory"], kind =>
                {
                    Assert.True(container.Resources.Requests.ContainsKey(kind), $"{where} requests no {kind}");
                    Assert.True(container.Resources.Limits.ContainsKey(kind), $"{where} has no {kind} limit");
                });
            }
            var main = pod.Containers.Single();
            Assert.Equal("/health", main.ReadinessProbe.HttpGet.Path);
            Assert.Equal("/alive", main.LivenessProbe.HttpGet.Path);
        }

        // The migrations run once, as a Job; the services that need the schema wait for it to complete.
        var job = Assert.Single(objects.OfType<V1Job>());
        Assert.Equal("migrations", job.Metadata.Name);
        foreach (var name in (string[])["apiservice", "syncservice"])
        {
            var wait = Assert.Single(deployments.Single(d => d.Metadata.Name == name).Spec.Template.Spec.InitContainers);
            Assert.Equal(["wait", "--for=condition=complete", "job/migrations", "--timeout=10m"], wait.Args);
        }
        var role = Assert.Single(objects.OfType<V1Role>());
        Assert.Contains("watch", role.Rules.Single().Verbs);

        Assert.Equal("apiservice", Assert.Single(objects.OfType<V2HorizontalPodAutoscaler>()).Spec.ScaleTargetRef.Name);
        Assert.Equal(2, deployments.Single(d => d.Metadata.Name == "syncservice").Spec.Replicas);
        Assert.Contains(objects.OfType<V1PodDisruptionBudget>(), b => b.Metadata.Name == "syncservice");
        var ingresses = objects.OfType<V1Ingress>().ToDictionary(i => i.Metadata.Name, i => i.Spec.Rules.Single().Host);
        Assert.Equal(overlay == "dev" ? "frontend.q4.localtest.me" : "frontend.example.com", ingresses["frontend"]);

        // The stores and Keycloak run in the cluster for development only; production's are the operator's.
        var statefulSets = objects.OfType<V1StatefulSet>().Select(s => s.Metadata.Name).Order().ToList();
        Assert.Equal(overlay == "dev" ? ["keycloak", "postgres", "redis", "storage"] : [], statefulSets);
        Assert.All(objects.OfType<V1StatefulSet>(), s => Assert.NotEmpty(s.Spec.VolumeClaimTemplates));
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public async Task Every_variable_of_the_manifest_is_set_and_every_secret_and_configmap_key_taken_exists(string overlay)
    {
        var objects = await RenderAsync(overlay);
        var manifest = await ManifestAsync();
        var configMaps = objects.OfType<V1ConfigMap>().ToDictionary(c => c.Metadata.Name, c => c.Data ?? new Dictionary<string, string>());
        var secrets = objects.OfType<V1Secret>().ToDictionary(s => s.Metadata.Name, s => (IEnumerable<string>)(s.Data?.Keys ?? []));
        if (overlay == "prod")
        {
            // The operator creates the Secrets; the overlay's README lists every key they must hold.
            Assert.Empty(secrets);
            secrets = OperatorSecrets(await File.ReadAllTextAsync(Path.Combine(Committed, "overlays", "prod", "README.md"), Cancellation));
        }

        foreach (var pod in objects.OfType<V1Deployment>().Select(d => (d.Metadata.Name, d.Spec.Template.Spec))
                     .Concat(objects.OfType<V1Job>().Select(j => (j.Metadata.Name, j.Spec.Template.Spec))))
        {
            var container = pod.Spec.Containers.Single();
            var set = new HashSet<string>();
            foreach (var source in container.EnvFrom ?? [])
            {
                Assert.True(configMaps.TryGetValue(source.ConfigMapRef.Name, out var data), $"{pod.Name}: no ConfigMap {source.ConfigMapRef.Name}");
                set.UnionWith(data.Keys);
            }
            foreach (var variable in container.Env)
            {
                set.Add(variable.Name);
                if (variable.ValueFrom?.SecretKeyRef is { } secret)
                {
                    Assert.True(secrets.TryGetValue(secret.Name, out var keys) && keys.Contains(secret.Key), $"{pod.Name}: {variable.Name} takes {secret.Name}/{secret.Key}, which does not exist");
                }
                if (variable.ValueFrom?.ConfigMapKeyRef is { } config)
                {
                    Assert.True(configMaps.TryGetValue(config.Name, out var data) && data.ContainsKey(config.Key), $"{pod.Name}: {variable.Name} takes {config.Name}/{config.Key}, which does not exist");
                }
            }
            var expected = manifest.GetProperty("resources").GetProperty(pod.Name).GetProperty("env").EnumerateObject().Select(v => v.Name);
            Assert.All(expected, name => Assert.True(set.Contains(name), $"{pod.Name} does not get {name}"));
        }
        foreach (var statefulSet in objects.OfType<V1StatefulSet>())
        {
            foreach (var secret in statefulSet.Spec.Template.Spec.Containers.SelectMany(c => c.Env ?? []).Select(v => v.ValueFrom?.SecretKeyRef).OfType<V1SecretKeySelector>())
            {
                Assert.True(secrets.TryGetValue(secret.Name, out var keys) && keys.Contains(secret.Key), $"{statefulSet.Metadata.Name} takes {secret.Name}/{secret.Key}");
            }
        }
    }

    [Fact]
    public async Task The_container_registry_option_names_every_projects_image()
    {
        var output = Path.Combine(_folder, "k8s");
        await AppHostPublisher.PublishAsync("kubernetes", output, "--container-registry", "registry.example.com/q4");
        var yaml = await KustomizeAsync(Path.Combine(output, "base"));
        var images = KubernetesYaml.LoadAllFromString(yaml, strict: true).OfType<V1Deployment>().Select(d => d.Spec.Template.Spec.Containers.Single().Image);
        Assert.All(images, image => Assert.StartsWith("registry.example.com/q4/q4-", image));
    }

    [Fact]
    public async Task Each_image_the_manifests_name_is_the_one_its_project_builds_as_a_container()
    {
        var objects = await RenderAsync("prod");
        var manifest = await ManifestAsync();
        var pods = objects.OfType<V1Deployment>().Select(d => (d.Metadata.Name, d.Spec.Template.Spec))
            .Concat(objects.OfType<V1Job>().Select(j => (j.Metadata.Name, j.Spec.Template.Spec)))
            .ToList();
        Assert.Equal(4, pods.Count);
        foreach (var (name, pod) in pods)
        {
            var project = Path.GetFullPath(Path.Combine(_folder, manifest.GetProperty("resources").GetProperty(name).GetProperty("path").GetString()!));
            // What `dotnet publish -t:PublishContainer` names the image it builds.
            using var msbuild = Process.Start(new ProcessStartInfo("dotnet", ["msbuild", project, "-getProperty:ContainerRepository"])
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            })!;
            var repository = (await msbuild.StandardOutput.ReadToEndAsync(Cancellation)).Trim();
            await msbuild.WaitForExitAsync(Cancellation);
            Assert.Equal(repository, pod.Containers.Single().Image);
        }
    }

    private async Task<List<object>> RenderAsync(string overlay) =>
        [.. KubernetesYaml.LoadAllFromString(await KustomizeAsync(Path.Combine(Committed, "overlays", overlay)), strict: true)];

    private async Task<JsonElement> ManifestAsync()
    {
        var path = Path.Combine(_folder, "aspire-manifest.json");
        await AppHostPublisher.PublishAsync("manifest", path);
        return JsonDocument.Parse(await File.ReadAllTextAsync(path, Cancellation)).RootElement.Clone();
    }

    private static Dictionary<string, IEnumerable<string>> OperatorSecrets(string readme)
    {
        var secrets = new Dictionary<string, IEnumerable<string>>();
        List<string>? keys = null;
        foreach (var line in readme.Split('\n'))
        {
            if (System.Text.RegularExpressions.Regex.Match(line, @"^\d+\. Secret `([a-z0-9-]+)`") is { Success: true } secret)
            {
                secrets[secret.Groups[1].Value] = keys = [];
            }
            else if (keys is not null && System.Text.RegularExpressions.Regex.Match(line, @"^\s+- `([a-z0-9-]+)`") is { Success: true } key)
            {
                keys.Add(key.Groups[1].Value);
            }
        }
        return secrets;
    }

    private static async Task<string> KustomizeAsync(string folder)
    {
        var start = new ProcessStartInfo("kubectl", ["kustomize", folder]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var kubectl = Process.Start(start) ?? throw new InvalidOperationException("kubectl is not installed (CI machines have it).");
        var output = kubectl.StandardOutput.ReadToEndAsync(Cancellation);
        var errors = await kubectl.StandardError.ReadToEndAsync(Cancellation);
        await kubectl.WaitForExitAsync(Cancellation);
        Assert.True(kubectl.ExitCode == 0, $"kubectl kustomize {folder}: {errors}");
        return await output;
    }

    private static SortedDictionary<string, string> Files(string root) => new(
        Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), File.ReadAllText), StringComparer.Ordinal);
}
