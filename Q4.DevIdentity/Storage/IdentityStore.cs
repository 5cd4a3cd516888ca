using Microsoft.EntityFrameworkCore;

namespace Q4.DevIdentity.Storage;

/// <summary>
/// OpenIddict's applications, authorizations and tokens in a SQLite file in the data directory. A file rather than
/// memory so refresh tokens and sessions survive a restart of the provider, as they do with Keycloak.
/// </summary>
public sealed class IdentityStore(DbContextOptions<IdentityStore> options) : DbContext(options)
{
    public const string FileName = "identity.db";
}
