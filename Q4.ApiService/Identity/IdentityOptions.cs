using System.ComponentModel.DataAnnotations;

namespace Q4.ApiService.Identity;

/// <summary>Which OpenID Connect providers the API trusts (section <c>Identity</c>).</summary>
public sealed class IdentityOptions
{
    public const string Section = "Identity";

    /// <summary>
    /// The provider found through service discovery, as Aspire's Keycloak integration does: its base URL comes
    /// from <c>services:&lt;name&gt;:http:0</c> and its issuer is <c>&lt;base&gt;/realms/&lt;realm&gt;</c>.
    /// </summary>
    public string ServiceName { get; set; } = "identity";

    [Required]
    public string Realm { get; set; } = "q4";

    /// <summary>The access token's <c>aud</c> must contain this.</summary>
    [Required]
    public string Audience { get; set; } = "q4-api";

    /// <summary>Further issuers trusted beside the discovered one (several SSO providers at once).</summary>
    public List<string> Issuers { get; set; } = [];

    /// <summary>How far a token's times may be off; kept short so an expired token is refused soon after.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Every trusted issuer: the discovered provider's first, then <see cref="Issuers"/>.</summary>
    public IReadOnlyList<string> TrustedIssuers(IConfiguration configuration)
    {
        var discovered = configuration[$"services:{ServiceName}:http:0"] is { Length: > 0 } baseUrl
            ? [$"{baseUrl.TrimEnd('/')}/realms/{Realm}"]
            : Array.Empty<string>();
        return [.. discovered.Concat(Issuers.Select(issuer => issuer.TrimEnd('/'))).Distinct()];
    }
}
