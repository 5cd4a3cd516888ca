using System.Text.Json;

namespace Q4.DevIdentity.Realm;

/// <summary>Reads a Keycloak realm export into a <see cref="RealmModel"/>.</summary>
public static class RealmFile
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static RealmModel Load(string path)
    {
        RealmRepresentation? representation;
        try
        {
            using var stream = File.OpenRead(path);
            representation = JsonSerializer.Deserialize<RealmRepresentation>(stream, Json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new RealmFileException($"Cannot read the realm file {path}: {e.Message}", e);
        }
        if (representation is null || string.IsNullOrWhiteSpace(representation.Realm))
        {
            throw new RealmFileException($"The realm file {path} names no realm (property \"realm\").");
        }
        try
        {
            return ToModel(representation);
        }
        catch (InvalidOperationException e)
        {
            throw new RealmFileException($"The realm file {path} is not usable: {e.Message}", e);
        }
    }

    private static RealmModel ToModel(RealmRepresentation realm)
    {
        var roles = realm.Roles?.Realm?.Select(r => r.Name).ToList() ?? [];
        var clients = (realm.Clients ?? []).Where(c => c.Enabled).Select(ToClient).ToList();
        var users = (realm.Users ?? []).Select(user => ToUser(user, roles)).ToList();
        var duplicate = users.GroupBy(u => u.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"two users have the id {duplicate.Key}.");
        }
        return new RealmModel(
            realm.Realm,
            TimeSpan.FromSeconds(realm.AccessTokenLifespan),
            TimeSpan.FromSeconds(realm.SsoSessionIdleTimeout),
            roles, clients, users);
    }

    private static RealmClient ToClient(ClientRepresentation client)
    {
        var attributes = client.Attributes ?? [];
        if (!client.PublicClient && !client.BearerOnly && (client.StandardFlowEnabled || client.DirectAccessGrantsEnabled)
            && string.IsNullOrEmpty(client.Secret))
        {
            throw new InvalidOperationException($"the confidential client {client.ClientId} has no \"secret\".");
        }
        // Keycloak keeps several post-logout redirect URIs in one attribute, separated by "##".
        var postLogout = attributes.TryGetValue("post.logout.redirect.uris", out var joined)
            ? joined.Split("##", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [];
        // Keycloak's way to add an audience: an oidc-audience-mapper naming another client.
        var audiences = (client.ProtocolMappers ?? [])
            .Where(m => m.ProtocolMapper == "oidc-audience-mapper" && m.Config is not null)
            .Where(m => !m.Config!.TryGetValue("access.token.claim", out var toAccessToken) || toAccessToken == "true")
            .Select(m => m.Config!.GetValueOrDefault("included.client.audience"))
            .OfType<string>()
            .Where(a => a.Length > 0)
            .Distinct()
            .ToList();
        return new RealmClient(
            client.ClientId,
            client.Name ?? client.ClientId,
            client.PublicClient,
            client.PublicClient ? null : client.Secret,
            !client.BearerOnly && client.StandardFlowEnabled,
            !client.BearerOnly && client.DirectAccessGrantsEnabled,
            attributes.TryGetValue("pkce.code.challenge.method", out var pkce) && !string.IsNullOrEmpty(pkce),
            client.RedirectUris ?? [],
            postLogout,
            audiences);
    }

    private static RealmUser ToUser(UserRepresentation user, List<string> realmRoles)
    {
        if (string.IsNullOrWhiteSpace(user.Id))
        {
            // Keycloak would invent one, and "sub" would change on every import; DevIdentity insists on a fixed one.
            throw new InvalidOperationException($"the user {user.Username} has no \"id\".");
        }
        var unknownRole = user.RealmRoles?.FirstOrDefault(r => !realmRoles.Contains(r));
        if (unknownRole is not null)
        {
            throw new InvalidOperationException($"the user {user.Username} has the realm role {unknownRole}, which the realm does not define.");
        }
        var password = user.Credentials?.FirstOrDefault(c => c.Type == "password")?.Value;
        return new RealmUser(user.Id, user.Username.ToLowerInvariant(), user.Enabled, user.FirstName, user.LastName,
            user.Email, user.EmailVerified, user.RealmRoles ?? [], password);
    }
}

/// <summary>The realm file is missing, unreadable or inconsistent; the message says which and where.</summary>
public sealed class RealmFileException(string message, Exception? inner = null) : Exception(message, inner);
