using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using Q4.DevIdentity.Login;
using Q4.DevIdentity.Realm;
using Q4.DevIdentity.Tokens;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Q4.DevIdentity.Endpoints;

/// <summary>
/// The parts of the OpenID Connect endpoints that OpenIddict leaves to the application: who the user is and what
/// goes into the token. OpenIddict has already checked the client, its secret, redirect URI, PKCE and scopes when
/// these run. Discovery and the JWKS are answered by OpenIddict itself.
/// </summary>
public static class ProtocolEndpoints
{
    /// <summary>Keycloak's paths below the realm; OpenIddict is told the same ones.</summary>
    public const string Authorization = "protocol/openid-connect/auth";
    public const string Token = "protocol/openid-connect/token";
    public const string Certs = "protocol/openid-connect/certs";
    public const string UserInfo = "protocol/openid-connect/userinfo";
    public const string Logout = "protocol/openid-connect/logout";
    public const string Configuration = ".well-known/openid-configuration";

    private const string OpenIddictScheme = OpenIddictServerAspNetCoreDefaults.AuthenticationScheme;

    public static IEndpointRouteBuilder MapProtocolEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapMethods("/" + Authorization, [HttpMethods.Get, HttpMethods.Post], AuthorizeAsync);
        endpoints.MapPost("/" + Token, ExchangeAsync);
        endpoints.MapMethods("/" + UserInfo, [HttpMethods.Get, HttpMethods.Post], UserInfoAsync);
        endpoints.MapMethods("/" + Logout, [HttpMethods.Get, HttpMethods.Post], (Delegate)LogoutAsync);
        return endpoints;
    }

    /// <summary>
    /// Signed in (cookie session) recently enough for the request: a code at once, so a second sign-in is seamless.
    /// Otherwise the login page, which comes back here afterwards with the same request.
    /// </summary>
    private static async Task<IResult> AuthorizeAsync(HttpContext context, RealmModel realm)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        var client = realm.FindClient(request.ClientId)
            ?? throw new InvalidOperationException($"OpenIddict accepted client {request.ClientId}, which the realm does not have.");

        var signedIn = await context.AuthenticateAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        var user = realm.FindUserById(signedIn.Principal?.FindFirstValue(LoginEndpoints.SubjectClaim));
        var session = LoginSession.Of(signedIn.Principal);
        if (user is not { Enabled: true } || session is null || AsksForNewSignIn(request, session))
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Refuse(Errors.LoginRequired, "The user is not signed in, or not recently enough.");
            }
            // Back to this endpoint with the same parameters (also when the request came as a POST form), except
            // prompt and max_age: the sign-in about to happen is what they ask for, and keeping them would send the
            // user to the login page again and again.
            var parameters = request.GetParameters()
                .Where(p => p.Key is not (Parameters.Prompt or Parameters.MaxAge))
                .Select(p => KeyValuePair.Create(p.Key, (string?)p.Value))
                .Where(p => p.Value is not null);
            return Results.Challenge(
                new AuthenticationProperties { RedirectUri = context.Request.PathBase + context.Request.Path + QueryString.Create(parameters) },
                [CookieAuthenticationDefaults.AuthenticationScheme]);
        }

        return Results.SignIn(RealmPrincipal.Create(user, client, request.GetScopes(), session), authenticationScheme: OpenIddictScheme);
    }

    /// <summary>
    /// <c>prompt=login</c> asks for a new sign-in whatever the session; <c>max_age</c> for one no older than that many
    /// seconds. The client checks the answer by the ID token's <c>auth_time</c>.
    /// </summary>
    private static bool AsksForNewSignIn(OpenIddictRequest request, LoginSession session) =>
        request.HasPromptValue(PromptValues.Login) ||
        request.MaxAge is { } maxAge && DateTimeOffset.UtcNow - session.AuthTime > TimeSpan.FromSeconds(maxAge);

    private static async Task<IResult> ExchangeAsync(HttpContext context, RealmModel realm)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        var client = realm.FindClient(request.ClientId);
        if (client is null)
        {
            return Refuse(Errors.InvalidClient, "Invalid client or Invalid client credentials");
        }

        if (request.IsPasswordGrantType())
        {
            // A sign-in of its own, as Keycloak's direct grant opens a session. Keycloak's answer for a wrong username
            // and for a wrong password alike.
            return realm.CheckCredentials(request.Username, request.Password) is { } user
                ? Results.SignIn(RealmPrincipal.Create(user, client, request.GetScopes(), LoginSession.StartNow()), authenticationScheme: OpenIddictScheme)
                : Refuse(Errors.InvalidGrant, "Invalid user credentials");
        }

        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType())
        {
            // OpenIddict has validated the code or refresh token; the user is read again from the realm, and the
            // session (when the user signed in) carries on unchanged.
            var granted = await context.AuthenticateAsync(OpenIddictScheme);
            var user = realm.FindUserById(granted.Principal?.GetClaim(Claims.Subject));
            return user is { Enabled: true }
                ? Results.SignIn(RealmPrincipal.Create(user, client, granted.Principal!.GetScopes(), LoginSession.Of(granted.Principal)),
                    authenticationScheme: OpenIddictScheme)
                : Refuse(Errors.InvalidGrant, "User not found or disabled");
        }

        return Refuse(Errors.UnsupportedGrantType, "Unsupported grant_type");
    }

    /// <summary>
    /// Keycloak's userinfo answer: the profile and email claims of the user the access token names (OpenIddict has
    /// checked the token), read from the realm.
    /// </summary>
    private static async Task<IResult> UserInfoAsync(HttpContext context, RealmModel realm)
    {
        var granted = await context.AuthenticateAsync(OpenIddictScheme);
        if (realm.FindUserById(granted.Principal?.GetClaim(Claims.Subject)) is not { Enabled: true } user)
        {
            return Results.Challenge(
                new AuthenticationProperties(new Dictionary<string, string?>
                {
                    [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.InvalidToken,
                    [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = "User not found or disabled",
                }),
                [OpenIddictScheme]);
        }
        var claims = new Dictionary<string, object?>
        {
            [Claims.Subject] = user.Id,
            [Claims.EmailVerified] = user.EmailVerified,
            [Claims.Name] = user.DisplayName,
            [Claims.PreferredUsername] = user.Username,
            [Claims.GivenName] = user.FirstName,
            [Claims.FamilyName] = user.LastName,
            [Claims.Email] = user.Email,
        };
        return Results.Json(claims.Where(c => c.Value is not null).ToDictionary());
    }

    /// <summary>
    /// Ends the cookie session; then back to the client's post-logout URI when it gave one. A link alone never ends
    /// a session, since any site can send a browser one: it must name this session in <c>id_token_hint</c> (as a
    /// client's own logout does), or else the user is asked, and only the page's form, posted with its antiforgery
    /// token, ends it.
    /// </summary>
    private static async Task<IResult> LogoutAsync(HttpContext context, IAntiforgery antiforgery, RealmModel realm)
    {
        var signedIn = await context.AuthenticateAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        if (signedIn.Principal is { } principal && !await IsMeantForThisSessionAsync(context, antiforgery, principal))
        {
            return AskBeforeLogout(context, antiforgery, realm, principal);
        }
        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        var request = context.GetOpenIddictServerRequest();
        if (string.IsNullOrEmpty(request?.PostLogoutRedirectUri))
        {
            return Results.Content(LoginPage.SignedOut(), "text/html; charset=utf-8");
        }
        return Results.SignOut(authenticationSchemes: [OpenIddictScheme]);
    }

    private static async Task<bool> IsMeantForThisSessionAsync(HttpContext context, IAntiforgery antiforgery, ClaimsPrincipal signedIn)
    {
        if (HttpMethods.IsPost(context.Request.Method) && await antiforgery.IsRequestValidAsync(context))
        {
            return true;
        }
        // OpenIddict has checked the hint's signature and issuer; an old ID token of the same user from an earlier
        // session names another sid and does not count either.
        var hint = (await context.AuthenticateAsync(OpenIddictScheme)).Principal;
        return hint?.GetClaim(Claims.Subject) is { } subject && subject == signedIn.FindFirstValue(LoginEndpoints.SubjectClaim) &&
            (hint.GetClaim(LoginSession.IdClaim) is not { } sid || sid == LoginSession.Of(signedIn)?.Id);
    }

    /// <summary>The question, as a form that posts the same request back with an antiforgery token.</summary>
    private static IResult AskBeforeLogout(HttpContext context, IAntiforgery antiforgery, RealmModel realm, ClaimsPrincipal signedIn)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        var fields = request.GetParameters()
            .Where(p => p.Key != tokens.FormFieldName)
            .Select(p => KeyValuePair.Create(p.Key, (string?)p.Value))
            .Where(p => p.Value is not null)
            .Append(KeyValuePair.Create(tokens.FormFieldName, tokens.RequestToken));
        return LoginEndpoints.HtmlPage(context,
            LoginPage.ConfirmLogout(realm, signedIn.Identity?.Name, context.Request.PathBase + "/" + Logout, fields));
    }

    private static IResult Refuse(string error, string description) =>
        Results.Forbid(
            new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
            }),
            [OpenIddictScheme]);
}
