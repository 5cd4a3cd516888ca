using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Q4.ApiService.Identity;

public static class IdentityExtensions
{
    public const string AdminPolicy = "admin";
    public const string RoleClaim = "role";

    private const string SchemePrefix = JwtBearerDefaults.AuthenticationScheme + ":";

    private static readonly JsonWebTokenHandler UnvalidatedReader = new();

    /// <summary>
    /// Bearer tokens from every trusted issuer, validated locally: each issuer's signing keys are fetched once
    /// and cached, so no request calls the identity provider. Roles come from Keycloak's <c>realm_access.roles</c>,
    /// and only in tokens of an issuer that grants them (<see cref="IdentityOptions.GrantsRoles"/>).
    /// </summary>
    public static IHostApplicationBuilder AddQ4Identity(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(IdentityOptions.Section);
        builder.AddValidatedOptions<IdentityOptions>(IdentityOptions.Section);
        var options = section.Get<IdentityOptions>() ?? new IdentityOptions();
        var issuers = options.TrustedIssuers(builder.Configuration).ToArray();
        if (issuers.Length == 0)
        {
            throw new InvalidOperationException(
                $"No identity provider is configured: set services:{options.ServiceName}:http:0 (the AppHost does) " +
                $"or {IdentityOptions.Section}:{nameof(IdentityOptions.Issuers)}.");
        }

        var authentication = builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddPolicyScheme(JwtBearerDefaults.AuthenticationScheme, "Bearer token of any trusted issuer", policy =>
                policy.ForwardDefaultSelector = context => SchemePrefix + IndexOfIssuer(context, issuers));
        // One JwtBearer scheme per issuer: each keeps its own cached discovery document and signing keys.
        for (var i = 0; i < issuers.Length; i++)
        {
            var issuer = issuers[i];
            var grantsRoles = options.GrantsRoles(issuer, builder.Configuration);
            authentication.AddJwtBearer(SchemePrefix + i, jwt =>
            {
                jwt.Authority = issuer;
                jwt.Audience = options.Audience;
                jwt.RequireHttpsMetadata = !builder.Environment.IsDevelopment();
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = issuer,
                    ValidAudience = options.Audience,
                    ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
                    ClockSkew = options.ClockSkew,
                    NameClaimType = "preferred_username",
                    RoleClaimType = RoleClaim,
                };
                jwt.Events = new JwtBearerEvents { OnTokenValidated = context => SetRoles(context, grantsRoles) };
            });
        }

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(AdminPolicy, policy => policy.RequireAuthenticatedUser().RequireRole("admin"));

        builder.Services.AddSingleton<UserDirectory>();
        builder.Services.AddHostedService<UserChangeListener>();
        return builder;
    }

    /// <summary>
    /// Picks the scheme of the issuer the token names, read without validation only to route it; the chosen
    /// scheme then validates everything. An unknown issuer goes to the first scheme, which refuses it.
    /// </summary>
    private static int IndexOfIssuer(HttpContext context, string[] issuers)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (issuers.Length == 1 || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return 0;
        }
        var token = header["Bearer ".Length..].Trim();
        if (!UnvalidatedReader.CanReadToken(token))
        {
            return 0;
        }
        try
        {
            return Math.Max(Array.IndexOf(issuers, UnvalidatedReader.ReadJsonWebToken(token).Issuer), 0);
        }
        catch (ArgumentException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Keycloak puts roles in <c>realm_access: {"roles": [...]}</c>; ASP.NET Core wants one claim per role. Nothing
    /// else in a token is a role: a claim that happens to be named like the role claim is dropped, and an issuer
    /// that does not grant roles gives none.
    /// </summary>
    private static Task SetRoles(TokenValidatedContext context, bool grantsRoles)
    {
        var principal = context.Principal!;
        if (principal.FindFirst(JwtRegisteredClaimNames.Sub) is null)
        {
            context.Fail("The token names no subject.");
            return Task.CompletedTask;
        }
        var identity = principal.Identities.First();
        foreach (var claim in identity.FindAll(RoleClaim).ToList())
        {
            identity.RemoveClaim(claim);
        }
        if (grantsRoles && principal.FindFirst("realm_access")?.Value is { Length: > 0 } realmAccess)
        {
            try
            {
                using var document = JsonDocument.Parse(realmAccess);
                if (document.RootElement.ValueKind == JsonValueKind.Object &&
                    document.RootElement.TryGetProperty("roles", out var roles) && roles.ValueKind == JsonValueKind.Array)
                {
                    foreach (var role in roles.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String))
                    {
                        identity.AddClaim(new Claim(RoleClaim, role.GetString()!));
                    }
                }
            }
            catch (JsonException)
            {
                // A malformed claim grants no role; the token itself is still valid.
            }
        }
        return Task.CompletedTask;
    }
}
