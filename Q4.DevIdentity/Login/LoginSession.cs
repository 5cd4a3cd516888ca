using System.Globalization;
using System.Security.Claims;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Q4.DevIdentity.Login;

/// <summary>
/// One sign-in: its id and when the user proved who they are. The login cookie records it, authorization codes and
/// refresh tokens carry it on, and tokens state it as <c>sid</c> and <c>auth_time</c>, as Keycloak's do.
/// </summary>
public sealed record LoginSession(string Id, DateTimeOffset AuthTime)
{
    public const string IdClaim = "sid";
    public const string AuthTimeClaim = Claims.AuthenticationTime;

    /// <summary>A session for a sign-in happening now; <c>auth_time</c> counts whole seconds.</summary>
    public static LoginSession StartNow() =>
        new(Guid.NewGuid().ToString(), DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));

    /// <summary>
    /// The session <paramref name="principal"/> records, or null: a cookie or token made before sessions were
    /// recorded names none, and is then treated as no session at all.
    /// </summary>
    public static LoginSession? Of(ClaimsPrincipal? principal) =>
        principal?.FindFirst(IdClaim)?.Value is { Length: > 0 } id &&
        long.TryParse(principal.FindFirst(AuthTimeClaim)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? new LoginSession(id, DateTimeOffset.FromUnixTimeSeconds(seconds))
            : null;

    /// <summary>Adds both claims; <c>auth_time</c> typed as a number, so tokens carry it as a JSON number.</summary>
    public void AddTo(ClaimsIdentity identity)
    {
        identity.AddClaim(new Claim(IdClaim, Id));
        identity.AddClaim(new Claim(AuthTimeClaim, AuthTime.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64));
    }
}
