using System.ComponentModel.DataAnnotations;

namespace Q4.ApiService.Identity;

/// <summary>Which OpenID Connect providers the API trusts (section <c>Identity</c>).</summary>
public sealed class IdentityOptions : IValidatableObject
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

    /// <summary>
    /// Those of <see cref="Issuers"/> whose tokens' realm roles count. The discovered realm's always do; any other
    /// issuer's do not unless it is named here, so a partner's SSO cannot make its users administrators of Q4.
    /// </summary>
    public List<string> IssuersGrantingRoles { get; set; } = [];

    /// <summary>How far a token's times may be off; kept short so an expired token is refused soon after.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Every trusted issuer: the discovered provider's first, then <see cref="Issuers"/>.</summary>
    public IReadOnlyList<string> TrustedIssuers(IConfiguration configuration) =>
        [.. new[] { DiscoveredIssuer(configuration) }.OfType<string>().Concat(Issuers.Select(issuer => issuer.TrimEnd('/'))).Distinct()];

    /// <summary>Whether the realm roles in tokens of <paramref name="issuer"/> count.</summary>
    public bool GrantsRoles(string issuer, IConfiguration configuration) =>
        issuer == DiscoveredIssuer(configuration) || IssuersGrantingRoles.Any(granting => granting.TrimEnd('/') == issuer);

    private string? DiscoveredIssuer(IConfiguration configuration) =>
        configuration[$"services:{ServiceName}:http:0"] is { Length: > 0 } baseUrl ? $"{baseUrl.TrimEnd('/')}/realms/{Realm}" : null;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var trusted = Issuers.Select(issuer => issuer.TrimEnd('/')).ToHashSet();
        foreach (var issuer in IssuersGrantingRoles.Where(issuer => !trusted.Contains(issuer.TrimEnd('/'))))
        {
            yield return new ValidationResult(
                $"{Section}:{nameof(IssuersGrantingRoles)} names {issuer}, which is not one of {Section}:{nameof(Issuers)}.",
                [nameof(IssuersGrantingRoles)]);
        }
    }
}
