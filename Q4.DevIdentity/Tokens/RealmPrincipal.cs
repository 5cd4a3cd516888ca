using System.Security.Claims;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using Q4.DevIdentity.Login;
using Q4.DevIdentity.Realm;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Q4.DevIdentity.Tokens;

/// <summary>
/// Builds the identity a token is made from, with the claims Keycloak puts in its tokens, so a service validating
/// them cannot tell DevIdentity from Keycloak. Built afresh from the realm file at every grant (code, password,
/// refresh), as Keycloak reads the user again, so a token never carries stale roles.
/// </summary>
public static class RealmPrincipal
{
    /// <summary>
    /// Keycloak's default client scopes: always applied, asked for or not. Keycloak also answers every code and
    /// password grant with a refresh token bound to the SSO session; OpenIddict issues one for offline_access only,
    /// so that scope is always granted too (a client asking for no such thing still gets its refresh token).
    /// </summary>
    private static readonly string[] DefaultScopes = [Scopes.Profile, Scopes.Email, Scopes.OfflineAccess];

    /// <summary>The claim holding the realm roles, as Keycloak's "realm roles" mapper writes it.</summary>
    public const string RealmAccessClaim = "realm_access";

    /// <summary>
    /// The identity for a token of <paramref name="user"/>; <paramref name="session"/> is the sign-in it comes from
    /// (unknown only for a refresh token issued before sessions were recorded).
    /// </summary>
    public static ClaimsPrincipal Create(RealmUser user, RealmClient client, IEnumerable<string> requestedScopes, LoginSession? session)
    {
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);

        identity.SetClaim(Claims.Subject, user.Id)
            .SetClaim(Claims.PreferredUsername, user.Username)
            .SetClaim(Claims.Name, user.DisplayName)
            .SetClaim(Claims.GivenName, user.FirstName)
            .SetClaim(Claims.FamilyName, user.LastName)
            .SetClaim(Claims.Email, user.Email)
            .SetClaim(Claims.EmailVerified, user.EmailVerified)
            // Keycloak's "azp": the client the token was issued to.
            .SetClaim(Claims.AuthorizedParty, client.ClientId)
            // A JSON object, not a string: {"roles":["user","admin"]}, exactly as Keycloak emits it.
            .SetClaim(RealmAccessClaim, JsonSerializer.SerializeToElement(new { roles = user.RealmRoles }));
        session?.AddTo(identity);

        identity.SetScopes(requestedScopes.Union(DefaultScopes).Distinct(StringComparer.Ordinal));
        identity.SetResources(client.AccessTokenAudiences);
        identity.SetDestinations(DestinationsOf);
        return new ClaimsPrincipal(identity);
    }

    /// <summary>
    /// Profile and session claims go to access and ID tokens; roles to the access token only (Keycloak's defaults);
    /// the rest of OpenIddict's own bookkeeping claims stay out of the tokens.
    /// </summary>
    private static IEnumerable<string> DestinationsOf(Claim claim) => claim.Type switch
    {
        Claims.Subject or Claims.PreferredUsername or Claims.Name or Claims.GivenName or Claims.FamilyName
            or Claims.Email or Claims.EmailVerified or Claims.AuthorizedParty or LoginSession.IdClaim or LoginSession.AuthTimeClaim
            => [Destinations.AccessToken, Destinations.IdentityToken],
        RealmAccessClaim => [Destinations.AccessToken],
        _ => [],
    };
}
