using System.ComponentModel.DataAnnotations;

namespace Q4.DevIdentity;

/// <summary>Settings of the development identity provider (section <c>DevIdentity</c>).</summary>
public sealed class DevIdentityOptions
{
    public const string Section = "DevIdentity";

    /// <summary>
    /// The Keycloak realm export that defines realm, clients, users and roles. Relative paths start at the content
    /// root; the AppHost runs this project from its project folder, so the default reaches the repository's file.
    /// </summary>
    [Required]
    public string RealmFile { get; set; } = "../deploy/keycloak/development/q4-realm.json";

    /// <summary>
    /// Where keys, the client/token database and data-protection keys live between runs. The AppHost passes
    /// <c>.q4/data/identity</c>; a standalone <c>dotnet run</c> uses the same folder by default.
    /// </summary>
    [Required]
    public string DataDirectory { get; set; } = "../.q4/data/identity";

    /// <summary>
    /// Where a client really listens when that is not where the realm file says, by client id. The AppHost passes the
    /// front end's address, which is random when tests start the graph: the client's redirect and post-logout URIs
    /// are then registered at that origin as well as at the realm's.
    /// </summary>
    public Dictionary<string, Uri> ClientOrigins { get; set; } = [];

    /// <summary>Overrides the realm's <c>accessTokenLifespan</c>: tests shorten it to see tokens expire and be refreshed.</summary>
    public TimeSpan? AccessTokenLifetime { get; set; }

    /// <summary>Plain passwords and a known client secret: only ever for development, unless someone insists.</summary>
    public bool AllowOutsideDevelopment { get; set; }
}
