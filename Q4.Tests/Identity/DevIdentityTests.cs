using System.Net;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Q4.Tests.Hosting;

namespace Q4.Tests.Identity;

/// <summary>
/// The development identity provider of the running graph, seen from outside as a relying party sees Keycloak:
/// its discovery document, tokens, grants, login page and session.
/// </summary>
public sealed class DevIdentityTests(GraphFixture graph) : IDisposable
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private readonly IdentityClient _identity = new(graph.App);

    public void Dispose() => _identity.Dispose();

    [Fact]
    public async Task Discovery_document_has_keycloaks_endpoints_and_the_realm_issuer()
    {
        using var response = await _identity.GetAsync("/realms/q4/.well-known/openid-configuration", Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var discovery = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation)).RootElement;

        var issuer = graph.App.IdentityIssuer();
        Assert.Equal($"{graph.App.GetUrls("identity")[0]}/realms/q4", issuer);
        Assert.Equal(issuer, discovery.GetProperty("issuer").GetString());
        Assert.Equal($"{issuer}/protocol/openid-connect/auth", discovery.GetProperty("authorization_endpoint").GetString());
        Assert.Equal($"{issuer}/protocol/openid-connect/token", discovery.GetProperty("token_endpoint").GetString());
        Assert.Equal($"{issuer}/protocol/openid-connect/certs", discovery.GetProperty("jwks_uri").GetString());
        Assert.Equal($"{issuer}/protocol/openid-connect/userinfo", discovery.GetProperty("userinfo_endpoint").GetString());
        Assert.Equal($"{issuer}/protocol/openid-connect/logout", discovery.GetProperty("end_session_endpoint").GetString());
        Assert.Equal(["S256"], discovery.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(e => e.GetString()));
        var grants = discovery.GetProperty("grant_types_supported").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("authorization_code", grants);
        Assert.Contains("password", grants);
        Assert.Contains("refresh_token", grants);
        Assert.Contains("RS256", discovery.GetProperty("id_token_signing_alg_values_supported").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Only_the_realm_path_and_the_health_endpoints_are_served()
    {
        using var outside = await _identity.GetAsync("/protocol/openid-connect/certs", Cancellation);
        Assert.Equal(HttpStatusCode.NotFound, outside.StatusCode);
        using var otherRealm = await _identity.GetAsync("/realms/master/.well-known/openid-configuration", Cancellation);
        Assert.Equal(HttpStatusCode.NotFound, otherRealm.StatusCode);
        using var health = await _identity.GetAsync("/health", Cancellation);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Theory]
    [InlineData("alice", new[] { "user" })]
    [InlineData("admin", new[] { "user", "admin" })]
    [InlineData("bidder137", new[] { "user" })]
    public async Task Password_grant_through_q4_cli_gives_a_signed_RS256_jwt_with_keycloaks_claims(string username, string[] roles)
    {
        var (status, body) = await _identity.PasswordGrantAsync("q4-cli", username, Tokens.DevPassword, Cancellation);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        var accessToken = body.GetProperty("access_token").GetString()!;

        // Signature from the published JWKS, issuer, audience: what the API checks.
        var token = await _identity.ValidateAsync(accessToken, "q4-api", Cancellation);
        Assert.Equal("RS256", token.Alg);
        Assert.False(string.IsNullOrEmpty(token.Kid));
        Assert.Equal(3, accessToken.Split('.').Length); // signed, not encrypted (a JWE has five parts)

        var user = DevRealm.User(username);
        Assert.Equal(_identity.Issuer, token.Issuer);
        Assert.Contains("q4-api", token.Audiences);
        Assert.Equal("q4-cli", token.GetClaim("azp").Value);
        Assert.Equal(user.GetProperty("id").GetString(), token.Subject);
        Assert.Equal(username, token.GetClaim("preferred_username").Value);
        Assert.Equal($"{user.GetProperty("firstName").GetString()} {user.GetProperty("lastName").GetString()}", token.GetClaim("name").Value);
        Assert.Equal($"{username}@q4.example", token.GetClaim("email").Value);
        // offline_access is granted to every client so that OpenIddict issues the refresh token Keycloak always issues.
        Assert.Equal(["email", "offline_access", "openid", "profile"], token.GetClaim("scope").Value.Split(' ').Order());
        // Keycloak's lifetime for the realm: accessTokenLifespan = 900 s.
        Assert.Equal(TimeSpan.FromSeconds(900), token.ValidTo - token.IssuedAt);
        Assert.Equal(900, body.GetProperty("expires_in").GetInt32(), tolerance: 2);

        // realm_access is a JSON object {"roles": [...]}, exactly as Keycloak writes it, not a string.
        var payload = JsonDocument.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(accessToken.Split('.')[1])).RootElement;
        var realmAccess = payload.GetProperty("realm_access");
        Assert.Equal(JsonValueKind.Object, realmAccess.ValueKind);
        Assert.Equal(roles, realmAccess.GetProperty("roles").EnumerateArray().Select(r => r.GetString()!).ToArray());

        // The ID token names the same person to the client.
        var idToken = await _identity.ValidateAsync(body.GetProperty("id_token").GetString()!, "q4-cli", Cancellation);
        Assert.Equal(token.Subject, idToken.Subject);
        Assert.Equal(username, idToken.GetClaim("preferred_username").Value);
        Assert.Equal($"{username}@q4.example", idToken.GetClaim("email").Value);
    }

    [Theory]
    [InlineData("alice", "wrong-password")]
    [InlineData("alice", "DEV-PASSWORD")]
    [InlineData("bob", "dev-password ")]
    [InlineData("nobody-of-that-name", "dev-password")]
    public async Task Wrong_credentials_are_invalid_grant(string username, string password)
    {
        var (status, body) = await _identity.PasswordGrantAsync("q4-cli", username, password, Cancellation);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
        Assert.False(body.TryGetProperty("access_token", out _));
    }

    [Fact]
    public async Task Password_grant_through_q4_frontend_is_refused_because_the_realm_does_not_allow_it()
    {
        var (status, body) = await _identity.PasswordGrantAsync(IdentityClient.FrontendClient, "alice", Tokens.DevPassword, Cancellation,
            secret: IdentityClient.FrontendSecret);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("unauthorized_client", body.GetProperty("error").GetString());
        Assert.False(body.TryGetProperty("access_token", out _));
    }

    [Theory]
    [InlineData("no-such-client")]
    [InlineData("q4-api")] // audience only: nothing can sign in through it
    public async Task Unknown_and_audience_only_clients_get_no_token(string clientId)
    {
        var (status, body) = await _identity.PasswordGrantAsync(clientId, "alice", Tokens.DevPassword, Cancellation);
        // RFC 6749 §5.2: a failed client authentication may answer 401, as Keycloak does.
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Authorization_code_flow_with_pkce_goes_through_the_login_page_and_yields_tokens()
    {
        var pkce = IdentityClient.Pkce.Create();

        // No session: the authorization endpoint sends the browser to the login page of the realm.
        using var authorize = await _identity.AuthorizeAsync(pkce, Cancellation, state: "state-42");
        Assert.Equal(HttpStatusCode.Found, authorize.StatusCode);
        var loginPage = _identity.Absolute(authorize.Headers.Location!);
        Assert.StartsWith($"{_identity.Issuer}/login-actions/authenticate", loginPage.ToString());

        // The form carries an antiforgery token; a good password goes back to the authorization request...
        using var login = await _identity.SubmitLoginAsync(loginPage, "carol", Tokens.DevPassword, Cancellation);
        Assert.Equal(HttpStatusCode.Found, login.StatusCode);
        var back = _identity.Absolute(login.Headers.Location!);
        Assert.StartsWith($"{_identity.Issuer}/protocol/openid-connect/auth?", back.ToString());

        // ...which now answers with a code at the registered redirect URI (not followed: nothing listens there).
        using var callback = await _identity.GetAsync(back.ToString(), Cancellation);
        Assert.Equal(HttpStatusCode.Found, callback.StatusCode);
        var redirect = callback.Headers.Location!;
        Assert.Equal(IdentityClient.FrontendRedirectUri, redirect.GetLeftPart(UriPartial.Path));
        var parameters = IdentityClient.QueryOf(redirect);
        Assert.Equal("state-42", parameters["state"]);
        Assert.Equal(_identity.Issuer, parameters["iss"]);

        var (status, body) = await _identity.RedeemCodeAsync(parameters["code"], pkce.Verifier, Cancellation);
        Assert.Equal(HttpStatusCode.OK, status);
        var accessToken = await _identity.ValidateAsync(body.GetProperty("access_token").GetString()!, "q4-api", Cancellation);
        Assert.Equal(DevRealm.IdOf("carol"), accessToken.Subject);
        Assert.Equal("q4-frontend", accessToken.GetClaim("azp").Value);
        var idToken = await _identity.ValidateAsync(body.GetProperty("id_token").GetString()!, "q4-frontend", Cancellation);
        Assert.Equal("n-state-42", idToken.GetClaim("nonce").Value);
        Assert.Equal("carol", idToken.GetClaim("preferred_username").Value);
        Assert.True(body.TryGetProperty("refresh_token", out _), "offline_access was asked for: a refresh token is due");

        // A code is good once.
        var (again, error) = await _identity.RedeemCodeAsync(parameters["code"], pkce.Verifier, Cancellation);
        Assert.Equal(HttpStatusCode.BadRequest, again);
        Assert.Equal("invalid_grant", error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task With_a_session_a_second_authorization_needs_no_login_and_logout_ends_the_session()
    {
        await _identity.SignInAsync(IdentityClient.Pkce.Create(), "bob", Cancellation, state: "first");

        // Same browser (cookies), new request: straight back to the client with a code.
        var pkce = IdentityClient.Pkce.Create();
        using var second = await _identity.AuthorizeAsync(pkce, Cancellation, state: "second");
        Assert.Equal(HttpStatusCode.Found, second.StatusCode);
        Assert.Equal(IdentityClient.FrontendRedirectUri, second.Headers.Location!.GetLeftPart(UriPartial.Path));
        var (status, body) = await _identity.RedeemCodeAsync(IdentityClient.QueryOf(second.Headers.Location!)["code"], pkce.Verifier, Cancellation);
        Assert.Equal(HttpStatusCode.OK, status);
        var token = new JsonWebToken(body.GetProperty("access_token").GetString());
        Assert.Equal(DevRealm.IdOf("bob"), token.Subject);

        // The client's logout, naming this session by its ID token, to the registered post-logout URI: the session
        // ends at once and the browser goes back to the client.
        using var logout = await _identity.GetAsync(_identity.Endpoint("logout") +
            $"?id_token_hint={body.GetProperty("id_token").GetString()}" +
            $"&post_logout_redirect_uri={Uri.EscapeDataString(IdentityClient.FrontendPostLogoutUri)}&state=bye", Cancellation);
        Assert.Equal(HttpStatusCode.Found, logout.StatusCode);
        Assert.Equal(IdentityClient.FrontendPostLogoutUri, logout.Headers.Location!.GetLeftPart(UriPartial.Path));
        Assert.Equal("bye", IdentityClient.QueryOf(logout.Headers.Location!)["state"]);

        using var third = await _identity.AuthorizeAsync(IdentityClient.Pkce.Create(), Cancellation, state: "third");
        Assert.Equal(HttpStatusCode.Found, third.StatusCode);
        Assert.StartsWith($"{_identity.Issuer}/login-actions/authenticate", _identity.Absolute(third.Headers.Location!).ToString());
    }

    [Fact]
    public async Task A_wrong_password_on_the_login_page_shows_a_clear_error_and_starts_no_session()
    {
        using var authorize = await _identity.AuthorizeAsync(IdentityClient.Pkce.Create(), Cancellation);
        var loginPage = _identity.Absolute(authorize.Headers.Location!);

        using var refused = await _identity.SubmitLoginAsync(loginPage, "alice", "not-her-password", Cancellation);
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        var html = await refused.Content.ReadAsStringAsync(Cancellation);
        Assert.Contains("Invalid username or password.", html);
        Assert.Contains("value=\"alice\"", html); // the form comes back filled in, password excepted

        using var stillNoSession = await _identity.AuthorizeAsync(IdentityClient.Pkce.Create(), Cancellation);
        Assert.StartsWith($"{_identity.Issuer}/login-actions/authenticate", _identity.Absolute(stillNoSession.Headers.Location!).ToString());
    }

    [Fact]
    public async Task A_login_post_without_the_antiforgery_token_is_rejected()
    {
        using var response = await _identity.PostFormAsync($"{_identity.Issuer}/login-actions/authenticate", new Dictionary<string, string>
        {
            ["username"] = "alice",
            ["password"] = Tokens.DevPassword,
            ["returnUrl"] = "/realms/q4/",
        }, Cancellation);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task After_a_good_password_the_login_page_only_redirects_within_the_provider()
    {
        using var page = await _identity.GetAsync($"{_identity.Issuer}/login-actions/authenticate?ReturnUrl=%2F%2Fevil.example%2F", Cancellation);
        var form = IdentityClient.LoginForm.Parse(await page.Content.ReadAsStringAsync(Cancellation));
        form.Fields["username"] = "alice";
        form.Fields["password"] = Tokens.DevPassword;

        using var response = await _identity.PostFormAsync(form.Action, form.Fields, Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("You are signed in", await response.Content.ReadAsStringAsync(Cancellation));
    }

    [Fact]
    public async Task A_wrong_pkce_verifier_or_a_missing_secret_is_refused_at_the_code_exchange()
    {
        var pkce = IdentityClient.Pkce.Create();
        var redirect = await _identity.SignInAsync(pkce, "alice", Cancellation);
        var code = IdentityClient.QueryOf(redirect)["code"];

        var (noSecret, noSecretBody) = await _identity.RedeemCodeAsync(code, pkce.Verifier, Cancellation, secret: null);
        Assert.Equal(HttpStatusCode.Unauthorized, noSecret);
        Assert.Equal("invalid_client", noSecretBody.GetProperty("error").GetString());

        var (wrongSecret, wrongSecretBody) = await _identity.RedeemCodeAsync(code, pkce.Verifier, Cancellation, secret: "guessed");
        Assert.Equal(HttpStatusCode.Unauthorized, wrongSecret);
        Assert.Equal("invalid_client", wrongSecretBody.GetProperty("error").GetString());

        var (wrongVerifier, wrongVerifierBody) = await _identity.RedeemCodeAsync(code, IdentityClient.Pkce.Create().Verifier, Cancellation);
        Assert.Equal(HttpStatusCode.BadRequest, wrongVerifier);
        Assert.Equal("invalid_grant", wrongVerifierBody.GetProperty("error").GetString());
        Assert.False(wrongVerifierBody.TryGetProperty("access_token", out _));
    }

    [Fact]
    public async Task The_front_end_must_use_pkce_with_S256()
    {
        await _identity.SignInAsync(IdentityClient.Pkce.Create(), "alice", Cancellation); // a session, so only PKCE can be the problem

        var withoutPkce = _identity.Endpoint("auth") +
            $"?client_id=q4-frontend&response_type=code&scope=openid&state=x&redirect_uri={Uri.EscapeDataString(IdentityClient.FrontendRedirectUri)}";
        using var missing = await _identity.GetAsync(withoutPkce, Cancellation);
        Assert.Equal("invalid_request", await ErrorOfAsync(missing));

        var pkce = IdentityClient.Pkce.Create();
        using var plain = await _identity.GetAsync(withoutPkce + $"&code_challenge={pkce.Verifier}&code_challenge_method=plain", Cancellation);
        Assert.Equal("invalid_request", await ErrorOfAsync(plain));

        // The provider refuses before trusting the redirect URI: a 400 page for the user, no code anywhere.
        static async Task<string?> ErrorOfAsync(HttpResponseMessage response)
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Null(response.Headers.Location);
            var body = await response.Content.ReadAsStringAsync(Cancellation);
            return body.Split('\n').FirstOrDefault(line => line.StartsWith("error:"))?["error:".Length..].Trim();
        }
    }

    [Fact]
    public async Task A_refresh_token_gives_a_new_access_token_for_the_same_user()
    {
        var (status, body) = await _identity.PasswordGrantAsync("q4-cli", "bidder007", Tokens.DevPassword, Cancellation,
            scope: "openid profile email offline_access");
        Assert.Equal(HttpStatusCode.OK, status);
        var first = body.GetProperty("access_token").GetString()!;

        var (refreshed, refreshedBody) = await _identity.TokenAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = "q4-cli",
            ["refresh_token"] = body.GetProperty("refresh_token").GetString()!,
        }, Cancellation);
        Assert.Equal(HttpStatusCode.OK, refreshed);
        var second = refreshedBody.GetProperty("access_token").GetString()!;
        Assert.NotEqual(first, second);
        var token = await _identity.ValidateAsync(second, "q4-api", Cancellation);
        Assert.Equal(DevRealm.IdOf("bidder007"), token.Subject);
        Assert.Equal("bidder007", token.GetClaim("preferred_username").Value);
        Assert.Contains("offline_access", token.GetClaim("scope").Value.Split(' '));

        var (forged, forgedBody) = await _identity.TokenAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = "q4-cli",
            ["refresh_token"] = "not-a-refresh-token",
        }, Cancellation);
        Assert.Equal(HttpStatusCode.BadRequest, forged);
        Assert.Equal("invalid_grant", forgedBody.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Userinfo_describes_the_user_of_the_access_token()
    {
        using var client = graph.App.CreateAuthenticatedClient("identity", await graph.App.GetAccessTokenAsync("admin", Cancellation));
        var userinfo = JsonDocument.Parse(await client.GetStringAsync("/realms/q4/protocol/openid-connect/userinfo", Cancellation)).RootElement;
        Assert.Equal(DevRealm.IdOf("admin"), userinfo.GetProperty("sub").GetString());
        Assert.Equal("admin", userinfo.GetProperty("preferred_username").GetString());
        Assert.Equal("admin@q4.example", userinfo.GetProperty("email").GetString());

        using var anonymous = graph.App.CreateHttpClient("identity");
        using var refused = await anonymous.GetAsync("/realms/q4/protocol/openid-connect/userinfo", Cancellation);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task The_published_kid_belongs_to_the_signing_key_on_disk_so_it_outlives_restarts()
    {
        var path = Path.Combine(graph.App.StateDirectory, Tokens.SigningKeyPath);
        Assert.True(File.Exists(path), $"{path} is missing");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", await File.ReadAllTextAsync(path, Cancellation));

        var onDisk = graph.App.LoadSigningKey();
        var published = Assert.Single((await _identity.GetJwksAsync(Cancellation)).Keys);
        Assert.Equal(onDisk.KeyId, published.Kid);
        Assert.Equal("RS256", published.Alg);
        Assert.Equal("sig", published.Use);
        Assert.Equal(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(onDisk.Rsa.ExportParameters(false).Modulus), published.N);

        // Tokens the provider issues are signed with exactly that key.
        var token = new JsonWebToken(await graph.App.GetAccessTokenAsync("alice", Cancellation));
        Assert.Equal(onDisk.KeyId, token.Kid);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token.EncodedToken, new Microsoft.IdentityModel.Tokens.TokenValidationParameters
        {
            IssuerSigningKey = onDisk,
            ValidIssuer = graph.App.IdentityIssuer(),
            ValidAudience = "q4-api",
        });
        Assert.True(result.IsValid, result.Exception?.Message);
    }
}
