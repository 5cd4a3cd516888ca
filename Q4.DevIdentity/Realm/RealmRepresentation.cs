namespace Q4.DevIdentity.Realm;

// The parts of Keycloak's realm export format (RealmRepresentation and friends) that DevIdentity reads.
// Property names follow Keycloak's JSON exactly; everything else in the file is ignored.

internal sealed record RealmRepresentation(
    string Realm,
    bool Enabled = true,
    int AccessTokenLifespan = 300,
    int SsoSessionIdleTimeout = 1800,
    RolesRepresentation? Roles = null,
    List<ClientRepresentation>? Clients = null,
    List<UserRepresentation>? Users = null);

internal sealed record RolesRepresentation(List<RoleRepresentation>? Realm = null);

internal sealed record RoleRepresentation(string Name, string? Description = null);

internal sealed record ClientRepresentation(
    string ClientId,
    string? Name = null,
    bool Enabled = true,
    bool PublicClient = false,
    bool BearerOnly = false,
    string? Secret = null,
    bool StandardFlowEnabled = true,
    bool DirectAccessGrantsEnabled = false,
    List<string>? RedirectUris = null,
    Dictionary<string, string>? Attributes = null,
    List<ProtocolMapperRepresentation>? ProtocolMappers = null);

internal sealed record ProtocolMapperRepresentation(string Name, string ProtocolMapper, Dictionary<string, string>? Config = null);

internal sealed record UserRepresentation(
    string? Id,
    string Username,
    bool Enabled = true,
    string? FirstName = null,
    string? LastName = null,
    string? Email = null,
    bool EmailVerified = false,
    List<CredentialRepresentation>? Credentials = null,
    List<string>? RealmRoles = null);

internal sealed record CredentialRepresentation(string Type, string? Value = null, bool Temporary = false);
