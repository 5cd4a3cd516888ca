using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using StackExchange.Redis;

namespace Q4.Frontend.SignIn;

/// <summary>
/// Sign-in as a backend for the browser: OpenID Connect code flow with PKCE against the realm, a cookie that names
/// a server-side session, tokens refreshed before they expire, and sign-out at the provider too.
/// </summary>
public static class SignInApi
{
    public const string LoginPath = "/account/login";
    public const string LogoutPath = "/account/logout";
    public const string RoleClaim = "role";

    public static IHostApplicationBuilder AddSignIn(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<SignInOptions>(SignInOptions.Section);
        var options = builder.Configuration.GetSection(SignInOptions.Section).Get<SignInOptions>() ?? new();
        var authority = options.AuthorityFrom(builder.Configuration)
            ?? throw new InvalidOperationException(
                $"No identity provider: set {SignInOptions.Section}:Authority or services:{options.ServiceName}:http:0.");

        // Every replica reads every other's cookies, antiforgery tokens and sessions: one key ring, kept in Redis.
        builder.Services.AddDataProtection().SetApplicationName("Q4.Frontend");
        builder.Services.AddOptions<KeyManagementOptions>().Configure<IConnectionMultiplexer>((keys, redis) =>
            keys.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), "q4:frontend:data-protection-keys"));

        builder.Services.AddSingleton<RedisTicketStore>();
        builder.Services.AddSingleton<TokenRefresher>();
        builder.Services.AddAuthentication(auth =>
            {
                auth.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                auth.DefaultChallengeScheme = OpenIdConnectDefaults.AuthenticationScheme;
            })
            .AddCookie(cookie =>
            {
                cookie.Cookie.Name = "q4.session";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.ExpireTimeSpan = options.IdleTimeout;
                cookie.SlidingExpiration = true;
                cookie.LoginPath = LoginPath;
                cookie.AccessDeniedPath = "/account/denied";
                cookie.Events.OnValidatePrincipal = context =>
                    context.HttpContext.RequestServices.GetRequiredService<TokenRefresher>().RefreshIfDueAsync(context);
            })
            .AddOpenIdConnect(oidc =>
            {
                oidc.Authority = authority;
                oidc.RequireHttpsMetadata = authority.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
                oidc.ClientId = options.ClientId;
                oidc.ClientSecret = options.ClientSecret;
                oidc.ResponseType = "code";
                // The code comes back in the redirect's query: the default (a form the provider's page posts by script)
                // would leave a browser without JavaScript on that page.
                oidc.ResponseMode = "query";
                oidc.UsePkce = true;
                oidc.SaveTokens = true;
                oidc.MapInboundClaims = false;
                oidc.GetClaimsFromUserInfoEndpoint = false;
                oidc.Scope.Clear();
                foreach (var scope in (string[])["openid", "profile", "email"])
                {
                    oidc.Scope.Add(scope);
                }
                oidc.TokenValidationParameters.NameClaimType = "name";
                oidc.TokenValidationParameters.RoleClaimType = RoleClaim;
                oidc.Events.OnTokenValidated = context =>
                {
                    AddRealmRoles(context.Principal!, context.TokenEndpointResponse?.AccessToken);
                    return Task.CompletedTask;
                };
            });
        builder.Services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<RedisTicketStore>((cookie, store) => cookie.SessionStore = store);
        builder.Services.AddAuthorization();
        builder.Services.AddCascadingAuthenticationState();
        return builder;
    }

    public static WebApplication MapSignInApi(this WebApplication app)
    {
        var account = app.MapGroup("/account");
        // A link, so it works without script; only a local return URL is followed.
        account.MapGet("/login", (string? returnUrl) => TypedResults.Challenge(
            new AuthenticationProperties { RedirectUri = LocalOrHome(returnUrl) }));
        // A form post with an antiforgery token: a link or image elsewhere cannot sign a user out.
        account.MapPost("/logout", ([FromForm] string? returnUrl) => TypedResults.SignOut(
            new AuthenticationProperties { RedirectUri = LocalOrHome(returnUrl) },
            [CookieAuthenticationDefaults.AuthenticationScheme, OpenIdConnectDefaults.AuthenticationScheme]));
        return app;
    }

    private static string LocalOrHome(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//") && !returnUrl.StartsWith("/\\")
            ? returnUrl
            : "/";

    /// <summary>
    /// The realm's roles are in the access token only (as Keycloak puts them); the front end reads them from the token
    /// it was just given by the provider itself, to show what the user may do. The API decides what they may do.
    /// </summary>
    private static void AddRealmRoles(ClaimsPrincipal principal, string? accessToken)
    {
        if (principal.Identity is not ClaimsIdentity identity || string.IsNullOrEmpty(accessToken))
        {
            return;
        }
        var token = new JsonWebToken(accessToken);
        if (token.TryGetPayloadValue<JsonElement>("realm_access", out var realmAccess)
            && realmAccess.ValueKind == JsonValueKind.Object
            && realmAccess.TryGetProperty("roles", out var roles) && roles.ValueKind == JsonValueKind.Array)
        {
            foreach (var role in roles.EnumerateArray().Select(r => r.GetString()).OfType<string>())
            {
                identity.AddClaim(new Claim(RoleClaim, role));
            }
        }
    }
}
