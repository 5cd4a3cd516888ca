using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
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
        // Every sign-in is a new session, so a client that asked for a fresh one (prompt=login, max_age) sees it.
        LoginSession.StartNow().AddTo(identity);
        await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));

        return IsSafeReturnUrl(form.ReturnUrl)
            ? Results.Redirect(form.ReturnUrl!)
            : Results.Content(LoginPage.SignedIn(realm, user), "text/html; charset=utf-8");
    }

    private static IResult Page(HttpContext context, IAntiforgery antiforgery, RealmModel realm, string? returnUrl,
        string? username, string? error)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        return HtmlPage(context, LoginPage.Form(realm, context.Request.PathBase + Path, returnUrl, username, error,
            tokens.FormFieldName, tokens.RequestToken!));
    }

    /// <summary>A page with a form: like Keycloak's, it must not be framed by other sites (clickjacking) nor cached.</summary>
    internal static IResult HtmlPage(HttpContext context, string html)
    {
        context.Response.Headers.XFrameOptions = "DENY";
        context.Response.Headers.CacheControl = "no-store";
        return Results.Content(html, "text/html; charset=utf-8");
    }

    /// <summary>
    /// Only paths on this server, by ASP.NET Core's own test (which also refuses control characters such as the tab
    /// that would turn <c>/\t/evil.example</c> into another site), and only ASCII ones: a header cannot carry anything
    /// else, and the return URLs this provider makes are always escaped.
    /// </summary>
    private static bool IsSafeReturnUrl(string? url) =>
        RedirectHttpResult.IsLocalUrl(url) && System.Text.Ascii.IsValid(url);

    public sealed record LoginForm(string? Username, string? Password, string? ReturnUrl);
}
