using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Q4.Tests.Hosting;

namespace Q4.Tests.Identity;

/// <summary>
/// A browser-like HTTP client for the graph's identity provider: keeps cookies, never follows redirects (so each
/// step of a sign-in can be looked at), and knows the realm's endpoints.
/// </summary>
public sealed partial class IdentityClient : IDisposable
{
    public const string FrontendClient = "q4-frontend";
    public const string FrontendSecret = "q4-frontend-dev-secret";
    public const string FrontendRedirectUri = "http://localhost:5180/signin-oidc";
    public const string FrontendPostLogoutUri = "http://localhost:5180/signout-callback-oidc";

    private readonly HttpClient _http;

    public IdentityClient(AppHostProcess app)
    {
        Issuer = app.IdentityIssuer();
        _http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() })
        {
            BaseAddress = new Uri(app.GetUrls("identity")[0]),
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public string Issuer { get; }

    public string Endpoint(string name) => $"{Issuer}/protocol/openid-connect/{name}";

    public Task<HttpResponseMessage> GetAsync(string url, CancellationToken ct) => _http.GetAsync(url, ct);

    public Task<HttpResponseMessage> PostFormAsync(string url, IDictionary<string, string> form, CancellationToken ct) =>
        _http.PostAsync(url, new FormUrlEncodedContent(form), ct);

    /// <summary>POSTs to the token endpoint; the status and the JSON answer (tokens or an OAuth error).</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> TokenAsync(IDictionary<string, string> form, CancellationToken ct)
    {
        using var response = await PostFormAsync(Endpoint("token"), form, ct);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement.Clone();
        return (response.StatusCode, body);
    }

    public Task<(HttpStatusCode Status, JsonElement Body)> PasswordGrantAsync(
        string clientId, string username, string password, CancellationToken ct, string scope = "openid profile email", string? secret = null)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["client_id"] = clientId,
            ["username"] = username,
            ["password"] = password,
            ["scope"] = scope,
        };
        if (secret is not null)
        {
            form["client_secret"] = secret;
        }
        return TokenAsync(form, ct);
    }

    /// <summary>The signing keys the provider publishes, as a relying party would fetch them.</summary>
    public async Task<JsonWebKeySet> GetJwksAsync(CancellationToken ct) =>
        new(await _http.GetStringAsync(Endpoint("certs"), ct));

    /// <summary>Validates a token as the API would: RS256 signature from the JWKS, issuer, audience, lifetime.</summary>
    public async Task<JsonWebToken> ValidateAsync(string token, string audience, CancellationToken ct)
    {
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudience = audience,
            IssuerSigningKeys = (await GetJwksAsync(ct)).GetSigningKeys(),
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            ClockSkew = TimeSpan.Zero,
        });
        Assert.True(result.IsValid, $"token did not validate: {result.Exception}");
        return (JsonWebToken)result.SecurityToken;
    }

    /// <summary>
    /// The front end's authorization request (code + PKCE S256), with <paramref name="extra"/> parameters such as
    /// <c>prompt</c> or <c>max_age</c>. Returns the response as it is: a redirect to the login page without a
    /// session, a redirect to the client with a code with one.
    /// </summary>
    public Task<HttpResponseMessage> AuthorizeAsync(Pkce pkce, CancellationToken ct, string state = "s-1", string? clientId = null,
        IReadOnlyDictionary<string, string>? extra = null)
    {
        var parameters = new Dictionary<string, string?>
        {
            ["client_id"] = clientId ?? FrontendClient,
            ["response_type"] = "code",
            ["redirect_uri"] = FrontendRedirectUri,
            ["scope"] = "openid profile email offline_access",
            ["state"] = state,
            ["nonce"] = "n-" + state,
            ["code_challenge"] = pkce.Challenge,
            ["code_challenge_method"] = "S256",
        };
        foreach (var (name, value) in extra ?? new Dictionary<string, string>())
        {
            parameters[name] = value;
        }
        return _http.GetAsync(Endpoint("auth") + QueryString(parameters), ct);
    }

    /// <summary>Opens the login page the authorization endpoint redirected to and submits it.</summary>
    public async Task<HttpResponseMessage> SubmitLoginAsync(Uri loginPage, string username, string password, CancellationToken ct)
    {
        using var page = await _http.GetAsync(loginPage, ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var form = LoginForm.Parse(await page.Content.ReadAsStringAsync(ct));
        form.Fields["username"] = username;
        form.Fields["password"] = password;
        return await PostFormAsync(form.Action, form.Fields, ct);
    }

    /// <summary>Follows the redirects inside the provider (login page and back) until one leaves it, and returns that one.</summary>
    public async Task<Uri> SignInAsync(Pkce pkce, string username, CancellationToken ct, string state = "s-1")
    {
        using var authorize = await AuthorizeAsync(pkce, ct, state);
        Assert.Equal(HttpStatusCode.Found, authorize.StatusCode);
        return await LogInAsync(Absolute(authorize.Headers.Location!), username, ct);
    }

    /// <summary>Signs in on the login page and goes back to the authorization endpoint; returns where that sends the browser.</summary>
    public async Task<Uri> LogInAsync(Uri loginPage, string username, CancellationToken ct)
    {
        using var login = await SubmitLoginAsync(loginPage, username, Tokens.DevPassword, ct);
        Assert.Equal(HttpStatusCode.Found, login.StatusCode);
        using var back = await _http.GetAsync(Absolute(login.Headers.Location!), ct);
        Assert.Equal(HttpStatusCode.Found, back.StatusCode);
        return back.Headers.Location!;
    }

    public Task<(HttpStatusCode Status, JsonElement Body)> RedeemCodeAsync(string code, string verifier, CancellationToken ct,
        string? secret = FrontendSecret)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["client_id"] = FrontendClient,
            ["code"] = code,
            ["redirect_uri"] = FrontendRedirectUri,
            ["code_verifier"] = verifier,
        };
        if (secret is not null)
        {
            form["client_secret"] = secret;
        }
        return TokenAsync(form, ct);
    }

    public Uri Absolute(Uri location) => location.IsAbsoluteUri ? location : new Uri(_http.BaseAddress!, location);

    public static Dictionary<string, string> QueryOf(Uri uri) =>
        uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p.Length > 1 ? p[1].Replace('+', ' ') : ""));

    private static string QueryString(Dictionary<string, string?> parameters) =>
        "?" + string.Join('&', parameters.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value ?? "")}"));

    public void Dispose() => _http.Dispose();

    /// <summary>A PKCE verifier and its S256 challenge.</summary>
    public sealed record Pkce(string Verifier, string Challenge)
    {
        public static Pkce Create()
        {
            var verifier = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
            return new Pkce(verifier, Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
        }
    }

    /// <summary>The login page's form: where it posts and its fields (the antiforgery token among them).</summary>
    public sealed partial record LoginForm(string Action, Dictionary<string, string> Fields)
    {
        public static LoginForm Parse(string html)
        {
            var action = FormAction().Match(html);
            Assert.True(action.Success, $"no form on the login page:\n{html}");
            var fields = HiddenInput().Matches(html)
                .ToDictionary(m => WebUtility.HtmlDecode(m.Groups["name"].Value), m => WebUtility.HtmlDecode(m.Groups["value"].Value));
            return new LoginForm(WebUtility.HtmlDecode(action.Groups["action"].Value), fields);
        }

        [GeneratedRegex("<form method=\"post\" action=\"(?<action>[^\"]+)\"")]
        private static partial Regex FormAction();

        [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]+)\" value=\"(?<value>[^\"]*)\"")]
        private static partial Regex HiddenInput();
    }
}
