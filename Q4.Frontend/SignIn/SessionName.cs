using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Q4.Frontend.SignIn;

/// <summary>
/// The name the header shows is the session's <c>name</c> claim, taken from the provider at sign-in. Q4's display name
/// starts out the same and the user may change it: the session is then issued again with the new one, tokens and
/// lifetimes unchanged, so the header agrees with the account page at once.
/// </summary>
public static class SessionName
{
    public static async Task UpdateAsync(HttpContext context, string name)
    {
        var session = await context.AuthenticateAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        if (session is not { Succeeded: true, Principal.Identity: ClaimsIdentity identity } || context.Response.HasStarted)
        {
            return;
        }
        if (identity.FindFirst(identity.NameClaimType) is { } old)
        {
            identity.RemoveClaim(old);
        }
        identity.AddClaim(new Claim(identity.NameClaimType, name));
        await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, session.Principal, session.Properties);
    }
}
