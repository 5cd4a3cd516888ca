using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Q4.Dashboard.Otlp;
using Q4.Dashboard.Telemetry;

namespace Q4.Dashboard.Access;

/// <summary>
/// Who may use the dashboard, whose pages can stop processes and show every secret of the graph: a browser that signed
/// in with the run's browser token (<c>/login?t=…</c>, printed on the AppHost's console; it leaves a cookie for this
/// run), or a program that sends the OTLP key (<c>x-otlp-api-key</c>, in the owner-only <c>.q4/endpoints.json</c>).
/// Anything else gets 401 and nothing. <c>--AppHost:DashboardUnsecured true</c> opens it all, with a warning.
/// </summary>
public static class DashboardAccess
{
    public const string Policy = "dashboard";
    private const string CookieScheme = "q4-dashboard";
    private const string KeyScheme = "q4-otlp-key";

    public static IServiceCollection AddDashboardAccess(this IServiceCollection services, DashboardSettings settings)
    {
        services.AddDataProtection();
        services.AddAuthentication(CookieScheme)
            .AddCookie(CookieScheme, cookie =>
            {
                cookie.Cookie.Name = "q4-dashboard";
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.Cookie.HttpOnly = true;
                // The cookie is good for this run only: its keys live in memory, as the token does.
                cookie.Events.OnRedirectToLogin = context => RefuseAsync(context.HttpContext);
                cookie.Events.OnRedirectToAccessDenied = context => RefuseAsync(context.HttpContext);
            })
            .AddScheme<AuthenticationSchemeOptions, OtlpKeyHandler>(KeyScheme, _ => { });
        services.AddAuthorization(authorization => authorization.AddPolicy(Policy, policy =>
        {
            if (settings.Unsecured)
            {
                policy.RequireAssertion(_ => true);
                return;
            }
            policy.AddAuthenticationSchemes(CookieScheme, KeyScheme).RequireAuthenticatedUser();
        }));
        return services;
    }

    /// <summary><c>/login?t=&lt;browser token&gt;</c> signs the browser in and sends it on to the resources.</summary>
    public static IEndpointRouteBuilder MapDashboardAccess(this IEndpointRouteBuilder app, DashboardSettings settings)
    {
        app.MapGet("/login", async Task<Results<RedirectHttpResult, ProblemHttpResult>> (string? t, HttpContext context) =>
        {
            if (t is null || !OtlpApi.KeyMatches(t, settings.BrowserToken))
            {
                return TelemetryApi.Problem(StatusCodes.Status401Unauthorized, "invalid_browser_token",
                    "The browser token is missing or wrong: open the login address the AppHost printed when it started.");
            }
            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "developer")], CookieScheme);
            await context.SignInAsync(CookieScheme, new ClaimsPrincipal(identity));
            return TypedResults.LocalRedirect("~/");
        });
        return app;
    }

    private static async Task RefuseAsync(HttpContext context)
    {
        var problem = TelemetryApi.Problem(StatusCodes.Status401Unauthorized, "sign_in_required",
            "Open the dashboard through the login address the AppHost printed when it started (…/login?t=…), or send the x-otlp-api-key header.");
        await problem.ExecuteAsync(context);
    }

    /// <summary>Signs in a request that carries the OTLP key; one without the header is left to the cookie.</summary>
    private sealed class OtlpKeyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
        IOptions<OtlpOptions> otlp) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var sent = Request.Headers[OtlpApi.ApiKeyHeader].ToString();
            if (sent.Length == 0)
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }
            if (!OtlpApi.KeyMatches(sent, otlp.Value.ApiKey))
            {
                return Task.FromResult(AuthenticateResult.Fail("wrong key"));
            }
            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "program")], Scheme.Name);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
        }

        /// <summary>The cookie's challenge, which runs too, writes the one refusal.</summary>
        protected override Task HandleChallengeAsync(AuthenticationProperties properties) => Task.CompletedTask;
    }
}
