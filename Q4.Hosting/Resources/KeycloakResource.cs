using Q4.Hosting.Publishing;

namespace Q4.Hosting;

/// <summary>
/// Keycloak, which a published graph runs where this machine runs the development identity provider
/// (<see cref="KeycloakBuilderExtensions.PublishAsKeycloak"/>): it imports the realm files of <see cref="RealmImport"/>
/// on its first start, serves sign-in on its external <c>http</c> binding and health on <c>management</c>.
/// </summary>
public sealed class KeycloakResource(string name, string realmImport) : Resource(name)
{
    /// <summary>The folder of realm exports mounted at <c>/opt/keycloak/data/import</c>.</summary>
    public string RealmImport { get; } = realmImport;

    /// <summary>Variables for the container, in the manifest's expressions (the realm's placeholders read them).</summary>
    internal Dictionary<string, string> Environment { get; } = [];

    internal override int StopOrder => StopOrders.Service;

    internal override IReadOnlyList<string> Urls => [];

    internal override void Allocate(RunContext context) => throw NotRunHere();

    internal override Task StartAsync(RunContext context, CancellationToken cancellationToken) => throw NotRunHere();

    internal override IEnumerable<PublishedResource> Publish()
    {
        var password = $"{Name}-password";
        yield return new PublishedParameter(password, Secret: true);
        var environment = new Dictionary<string, string>
        {
            ["KC_BOOTSTRAP_ADMIN_USERNAME"] = "admin",
            ["KC_BOOTSTRAP_ADMIN_PASSWORD"] = Expressions.Value(password),
            ["KC_HEALTH_ENABLED"] = "true",
            // Behind the platform's ingress, which ends TLS: Keycloak speaks HTTP to it and names itself by its public
            // address, the one in the tokens' issuer that the services trust.
            ["KC_HTTP_ENABLED"] = "true",
            ["KC_PROXY_HEADERS"] = "xforwarded",
            ["KC_HOSTNAME"] = Expressions.Binding(Name, "http", "url"),
        };
        foreach (var (key, value) in Environment)
        {
            environment[key] = value;
        }
        yield return new PublishedContainer(Name, "quay.io/keycloak/keycloak:26.4")
        {
            Args = ["start", "--import-realm"],
            Environment = environment,
            // Browsers reach it to sign in, so its HTTP binding is external; health is on the management port.
            Bindings =
            [
                new PublishedBinding("http", "http", "http", TargetPort: 8080, External: true),
                new PublishedBinding("management", "http", "http", TargetPort: 9000),
            ],
            User = 1000,
            Volumes = [new PublishedVolume($"q4-{Name}-data", "/opt/keycloak/data")],
            BindMounts = [new PublishedBindMount(RealmImport, "/opt/keycloak/data/import")],
            HealthCheckPath = "/health/ready",
            HealthBinding = "management",
        };
    }

    private InvalidOperationException NotRunHere() =>
        new($"{Name} stands in for another resource in published graphs only; it never runs here.");
}

public static class KeycloakBuilderExtensions
{
    /// <summary>
    /// In a published graph, Keycloak named <paramref name="name"/> takes this project's place, importing the realms in
    /// <paramref name="realmImport"/> (relative to the repository). References to the project become references to
    /// it under the project's name (<c>services__&lt;project&gt;__http__0</c>), so the services find either the same way.
    /// </summary>
    public static ResourceBuilder<KeycloakResource> PublishAsKeycloak(this ResourceBuilder<ProjectResource> builder, string name, string realmImport)
    {
        var keycloak = new KeycloakResource(name, Path.GetFullPath(Path.Combine(DistributedApplicationBuilder.RepositoryRoot, realmImport)));
        builder.Resource.PublishedAs = keycloak;
        return new ResourceBuilder<KeycloakResource>(keycloak, builder.ApplicationBuilder);
    }

    /// <summary>Hands Keycloak a project's public address (a realm placeholder such as a client's redirect URL).</summary>
    public static ResourceBuilder<KeycloakResource> WithEnvironment(this ResourceBuilder<KeycloakResource> builder, string name, EndpointReference endpoint)
    {
        builder.Resource.Environment[name] = endpoint.Expression;
        return builder;
    }

    /// <summary>Hands Keycloak a parameter's value (a client's secret).</summary>
    public static ResourceBuilder<KeycloakResource> WithEnvironment(this ResourceBuilder<KeycloakResource> builder, string name, ResourceBuilder<ParameterResource> parameter)
    {
        builder.Resource.Environment[name] = Expressions.Value(parameter.Resource.Name);
        return builder;
    }
}
