using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using Q4.DevIdentity.Realm;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Q4.DevIdentity.Storage;

/// <summary>
/// Makes OpenIddict's application store say what the realm file says, on every start: the file is the only place
/// clients are defined, so an edited secret or redirect URI takes effect at the next start and a removed client is gone.
/// </summary>
internal sealed class ClientRegistration(
    IServiceProvider services, RealmModel realm, IOptions<DevIdentityOptions> options, ILogger<ClientRegistration> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<IdentityStore>();
        await store.Database.EnsureCreatedAsync(cancellationToken);

        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var wanted = realm.Clients.Where(c => !c.IsAudienceOnly).ToDictionary(c => c.ClientId);

        var existing = new List<object>();
        await foreach (var application in manager.ListAsync(count: null, offset: null, cancellationToken))
        {
            existing.Add(application);
        }
        foreach (var application in existing)
        {
            var clientId = await manager.GetClientIdAsync(application, cancellationToken);
            var client = clientId is null ? null : wanted.GetValueOrDefault(clientId);
            // A client whose type changed is recreated: OpenIddict cannot turn a hashed secret into none.
            if (client is null || await manager.HasClientTypeAsync(application, ClientTypeOf(client), cancellationToken) is false)
            {
                await manager.DeleteAsync(application, cancellationToken);
                continue;
            }
            await manager.UpdateAsync(application, Describe(client, OriginOf(client)), cancellationToken);
            wanted.Remove(client.ClientId);
        }
        foreach (var client in wanted.Values)
        {
            await manager.CreateAsync(Describe(client, OriginOf(client)), cancellationToken);
        }
        logger.LogInformation("Realm {Realm}: {Clients} clients, {Users} users.",
            realm.Name, realm.Clients.Count, realm.Users.Count);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private Uri? OriginOf(RealmClient client) => options.Value.ClientOrigins.GetValueOrDefault(client.ClientId);

    private static string ClientTypeOf(RealmClient client) => client.PublicClient ? ClientTypes.Public : ClientTypes.Confidential;

    /// <summary>Keycloak's switches as OpenIddict permissions: what the client may do is exactly what the realm allows.</summary>
    private static OpenIddictApplicationDescriptor Describe(RealmClient client, Uri? origin)
    {
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = client.ClientId,
            ClientSecret = client.Secret,
            ClientType = ClientTypeOf(client),
            DisplayName = client.DisplayName,
            // Keycloak's consentRequired is off for Q4's clients: no consent screen.
            ConsentType = ConsentTypes.Implicit,
        };
        descriptor.Permissions.UnionWith([
            Permissions.Endpoints.Token,
            Permissions.GrantTypes.RefreshToken,
            Permissions.Scopes.Profile,
            Permissions.Scopes.Email,
            Permissions.Scopes.Roles,
            Permissions.Prefixes.Scope + Scopes.OfflineAccess,
        ]);
        if (client.StandardFlowEnabled)
        {
            descriptor.Permissions.UnionWith([
                Permissions.Endpoints.Authorization,
                Permissions.Endpoints.EndSession,
                Permissions.GrantTypes.AuthorizationCode,
                Permissions.ResponseTypes.Code,
            ]);
            descriptor.RedirectUris.UnionWith(client.RedirectUris.Where(IsExact).SelectMany(uri => AtOrigin(uri, origin)));
            descriptor.PostLogoutRedirectUris.UnionWith(client.PostLogoutRedirectUris.Where(IsExact).SelectMany(uri => AtOrigin(uri, origin)));
        }
        if (client.DirectAccessGrantsEnabled)
        {
            descriptor.Permissions.Add(Permissions.GrantTypes.Password);
        }
        if (client.RequirePkce)
        {
            descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
        }
        return descriptor;
    }

    /// <summary>The URI as the realm has it, and the same path at <paramref name="origin"/> when there is one.</summary>
    private static IEnumerable<Uri> AtOrigin(string uri, Uri? origin)
    {
        var registered = new Uri(uri);
        yield return registered;
        if (origin is not null)
        {
            yield return new Uri(origin, registered.PathAndQuery);
        }
    }

    /// <summary>Keycloak accepts wildcard redirect URIs; OpenIddict matches exactly, so those are left out.</summary>
    private static bool IsExact(string uri) => !uri.Contains('*') && Uri.IsWellFormedUriString(uri, UriKind.Absolute);
}
