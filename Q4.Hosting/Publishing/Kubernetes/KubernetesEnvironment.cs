using k8s.Models;

namespace Q4.Hosting.Publishing.Kubernetes;

/// <summary>
/// Turns the manifest's expressions into what Kubernetes knows: another resource's address becomes its Service's
/// name and port, a secret (a parameter, a connection string) a key of a Secret, a public address (an external
/// binding) a key of the ConfigMap the overlay writes. Only a whole value can come from a Secret or a ConfigMap.
/// </summary>
internal sealed class KubernetesEnvironment(IReadOnlyList<PublishedResource> resources)
{
    /// <summary>Every parameter's value, by parameter name.</summary>
    public const string ParametersSecret = "q4-parameters";

    /// <summary>Every connection string a project is handed, by resource name.</summary>
    public const string ConnectionStringsSecret = "q4-connection-strings";

    /// <summary>The public address of every external binding, <c>&lt;resource&gt;-url</c>.</summary>
    public const string PublicUrlsConfigMap = "q4-public-urls";

    /// <summary>What an ASP.NET Core image listens on unless told otherwise; the projects' bindings name no port.</summary>
    public const int DefaultHttpPort = 8080;

    private readonly Dictionary<string, PublishedResource> _byName = resources.ToDictionary(r => r.Name);

    public static string PublicUrlKey(string resource) => $"{resource}-url";

    /// <summary>The variable <paramref name="name"/> with <paramref name="value"/>, from a Secret or a ConfigMap when it must be.</summary>
    public V1EnvVar Variable(string name, string value)
    {
        var references = Expressions.In(value).ToList();
        if (references is [var only] && only.Text == value)
        {
            switch (only)
            {
                case { Binding: null, Property: "value" }:
                    return FromSecret(name, ParametersSecret, only.Resource);
                case { Binding: null, Property: "connectionString" }:
                    return FromSecret(name, ConnectionStringsSecret, only.Resource);
                case { Binding: { } binding, Property: "url" } when Binding(only.Resource, binding).External:
                    return new V1EnvVar
                    {
                        Name = name,
                        ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = PublicUrlsConfigMap, Key = PublicUrlKey(only.Resource) } },
                    };
            }
        }
        return new V1EnvVar { Name = name, Value = Resolve(value, secretValue: null) };
    }

    /// <summary>
    /// <paramref name="value"/> with every expression filled in, a parameter's value by <paramref name="secretValue"/>
    /// (the development overlay's connection strings); without it a secret inside a longer value is an error.
    /// </summary>
    public string Resolve(string value, Func<string, string>? secretValue)
    {
        var resolved = value;
        foreach (var reference in Expressions.In(value))
        {
            resolved = resolved.Replace(reference.Text, reference switch
            {
                { Binding: null, Property: "value" } when secretValue is not null => secretValue(reference.Resource),
                { Binding: null, Property: "connectionString" } when secretValue is not null =>
                    Resolve(ConnectionStringOf(reference.Resource), secretValue),
                { Binding: { } binding } => BindingValue(reference.Resource, binding, reference.Property),
                _ => throw new AppHostException(
                    $"'{value}' holds {reference.Text} inside a longer value; Kubernetes can take a secret only as a whole variable."),
            });
        }
        return resolved;
    }

    /// <summary>The port a resource's binding listens on in its pod (and its Service's port).</summary>
    public PublishedBinding Binding(string resource, string binding) =>
        BindingsOf(resource).FirstOrDefault(b => b.Name == binding)
            ?? throw new AppHostException($"{resource} has no binding '{binding}'.");

    public static int PortOf(PublishedBinding binding) => binding.TargetPort ?? DefaultHttpPort;

    private string BindingValue(string resource, string bindingName, string property)
    {
        var binding = Binding(resource, bindingName);
        return property switch
        {
            "host" => resource,
            "port" or "targetPort" => PortOf(binding).ToString(),
            "scheme" => binding.Scheme,
            "url" when !binding.External => $"{binding.Scheme}://{resource}:{PortOf(binding)}",
            _ => throw new AppHostException($"{{{resource}.bindings.{bindingName}.{property}}} has no value inside a longer one in Kubernetes."),
        };
    }

    private string ConnectionStringOf(string resource) => _byName.GetValueOrDefault(resource) switch
    {
        PublishedContainer { ConnectionString: { } connectionString } => connectionString,
        PublishedValue value => value.ConnectionString,
        _ => throw new AppHostException($"{resource} has no connection string."),
    };

    private IReadOnlyList<PublishedBinding> BindingsOf(string resource) =>
        (_byName.GetValueOrDefault(resource) as PublishedWorkload)?.Bindings
            ?? throw new AppHostException($"{resource} is not a resource with bindings.");

    private static V1EnvVar FromSecret(string name, string secret, string key) => new()
    {
        Name = name,
        ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = secret, Key = key } },
    };
}
