using System.ComponentModel.DataAnnotations;

namespace Q4.Frontend.SignIn;

/// <summary>How the front end signs people in (section <c>SignIn</c>): the realm's client and the session's lifetimes.</summary>
public sealed class SignInOptions
{
    public const string Section = "SignIn";

    /// <summary>
    /// The provider found through service discovery, as the API finds it: <c>services:&lt;name&gt;:http:0</c> is its
    /// base URL and <c>&lt;base&gt;/realms/&lt;realm&gt;</c> its issuer. <see cref="Authority"/> wins when set.
    /// </summary>
    public string ServiceName { get; set; } = "identity";

    [Required]
    public string Realm { get; set; } = "q4";

    /// <summary>The issuer's URL when the provider is not found through service discovery (a Keycloak elsewhere).</summary>
    public Uri? Authority { get; set; }

    [Required]
    public string ClientId { get; set; } = "q4-frontend";

    /// <summary>The client's secret in the realm; development settings hold the development realm's.</summary>
    [Required]
    public string ClientSecret { get; set; } = "";

    /// <summary>
    /// How long before the access token expires the front end trades the refresh token for a new one, on the first
    /// request in that window: a token never expires in the middle of a user's action.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RefreshBefore { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A session nobody used for this long ends (the realm's SSO idle timeout is the same by default). The session,
    /// tokens included, lives in Redis until then; the browser's cookie holds only its key.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    public string? AuthorityFrom(IConfiguration configuration) =>
        Authority?.ToString().TrimEnd('/')
        ?? (configuration[$"services:{ServiceName}:http:0"] is { Length: > 0 } baseUrl ? $"{baseUrl.TrimEnd('/')}/realms/{Realm}" : null);
}
