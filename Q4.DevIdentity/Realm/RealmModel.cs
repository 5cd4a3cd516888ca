using System.Security.Cryptography;
using System.Text;

namespace Q4.DevIdentity.Realm;

/// <summary>A realm as DevIdentity serves it: its users and clients, read once at start from the realm file.</summary>
public sealed class RealmModel
{
    private readonly Dictionary<string, RealmUser> _byId;
    private readonly Dictionary<string, RealmUser> _byLogin;

    internal RealmModel(string name, TimeSpan accessTokenLifetime, TimeSpan ssoSessionIdleTimeout,
        IReadOnlyList<string> roles, IReadOnlyList<RealmClient> clients, IReadOnlyList<RealmUser> users)
    {
        Name = name;
        AccessTokenLifetime = accessTokenLifetime;
        SsoSessionIdleTimeout = ssoSessionIdleTimeout;
        Roles = roles;
        Clients = clients;
        Users = users;
        _byId = users.ToDictionary(u => u.Id, StringComparer.Ordinal);
        // Keycloak lets people sign in with their username or (loginWithEmailAllowed, on by default) their email.
        _byLogin = new Dictionary<string, RealmUser>(StringComparer.OrdinalIgnoreCase);
        foreach (var user in users)
        {
            _byLogin[user.Username] = user;
            if (user.Email is { Length: > 0 } email)
            {
                _byLogin.TryAdd(email, user);
            }
        }
    }

    public string Name { get; }

    /// <summary>Keycloak's URL prefix for this realm: every endpoint lives below it.</summary>
    public string BasePath => "/realms/" + Name;

    public TimeSpan AccessTokenLifetime { get; }

    public TimeSpan SsoSessionIdleTimeout { get; }

    public IReadOnlyList<string> Roles { get; }

    public IReadOnlyList<RealmClient> Clients { get; }

    public IReadOnlyList<RealmUser> Users { get; }

    public RealmUser? FindUserById(string? id) => id is not null && _byId.TryGetValue(id, out var user) ? user : null;

    public RealmUser? FindUserByLogin(string? login) =>
        login is not null && _byLogin.TryGetValue(login.Trim(), out var user) ? user : null;

    public RealmClient? FindClient(string? clientId) => Clients.FirstOrDefault(c => c.ClientId == clientId);

    /// <summary>The user, when the login names an enabled user whose password matches.</summary>
    public RealmUser? CheckCredentials(string? login, string? password) =>
        FindUserByLogin(login) is { Enabled: true } user && user.HasPassword(password) ? user : null;
}

public sealed record RealmUser(
    string Id,
    string Username,
    bool Enabled,
    string? FirstName,
    string? LastName,
    string? Email,
    bool EmailVerified,
    IReadOnlyList<string> RealmRoles,
    string? Password)
{
    /// <summary>Keycloak's <c>name</c> claim: first and last name joined, when there are any.</summary>
    public string? DisplayName =>
        string.Join(' ', new[] { FirstName, LastName }.Where(part => !string.IsNullOrWhiteSpace(part))) is { Length: > 0 } name
            ? name
            : null;

    public bool HasPassword(string? candidate) =>
        Password is not null && candidate is not null &&
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(Password), Encoding.UTF8.GetBytes(candidate));
}

public sealed record RealmClient(
    string ClientId,
    string DisplayName,
    bool PublicClient,
    string? Secret,
    bool StandardFlowEnabled,
    bool DirectAccessGrantsEnabled,
    bool RequirePkce,
    IReadOnlyList<string> RedirectUris,
    IReadOnlyList<string> PostLogoutRedirectUris,
    IReadOnlyList<string> AccessTokenAudiences)
{
    /// <summary>A client through which nobody can obtain a token (Keycloak's bearer-only style): only an audience.</summary>
    public bool IsAudienceOnly => !StandardFlowEnabled && !DirectAccessGrantsEnabled;
}
