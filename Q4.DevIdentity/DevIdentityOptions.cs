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
    public string RealmFile { get; set; } = "../deploy/keycloak/q4-realm.json";

    /// <summary>
    /// Where keys, the client/token database and data-protection keys live between runs. The AppHost passes
    /// <c>.q4/data/identity</c>; a standalone <c>dotnet run</c> uses the same folder by default.
    /// </summary>
    [Required]
    public string DataDirectory { get; set; } = "../.q4/data/identity";

    /// <summary>Plain passwords and a known client secret: only ever for development, unless someone insists.</summary>
    public bool AllowOutsideDevelopment { get; set; }
}
