using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Q4.DevIdentity.Realm;

namespace Q4.DevIdentity.Login;

/// <summary>
/// The login form and the cookie session behind it. The authorization endpoint sends people here when they have
/// no session; after a good password they go back there and get their code.
/// </summary>
public static class LoginEndpoints
{
    /// <summary>Below the realm path, as Keycloak's own login actions are.</summary>
    public const string Path = "/login-actions/authenticate";

    /// <summary>The session cookie names the user by the realm's id, which is also the tokens' <c>sub</c>.</summary>
    public const string SubjectClaim = "sub";

    public static IEndpointRouteBuilder MapLoginEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Path, ShowForm);
        // Binding the form makes the antiforgery middleware check the token first; a missing one is a 400.
        endpoints.MapPost(Path, SignInAsync);
        return endpoints;
    }

    private static IResult ShowForm(HttpContext context, IAntiforgery antiforgery, RealmModel realm, [FromQuery] string? returnUrl) =>
        Page(context, antiforgery, realm, returnUrl, username: null, error: null);

    private static async Task<IResult> SignInAsync(HttpContext context, IAntiforgery antiforgery, RealmModel realm, [FromForm] LoginForm form)
    {
        var user = realm.CheckCredentials(form.Username, form.Password);
        if (user is null)
        {
            // Same words for an unknown user and a wrong password, as Keycloak says; the form comes back filled in.
            return Page(context, antiforgery, realm, form.ReturnUrl, form.Username, "Invalid username or password.");
        }

        var identity = new ClaimsIdentity(CookieAuthenticationDefaults.AuthenticationScheme, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(SubjectClaim, user.Id));
        identity.AddClaim(new Claim(ClaimTypes.Name, user.Username));
        await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));

        return IsLocal(form.ReturnUrl)
            ? Results.Redirect(form.ReturnUrl!)
            : Results.Content(LoginPage.SignedIn(realm, user), "text/html; charset=utf-8");
    }

    private static IResult Page(HttpContext context, IAntiforgery antiforgery, RealmModel realm, string? returnUrl,
        string? username, string? error)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var html = LoginPage.Form(realm, context.Request.PathBase + Path, returnUrl, username, error,
            tokens.FormFieldName, tokens.RequestToken!);
        // Keycloak's login page must not be framed by other sites (clickjacking) nor cached.
        context.Response.Headers.XFrameOptions = "DENY";
        context.Response.Headers.CacheControl = "no-store";
        return Results.Content(html, "text/html; charset=utf-8");
    }

    /// <summary>Only paths on this server: an open redirect would let anyone borrow the login page.</summary>
    private static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'));

    public sealed record LoginForm(string? Username, string? Password, string? ReturnUrl);
}
