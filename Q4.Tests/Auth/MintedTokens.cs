using System.Security.Claims;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Q4.Tests.Hosting;

namespace Q4.Tests.Auth;

/// <summary>
/// Tokens signed with the identity provider's real key (read from its data folder), shaped by the test:
/// a fresh user per test, or a token that is wrong in exactly one way.
/// </summary>
public sealed record MintedToken(string Subject, string Issuer, string Audience, DateTimeOffset NotBefore, DateTimeOffset Expires)
{
    public string? Name { get; init; }

    public string[] Roles { get; init; } = ["user"];

    public SecurityKey? SigningKey { get; init; }

    /// <summary>Claims beside the usual ones, at the top level of the payload.</summary>
    public IReadOnlyDictionary<string, object> ExtraClaims { get; init; } = new Dictionary<string, object>();

    public static MintedToken FreshUser(AppHostProcess app) =>
        new(Guid.NewGuid().ToString(), app.IdentityIssuer(), "q4-api", DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(10));

    public string Sign(AppHostProcess app)
    {
        var now = DateTimeOffset.UtcNow;
        var name = Name ?? $"Test user {Subject[..8]}";
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            NotBefore = NotBefore.UtcDateTime,
            IssuedAt = (NotBefore < now ? NotBefore : now).UtcDateTime,
            Expires = Expires.UtcDateTime,
            Subject = new ClaimsIdentity([
                new Claim("sub", Subject),
                new Claim("preferred_username", $"test-{Subject[..8]}"),
                new Claim("name", name),
                new Claim("email", $"{Subject[..8]}@test.q4.example"),
            ]),
            Claims = new Dictionary<string, object>(ExtraClaims)
            {
                ["realm_access"] = new Dictionary<string, object> { ["roles"] = Roles },
            },
            SigningCredentials = new SigningCredentials(SigningKey ?? app.LoadSigningKey(), SecurityAlgorithms.RsaSha256),
        });
    }
}

public static class TokenSurgery
{
    /// <summary>The token with its payload replaced by <paramref name="edit"/>(payload), the signature kept.</summary>
    public static string EditPayload(string token, Func<Dictionary<string, JsonElement>, Dictionary<string, JsonElement>> edit)
    {
        var parts = token.Split('.');
        var payload = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Base64UrlEncoder.Decode(parts[1]))!;
        parts[1] = Base64UrlEncoder.Encode(JsonSerializer.Serialize(edit(payload)));
        return string.Join('.', parts);
    }

    /// <summary>The same claims, with header <c>alg: none</c> and no signature.</summary>
    public static string Unsigned(string token)
    {
        var parts = token.Split('.');
        return $"{Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""")}.{parts[1]}.";
    }
}
