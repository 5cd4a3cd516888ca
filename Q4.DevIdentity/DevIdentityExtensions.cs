using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using Q4.DevIdentity.Endpoints;
using Q4.DevIdentity.Keys;
using Q4.DevIdentity.Login;
using Q4.DevIdentity.Realm;
using Q4.DevIdentity.Storage;
using Q4.DevIdentity.Tokens;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Q4.DevIdentity;

public static class DevIdentityExtensions
{
    /// <summary>The realm from its file, OpenIddict with Keycloak's endpoints, the login cookie and the stores.</summary>
    public static WebApplicationBuilder AddDevIdentity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.AddValidatedOptions<DevIdentityOptions>(DevIdentityOptions.Section);
        services.AddSingleton<IValidateOptions<DevIdentityOptions>, RealmFileExists>();

        services.AddSingleton(sp =>
            RealmFile.Load(DataDirectory.RealmFile(sp.GetRequiredService<IOptions<DevIdentityOptions>>().Value, builder.Environment)));

        services.AddDbContext<IdentityStore>((sp, db) =>
        {
            var directory = DataDirectory.Resolve(sp.GetRequiredService<IOptions<DevIdentityOptions>>().Value, builder.Environment);
            db.UseSqlite($"Data Source={Path.Combine(directory, IdentityStore.FileName)}");
            db.UseOpenIddict();
        });
        services.AddHostedService<ClientRegistration>();

        // Sessions and antiforgery tokens stay valid across restarts, like the keys.
        services.AddDataProtection().SetApplicationName("Q4.DevIdentity");
        services.AddOptions<KeyManagementOptions>().Configure<IOptions<DevIdentityOptions>>((keys, options) =>
            keys.XmlRepository = new FileSystemXmlRepository(
                new DirectoryInfo(Path.Combine(DataDirectory.Resolve(options.Value, builder.Environment), "data-protection")),
                Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance));

        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie();
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<RealmModel>((cookie, realm) =>
            {
                cookie.Cookie.Name = "Q4_DEVIDENTITY_SESSION";
                cookie.LoginPath = LoginEndpoints.Path;
                // Keycloak's SSO session: ends after the realm's idle timeout, renewed by use.
                cookie.ExpireTimeSpan = realm.SsoSessionIdleTimeout;
                cookie.SlidingExpiration = true;
            });
        services.AddAuthorization();
        services.AddAntiforgery();

        services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<IdentityStore>())
            .AddServer(server =>
            {
                // Relative to the realm's path base, so the issuer is "<what the client called>/realms/<name>"
                // whatever port the provider runs on (tests use random ones).
                server.SetConfigurationEndpointUris(ProtocolEndpoints.Configuration)
                    .SetAuthorizationEndpointUris(ProtocolEndpoints.Authorization)
                    .SetTokenEndpointUris(ProtocolEndpoints.Token)
                    .SetJsonWebKeySetEndpointUris(ProtocolEndpoints.Certs)
                    .SetUserInfoEndpointUris(ProtocolEndpoints.UserInfo)
                    .SetEndSessionEndpointUris(ProtocolEndpoints.Logout);

                server.AllowAuthorizationCodeFlow().AllowPasswordFlow().AllowRefreshTokenFlow();
                server.RegisterScopes(Scopes.Profile, Scopes.Email, Scopes.Roles, Scopes.OfflineAccess);
                server.RegisterClaims(Claims.Subject, Claims.PreferredUsername, Claims.Name, Claims.GivenName,
                    Claims.FamilyName, Claims.Email, Claims.EmailVerified, RealmPrincipal.RealmAccessClaim,
                    LoginSession.AuthTimeClaim, LoginSession.IdClaim);

                // Only S256: "plain" PKCE protects nothing, and the realm asks for S256.
                server.Configure(options => options.CodeChallengeMethods.Remove(CodeChallengeMethods.Plain));

                // Services validate access tokens themselves, from the JWKS, as they would Keycloak's: signed, not encrypted.
                server.DisableAccessTokenEncryption();

                server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .EnableUserInfoEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough()
                    // Plain HTTP on loopback, like a Keycloak started with start-dev.
                    .DisableTransportSecurityRequirement();
            });
        services.AddSingleton<IConfigureOptions<OpenIddictServerOptions>, ServerKeys>();
        return builder;
    }

    /// <summary>
    /// Serves everything below <c>/realms/&lt;name&gt;</c>, Keycloak's layout; only health endpoints sit outside it.
    /// </summary>
    public static WebApplication UseDevIdentity(this WebApplication app)
    {
        var realm = app.Services.GetRequiredService<RealmModel>();
        // Keys are read (or made) now, so a damaged key file stops the start instead of the first sign-in.
        _ = app.Services.GetRequiredService<IOptionsMonitor<OpenIddictServerOptions>>().CurrentValue;
        app.UsePathBase(realm.BasePath);
        app.Use((context, next) =>
        {
            if (!context.Request.PathBase.HasValue && !IsHealthProbe(context.Request.Path))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }
            return next(context);
        });
        // Routing after the path base is stripped, so endpoints are matched relative to the realm.
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        return app;
    }

    public static WebApplication MapDevIdentityEndpoints(this WebApplication app)
    {
        app.MapProtocolEndpoints();
        app.MapLoginEndpoints();
        return app;
    }

    /// <summary>Names the path it looked at, so a wrong working folder is obvious.</summary>
    private sealed class RealmFileExists(IHostEnvironment environment) : IValidateOptions<DevIdentityOptions>
    {
        public ValidateOptionsResult Validate(string? name, DevIdentityOptions options) =>
            File.Exists(DataDirectory.RealmFile(options, environment))
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(
                    $"The realm file {DataDirectory.RealmFile(options, environment)} does not exist " +
                    $"(setting {DevIdentityOptions.Section}:{nameof(DevIdentityOptions.RealmFile)}; relative paths start at {environment.ContentRootPath}).");
    }

    private static bool IsHealthProbe(PathString path) =>
        path.StartsWithSegments(Microsoft.Extensions.Hosting.Extensions.HealthPath) ||
        path.StartsWithSegments(Microsoft.Extensions.Hosting.Extensions.AlivePath);
}
