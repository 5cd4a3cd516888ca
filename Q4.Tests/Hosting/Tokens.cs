using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Microsoft.IdentityModel.Tokens;

namespace Q4.Tests.Hosting;

/// <summary>
/// Tokens from the graph's identity provider (Q4.DevIdentity, shaped like Keycloak's realm <c>q4</c>), and its real
/// signing key, for tests that call the API as somebody or need a token that is wrong in one exact way.
/// </summary>
public static class Tokens
{
    public const string Realm = "q4";

    /// <summary>The realm's public client for scripts: password grant, no secret.</summary>
    public const string CliClient = "q4-cli";

    /// <summary>Every user of the development realm has this password.</summary>
    public const string DevPassword = "dev-password";

    /// <summary>Where the provider keeps its signing key, under the AppHost's state folder.</summary>
    public static readonly string SigningKeyPath = Path.Combine("data", "identity", "signing-key.pem");

    // Access tokens live 15 minutes; two minutes of reuse keeps them far from expiry while saving most round trips.
    private static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(2);

    private static readonly ConditionalWeakTable<AppHostProcess, ConcurrentDictionary<string, CachedToken>> Cache = new();

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>
    /// An access token for <paramref name="username"/> (password grant through <c>q4-cli</c>, scope
    /// <c>openid profile email</c>); the same one for a couple of minutes, since tests ask for it often.
    /// </summary>
    public static async Task<string> GetAccessTokenAsync(this AppHostProcess app, string username, CancellationToken cancellationToken)
    {
        var tokens = Cache.GetValue(app, _ => new ConcurrentDictionary<string, CachedToken>(StringComparer.OrdinalIgnoreCase));
        if (tokens.TryGetValue(username, out var cached) && cached.FreshUntil > DateTime.UtcNow)
        {
            return cached.AccessToken;
        }
        var obtained = DateTime.UtcNow;
        var (token, lifetime) = await PasswordGrantWithLifetimeAsync(app.GetUrls("identity")[0], username, cancellationToken);
        // A graph with short-lived tokens (the browser tests') gets its tokens reused for a quarter of their life only.
        tokens[username] = new CachedToken(token, obtained + TimeSpan.FromTicks(Math.Min(CacheFor.Ticks, lifetime.Ticks / 4)));
        return token;
    }

    /// <summary>
    /// A fresh access token from the provider at <paramref name="identityBaseUrl"/> (no cache). The issuer in the
    /// token is <c>&lt;identityBaseUrl&gt;/realms/q4</c>: the provider names itself after the address it was called at.
    /// </summary>
    public static async Task<string> PasswordGrantAsync(string identityBaseUrl, string username, CancellationToken cancellationToken) =>
        (await PasswordGrantWithLifetimeAsync(identityBaseUrl, username, cancellationToken)).AccessToken;

    private static async Task<(string AccessToken, TimeSpan Lifetime)> PasswordGrantWithLifetimeAsync(
        string identityBaseUrl, string username, CancellationToken cancellationToken)
    {
        using var response = await Http.PostAsync($"{identityBaseUrl.TrimEnd('/')}/realms/{Realm}/protocol/openid-connect/token",
            new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "password",
                ["client_id"] = CliClient,
                ["username"] = username,
                ["password"] = DevPassword,
                ["scope"] = "openid profile email",
            }), cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Password grant for {username} failed with {(int)response.StatusCode}: {body}");
        }
        var tokens = System.Text.Json.JsonSerializer.Deserialize<TokenResponse>(body)!;
        return (tokens.AccessToken, TimeSpan.FromSeconds(tokens.ExpiresIn));
    }

    /// <summary>The provider's issuer as the graph's services know it: <c>&lt;identity url&gt;/realms/q4</c>.</summary>
    public static string IdentityIssuer(this AppHostProcess app) => $"{app.GetUrls("identity")[0].TrimEnd('/')}/realms/{Realm}";

    /// <summary>
    /// The provider's real signing key, private part included, read from its data folder. Its <c>KeyId</c> is the
    /// key's RFC 7638 JWK thumbprint, the <c>kid</c> the provider publishes at <c>/certs</c>, so tokens signed with
    /// it are indistinguishable from the provider's own.
    /// </summary>
    public static RsaSecurityKey LoadSigningKey(this AppHostProcess app)
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(Path.Combine(app.StateDirectory, SigningKeyPath)));
        var publicJwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: false)));
        return new RsaSecurityKey(rsa) { KeyId = Base64UrlEncoder.Encode(publicJwk.ComputeJwkThumbprint()) };
    }

    /// <summary>An HttpClient for <paramref name="resource"/> that sends <paramref name="accessToken"/> as a bearer token.</summary>
    public static HttpClient CreateAuthenticatedClient(this AppHostProcess app, string resource, string accessToken, int replica = 0)
    {
        var client = app.CreateHttpClient(resource, replica);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return client;
    }

    private sealed record CachedToken(string AccessToken, DateTime FreshUntil);

    private sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("expires_in")] int ExpiresIn);
}
