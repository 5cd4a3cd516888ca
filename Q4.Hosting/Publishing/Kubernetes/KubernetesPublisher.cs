using System.Text;
using k8s;
using k8s.Models;

namespace Q4.Hosting.Publishing.Kubernetes;

/// <summary>
/// Writes a Kustomize base and two overlays from the published graph. The base holds the projects: each a
/// Deployment (or, run once, a Job the others wait for), a Service, a ConfigMap of its settings, probes on
/// <c>/health</c> and <c>/alive</c>, requests and limits, non-root; an Ingress for an external binding; an autoscaler
/// or a disruption budget where several replicas run. <c>overlays/dev</c> adds the containers (stores, Keycloak) as
/// StatefulSets with development-only secrets; <c>overlays/prod</c> expects them outside, with the Secrets the
/// operator creates. Every object is one of the official Kubernetes models, so every field is one Kubernetes knows.
/// </summary>
internal sealed class KubernetesPublisher
{
    public const string DefaultPath = "deploy/k8s";

    /// <summary>The image that waits for a Job from inside a pod.</summary>
    private const string KubectlImage = "registry.k8s.io/kubectl:v1.33.3";

    /// <summary>What the services' pods run as: the .NET images' unprivileged <c>app</c> user.</summary>
    private const long AppUser = 1654;

    private const string JobWatcher = "q4-job-watcher";

    private const string NameLabel = "app.kubernetes.io/name";

    private readonly IReadOnlyList<PublishedResource> _resources;
    private readonly KubernetesEnvironment _environment;
    private readonly string? _registry;

    private KubernetesPublisher(IReadOnlyList<PublishedResource> resources, string? registry)
    {
        _resources = resources;
        _environment = new KubernetesEnvironment(resources);
        _registry = registry?.TrimEnd('/');
    }

    private IEnumerable<PublishedProject> Projects => _resources.OfType<PublishedProject>();

    private IEnumerable<PublishedContainer> Containers => _resources.OfType<PublishedContainer>();

    private IEnumerable<PublishedParameter> Parameters => _resources.OfType<PublishedParameter>();

    /// <summary>Writes <c>base/</c> and <c>overlays/{dev,prod}/</c> under <paramref name="outputPath"/>, replacing earlier ones.</summary>
    public static string Write(IReadOnlyList<PublishedResource> resources, string? outputPath, string? registry)
    {
        var root = Path.GetFullPath(outputPath ?? DefaultPath);
        var files = new KubernetesPublisher(resources, registry).Files();
        foreach (var folder in (string[])["base", "overlays"])
        {
            if (Directory.Exists(Path.Combine(root, folder)))
            {
                Directory.Delete(Path.Combine(root, folder), recursive: true);
            }
        }
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }
        return root;
    }

    /// <summary>Every file, by its path under the output folder.</summary>
    private SortedDictionary<string, string> Files()
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var baseResources = new List<string>();
        foreach (var project in Projects)
        {
            files[$"base/{project.Name}.yaml"] = Documents(ProjectObjects(project));
            baseResources.Add($"{project.Name}.yaml");
        }
        if (Projects.Any(WaitsForAJob))
        {
            files[$"base/{JobWatcher}.yaml"] = Documents(JobWatcherObjects());
            baseResources.Add($"{JobWatcher}.yaml");
        }
        files["base/kustomization.yaml"] = BaseKustomization(baseResources);

        var devResources = new List<string> { "../../base" };
        var devFiles = new List<(string ConfigMap, string Path)>();
        foreach (var container in Containers)
        {
            files[$"overlays/dev/{container.Name}.yaml"] = Documents(ContainerObjects(container));
            devResources.Add($"{container.Name}.yaml");
            foreach (var (mount, index) in container.BindMounts.Select((m, i) => (m, i)))
            {
                // Kustomize reads files only below the overlay, so the mounted folder's files are copied beside it.
                var name = MountName(container, index);
                foreach (var file in Directory.GetFiles(mount.Source).Order(StringComparer.Ordinal))
                {
                    files[$"overlays/dev/{name}/{Path.GetFileName(file)}"] = File.ReadAllText(file);
                    devFiles.Add((name, $"{name}/{Path.GetFileName(file)}"));
                }
            }
        }
        files["overlays/dev/kustomization.yaml"] = DevKustomization(devResources, devFiles);
        files["overlays/prod/kustomization.yaml"] = ProdKustomization();
        files["overlays/prod/README.md"] = ProdReadme();
        return files;
    }

    private bool WaitsForAJob(PublishedProject project) => JobsWaitedForBy(project).Any();

    /// <summary>The projects that run to completion (the migrations) this one starts after.</summary>
    private IEnumerable<string> JobsWaitedForBy(PublishedProject project) =>
        project.WaitsFor.Where(name => Projects.Any(p => p.Name == name && p.RunsToCompletion));

    private IEnumerable<IKubernetesObject> ProjectObjects(PublishedProject project)
    {
        var settings = $"{project.Name}-env";
        var pod = PodFor(project, settings);
        if (project.RunsToCompletion)
        {
            pod.Spec.RestartPolicy = "Never";
            yield return new V1Job
            {
                ApiVersion = "batch/v1", Kind = "Job",
                Metadata = Meta(project.Name),
                Spec = new V1JobSpec { BackoffLimit = 3, Template = pod },
            };
            yield break;
        }

        yield return new V1Deployment
        {
            ApiVersion = "apps/v1", Kind = "Deployment",
            Metadata = Meta(project.Name),
            Spec = new V1DeploymentSpec
            {
                Replicas = project.Replicas,
                Selector = new V1LabelSelector { MatchLabels = Labels(project.Name) },
                Template = pod,
            },
        };
        if (project.Bindings.Count > 0)
        {
            yield return Service(project.Name, project.Bindings);
        }
        foreach (var binding in project.Bindings.Where(b => b.External))
        {
            yield return Ingress(project.Name, binding);
        }
        if (project.MaxReplicas > project.Replicas)
        {
            yield return new V2HorizontalPodAutoscaler
            {
                ApiVersion = "autoscaling/v2", Kind = "HorizontalPodAutoscaler",
                Metadata = Meta(project.Name),
                Spec = new V2HorizontalPodAutoscalerSpec
                {
                    ScaleTargetRef = new V2CrossVersionObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = project.Name },
                    MinReplicas = project.Replicas,
                    MaxReplicas = project.MaxReplicas,
                    Metrics =
                    [
                        new V2MetricSpec
                        {
                            Type = "Resource",
                            Resource = new V2ResourceMetricSource
                            {
                                Name = "cpu",
                                Target = new V2MetricTarget { Type = "Utilization", AverageUtilization = 70 },
                            },
                        },
                    ],
                },
            };
        }
        if (project.Replicas > 1)
        {
            // A node drained for maintenance takes one replica at a time: the others keep serving (or, for the sync
            // service, take the lock over).
            yield return new V1PodDisruptionBudget
            {
                ApiVersion = "policy/v1", Kind = "PodDisruptionBudget",
                Metadata = Meta(project.Name),
                Spec = new V1PodDisruptionBudgetSpec
                {
                    MinAvailable = project.Replicas - 1,
                    Selector = new V1LabelSelector { MatchLabels = Labels(project.Name) },
                },
            };
        }
    }

    /// <summary>The pod of a project: its settings from its ConfigMap, secrets and public addresses one by one.</summary>
    private V1PodTemplateSpec PodFor(PublishedProject project, string settings)
    {
        var variables = new List<V1EnvVar>
        {
            new() { Name = "POD_NAME", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" } } },
            new() { Name = "OTEL_SERVICE_NAME", Value = project.Name },
            // Each pod is one replica in the dashboards, as each process is here.
            new() { Name = "OTEL_RESOURCE_ATTRIBUTES", Value = "service.instance.id=$(POD_NAME)" },
        };
        variables.AddRange(VariablesOf(project).FromSources);

        var container = new V1Container
        {
            Name = project.Name,
            Image = ImageOf(project),
            EnvFrom = [new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = settings } }],
            Env = variables,
            Resources = Resources("100m", "256Mi", "1", "512Mi"),
            SecurityContext = Restricted(AppUser),
            // The root filesystem is read-only; .NET writes its temporary files here.
            VolumeMounts = [new V1VolumeMount { Name = "tmp", MountPath = "/tmp" }],
        };
        if (project.Bindings.Count > 0)
        {
            container.Ports = [.. project.Bindings.Select(b => new V1ContainerPort { Name = b.Name, ContainerPort = KubernetesEnvironment.PortOf(b) })];
        }
        if (project.HealthCheckPath is { } health)
        {
            // Ready once its dependencies answer (its /health checks them); alive while the process itself responds.
            container.ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = health, Port = "http" }, PeriodSeconds = 5 };
            container.LivenessProbe = new V1Probe
            {
                HttpGet = new V1HTTPGetAction { Path = "/alive", Port = "http" },
                InitialDelaySeconds = 10,
                PeriodSeconds = 10,
                FailureThreshold = 6,
            };
        }

        var spec = new V1PodSpec
        {
            Containers = [container],
            Volumes = [new V1Volume { Name = "tmp", EmptyDir = new V1EmptyDirVolumeSource() }],
            SecurityContext = new V1PodSecurityContext { RunAsNonRoot = true, SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" } },
            AutomountServiceAccountToken = false,
            // Longer than the host's own 30 s to stop: a sync service finishes its batch and hands the lock over
            // before Kubernetes would kill it.
            TerminationGracePeriodSeconds = 45,
        };
        var jobs = JobsWaitedForBy(project).ToList();
        if (jobs.Count > 0)
        {
            spec.ServiceAccountName = JobWatcher;
            spec.AutomountServiceAccountToken = true;
            spec.InitContainers =
            [
                .. jobs.Select(job => new V1Container
                {
                    Name = $"wait-for-{job}",
                    Image = KubectlImage,
                    Args = ["wait", "--for=condition=complete", $"job/{job}", "--timeout=10m"],
                    Resources = Resources("10m", "32Mi", "200m", "128Mi"),
                    SecurityContext = Restricted(65532),
                }),
            ];
        }
        return new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = Labels(project.Name) }, Spec = spec };
    }

    /// <summary>Lets the services' pods read Jobs, so that they start only once the migrations completed.</summary>
    private static IEnumerable<IKubernetesObject> JobWatcherObjects()
    {
        yield return new V1ServiceAccount { ApiVersion = "v1", Kind = "ServiceAccount", Metadata = Meta(JobWatcher) };
        yield return new V1Role
        {
            ApiVersion = "rbac.authorization.k8s.io/v1", Kind = "Role",
            Metadata = Meta(JobWatcher),
            Rules = [new V1PolicyRule { ApiGroups = ["batch"], Resources = ["jobs"], Verbs = ["get", "list", "watch"] }],
        };
        yield return new V1RoleBinding
        {
            ApiVersion = "rbac.authorization.k8s.io/v1", Kind = "RoleBinding",
            Metadata = Meta(JobWatcher),
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = JobWatcher },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = JobWatcher }],
        };
    }

    /// <summary>A container of the graph (a store, Keycloak) as a StatefulSet with its data on a claim, and its Service.</summary>
    private IEnumerable<IKubernetesObject> ContainerObjects(PublishedContainer published)
    {
        var container = new V1Container
        {
            Name = published.Name,
            Image = published.Image,
            Command = published.Entrypoint is { } entrypoint ? [entrypoint] : null,
            Args = published.Args.Count > 0 ? [.. published.Args] : null,
            Env = [.. published.Environment.Select(v => _environment.Variable(v.Key, v.Value))],
            Ports = [.. published.Bindings.Select(b => new V1ContainerPort { Name = b.Name, ContainerPort = KubernetesEnvironment.PortOf(b) })],
            Resources = Resources("100m", "256Mi", "1", "1Gi"),
            // Not a read-only root: the images write beside their programs (Keycloak builds itself on start,
            // PostgreSQL keeps its socket in /var/run).
            SecurityContext = Restricted(published.User, readOnlyRoot: false),
            VolumeMounts =
            [
                .. published.Volumes.Select(v => new V1VolumeMount { Name = v.Name, MountPath = v.Target }),
                .. published.BindMounts.Select((m, i) => new V1VolumeMount { Name = MountName(published, i), MountPath = m.Target, ReadOnlyProperty = true }),
            ],
            ReadinessProbe = published.HealthCheckPath is { } path
                ? new V1Probe { HttpGet = new V1HTTPGetAction { Path = path, Port = published.HealthBinding }, PeriodSeconds = 5 }
                : new V1Probe { TcpSocket = new V1TCPSocketAction { Port = published.Bindings[0].Name }, PeriodSeconds = 5 },
        };
        yield return new V1StatefulSet
        {
            ApiVersion = "apps/v1", Kind = "StatefulSet",
            Metadata = Meta(published.Name),
            Spec = new V1StatefulSetSpec
            {
                ServiceName = published.Name,
                Replicas = 1,
                Selector = new V1LabelSelector { MatchLabels = Labels(published.Name) },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = Labels(published.Name) },
                    Spec = new V1PodSpec
                    {
                        Containers = [container],
                        SecurityContext = new V1PodSecurityContext
                        {
                            RunAsNonRoot = true,
                            FsGroup = published.User,
                            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
                        },
                        AutomountServiceAccountToken = false,
                        Volumes = published.BindMounts.Count == 0 ? null :
                        [
                            .. published.BindMounts.Select((_, i) => new V1Volume
                            {
                                Name = MountName(published, i),
                                ConfigMap = new V1ConfigMapVolumeSource { Name = MountName(published, i) },
                            }),
                        ],
                    },
                },
                VolumeClaimTemplates =
                [
                    .. published.Volumes.Select(v => new V1PersistentVolumeClaim
                    {
                        Metadata = new V1ObjectMeta { Name = v.Name },
                        Spec = new V1PersistentVolumeClaimSpec
                        {
                            AccessModes = ["ReadWriteOnce"],
                            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") } },
                        },
                    }),
                ],
            },
        };
        yield return Service(published.Name, published.Bindings);
        foreach (var binding in published.Bindings.Where(b => b.External))
        {
            yield return Ingress(published.Name, binding);
        }
    }

    private static V1Service Service(string name, IEnumerable<PublishedBinding> bindings) => new()
    {
        ApiVersion = "v1", Kind = "Service",
        Metadata = Meta(name),
        Spec = new V1ServiceSpec
        {
            Selector = Labels(name),
            Ports = [.. bindings.Select(b => new V1ServicePort { Name = b.Name, Port = KubernetesEnvironment.PortOf(b), TargetPort = b.Name })],
        },
    };

    /// <summary>Routes the binding's public host (<c>&lt;name&gt;.q4.localtest.me</c>; the prod overlay sets its own) to the Service.</summary>
    private static V1Ingress Ingress(string name, PublishedBinding binding) => new()
    {
        ApiVersion = "networking.k8s.io/v1", Kind = "Ingress",
        Metadata = Meta(name),
        Spec = new V1IngressSpec
        {
            Rules =
            [
                new V1IngressRule
                {
                    Host = DevHost(name),
                    Http = new V1HTTPIngressRuleValue
                    {
                        Paths =
                        [
                            new V1HTTPIngressPath
                            {
                                Path = "/",
                                PathType = "Prefix",
                                Backend = new V1IngressBackend
                                {
                                    Service = new V1IngressServiceBackend { Name = name, Port = new V1ServiceBackendPort { Name = binding.Name } },
                                },
                            },
                        ],
                    },
                },
            ],
        },
    };

    private static string DevHost(string name) => $"{name}.q4.localtest.me";

    private static string ProdHost(string name) => $"{name}.example.com";

    private string BaseKustomization(IEnumerable<string> resources)
    {
        var yaml = new KustomizationWriter();
        yaml.Line("# Written by `dotnet run --project Q4.AppHost -- --publisher kubernetes`; do not edit, publish again.");
        yaml.Header();
        yaml.Line("labels:");
        yaml.Line("  - pairs:");
        yaml.Line("      app.kubernetes.io/part-of: q4");
        yaml.List("resources", resources);
        yaml.Line("configMapGenerator:");
        foreach (var project in Projects)
        {
            yaml.Line($"  - name: {project.Name}-env");
            yaml.List("    literals", VariablesOf(project).Literals.Select(v => $"{v.Name}={v.Value}"));
        }
        if (_registry is not null)
        {
            yaml.Line("images:");
            foreach (var project in Projects)
            {
                yaml.Line($"  - name: {ImageOf(project)}");
                yaml.Line($"    newName: {_registry}/{ImageOf(project)}");
            }
        }
        return yaml.ToString();
    }

    private string DevKustomization(IEnumerable<string> resources, List<(string ConfigMap, string Path)> files)
    {
        var yaml = new KustomizationWriter();
        yaml.Line("# Development: the stores and Keycloak run in the cluster, with development-only secrets (never expose it).");
        yaml.Header();
        yaml.List("resources", resources);
        yaml.Line("configMapGenerator:");
        yaml.Line($"  - name: {KubernetesEnvironment.PublicUrlsConfigMap}");
        yaml.List("    literals", ExternalBindings().Select(b => $"{KubernetesEnvironment.PublicUrlKey(b.Resource)}={b.Binding.Scheme}://{DevHost(b.Resource)}"));
        foreach (var group in files.GroupBy(f => f.ConfigMap))
        {
            yaml.Line($"  - name: {group.Key}");
            yaml.List("    files", group.Select(f => f.Path));
        }
        yaml.Line("secretGenerator:");
        yaml.Line($"  - name: {KubernetesEnvironment.ParametersSecret}");
        yaml.List("    literals", Parameters.Select(p => $"{p.Name}={DevSecret(p.Name)}"));
        yaml.Line($"  - name: {KubernetesEnvironment.ConnectionStringsSecret}");
        yaml.List("    literals", ConnectionStrings().Select(name => $"{name}={_environment.Resolve(Expressions.ConnectionString(name), DevSecret)}"));
        return yaml.ToString();
    }

    private string ProdKustomization()
    {
        var yaml = new KustomizationWriter();
        yaml.Line("# Production: the stores and Keycloak are the operator's; see README.md here for what to provide.");
        yaml.Header();
        yaml.List("resources", ["../../base"]);
        yaml.Line("configMapGenerator:");
        yaml.Line($"  - name: {KubernetesEnvironment.PublicUrlsConfigMap}");
        yaml.List("    literals", ExternalBindings().Select(b => $"{KubernetesEnvironment.PublicUrlKey(b.Resource)}=https://{ProdHost(b.Resource)}"));
        var ingresses = Projects.SelectMany(p => p.Bindings.Where(b => b.External).Select(_ => p.Name)).ToList();
        if (ingresses.Count > 0)
        {
            yaml.Line("patches:");
            foreach (var name in ingresses)
            {
                yaml.Line($"  - target:");
                yaml.Line($"      kind: Ingress");
                yaml.Line($"      name: {name}");
                yaml.Line($"    patch: |-");
                yaml.Line($"      - op: replace");
                yaml.Line($"        path: /spec/rules/0/host");
                yaml.Line($"        value: {ProdHost(name)}");
                yaml.Line($"      - op: add");
                yaml.Line($"        path: /spec/tls");
                yaml.Line($"        value: [{{\"hosts\": [\"{ProdHost(name)}\"], \"secretName\": \"{name}-tls\"}}]");
            }
        }
        return yaml.ToString();
    }

    private string ProdReadme()
    {
        var text = new StringBuilder();
        text.AppendLine("# What the prod overlay expects");
        text.AppendLine();
        text.AppendLine("Written by the Kubernetes publisher. Before `kubectl apply -k deploy/k8s/overlays/prod`:");
        text.AppendLine();
        text.AppendLine($"1. Secret `{KubernetesEnvironment.ConnectionStringsSecret}`, one key per store the services use (formats as in the README):");
        foreach (var name in ConnectionStrings())
        {
            text.AppendLine($"   - `{name}`");
        }
        var used = UsedParameters().ToList();
        text.AppendLine($"2. Secret `{KubernetesEnvironment.ParametersSecret}` with the keys the services read:");
        foreach (var name in used)
        {
            text.AppendLine($"   - `{name}`");
        }
        text.AppendLine("3. The public addresses in `kustomization.yaml` (`example.com`), a TLS secret `<name>-tls` for each Ingress, and the images");
        text.AppendLine("   in your registry (`--container-registry` when publishing, or `kustomize edit set image`).");
        return text.ToString();
    }

    /// <summary>
    /// A project's variables as Kubernetes takes them: the literals its ConfigMap holds, and those that come from a
    /// Secret or the public addresses' ConfigMap, one by one.
    /// </summary>
    private (IEnumerable<V1EnvVar> Literals, IEnumerable<V1EnvVar> FromSources) VariablesOf(PublishedProject project)
    {
        var variables = project.Environment.Select(v => _environment.Variable(v.Key, v.Value)).ToLookup(v => v.ValueFrom is null);
        return (variables[true], variables[false]);
    }

    /// <summary>The resources whose connection string the projects are handed.</summary>
    private IEnumerable<string> ConnectionStrings() => ReferencedByProjects("connectionString");

    /// <summary>The parameters the projects read (the prod overlay's Secret must hold these).</summary>
    private IEnumerable<string> UsedParameters() => ReferencedByProjects("value");

    /// <summary>The resources the projects' variables refer to for <paramref name="property"/>, each once, in order.</summary>
    private IEnumerable<string> ReferencedByProjects(string property) =>
        Projects.SelectMany(p => p.Environment.Values)
            .SelectMany(Expressions.In)
            .Where(r => r.Binding is null && r.Property == property)
            .Select(r => r.Resource)
            .Distinct()
            .Order(StringComparer.Ordinal);

    private IEnumerable<(string Resource, PublishedBinding Binding)> ExternalBindings() =>
        _resources.OfType<PublishedWorkload>().SelectMany(w => w.Bindings.Where(b => b.External).Select(b => (w.Name, b)));

    /// <summary>A development-only value for a parameter: known, so that the committed overlay is what publishing writes.</summary>
    private static string DevSecret(string parameter) => $"dev-only-{parameter}";

    private static string MountName(PublishedContainer container, int index) => index == 0 ? $"{container.Name}-files" : $"{container.Name}-files-{index}";

    private static string ImageOf(PublishedProject project) => $"q4-{project.Name}";

    private static Dictionary<string, string> Labels(string name) => new() { [NameLabel] = name };

    private static V1ObjectMeta Meta(string name) => new() { Name = name, Labels = Labels(name) };

    private static V1ResourceRequirements Resources(string cpu, string memory, string cpuLimit, string memoryLimit) => new()
    {
        Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu), ["memory"] = new(memory) },
        Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpuLimit), ["memory"] = new(memoryLimit) },
    };

    private static V1SecurityContext Restricted(long user, bool readOnlyRoot = true) => new()
    {
        RunAsNonRoot = true,
        RunAsUser = user,
        AllowPrivilegeEscalation = false,
        ReadOnlyRootFilesystem = readOnlyRoot,
        Capabilities = new V1Capabilities { Drop = ["ALL"] },
    };

    private static string Documents(IEnumerable<IKubernetesObject> objects) =>
        string.Join("---\n", objects.Select(o => KubernetesYaml.Serialize(o).TrimEnd() + "\n"));

    /// <summary>A kustomization file: a handful of lists, written plainly.</summary>
    private sealed class KustomizationWriter
    {
        private readonly StringBuilder _text = new();

        public void Header()
        {
            Line("apiVersion: kustomize.config.k8s.io/v1beta1");
            Line("kind: Kustomization");
        }

        public void Line(string line) => _text.Append(line).Append('\n');

        public void List(string key, IEnumerable<string> items)
        {
            Line($"{key}:");
            var indent = new string(' ', key.Length - key.TrimStart().Length + 2);
            foreach (var item in items)
            {
                Line($"{indent}- {Quote(item)}");
            }
        }

        /// <summary>Quoted when YAML would read it otherwise (a colon followed by a space, a leading special character).</summary>
        private static string Quote(string item) =>
            item.Contains(": ") || item.Contains(" #") || item.IndexOfAny(['{', '[', '*', '&', '!', '|', '>', '\'', '"', '%', '@', '`']) == 0
                ? "\"" + item.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\""
                : item;

        public override string ToString() => _text.ToString();
    }
}
