using System.Net;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Q4.Tests.Hosting;

namespace Q4.Tests.Identity;

/// <summary>
/// The development identity provider's browser session as an OpenID Connect client library relies on it: where the
/// login page sends people back to, re-authentication on request (<c>prompt=login</c>, <c>max_age</c>), what the ID
/// token says about the session (<c>auth_time</c>, <c>sid</c>), and how logout ends it.
/// </summary>
public sealed class DevIdentitySessionTests(GraphFixture graph) : IDisposable
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private readonly IdentityClient _identity = new(graph.App);

    public void Dispose() => _identity.Dispose();

    [Theory]
    [InlineData("/\t/evil.example")]
    [InlineData("/\r\nSet-Cookie: planted=1")]
    [InlineData("/\n/evil.example")]
    [InlineData("/realms/q4/caf\u00e9")]
    public async Task After_a_good_password_a_return_url_with_a_control_or_non_ascii_character_is_not_followed(string returnUrl)
    {
        using var page = await _identity.GetAsync(
            $"{_identity.Issuer}/login-actions/authenticate?returnUrl={Uri.EscapeDataString(returnUrl)}", Cancellation);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var form = IdentityClient.LoginForm.Parse(await page.Content.ReadAsStringAsync(Cancellation));
        Assert.Equal(returnUrl, form.Fields["returnUrl"]); // what the browser posts back
        form.Fields["username"] = "alice";
        form.Fields["password"] = Tokens.DevPassword;

        using var response = await _identity.PostFormAsync(form.Action, form.Fields, Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("You are signed in", await response.Content.ReadAsStringAsync(Cancellation));
    }

    [Fact]
    public async Task Prompt_login_asks_for_the_password_despite_the_session_and_the_id_token_says_when()
    {
        var first = await SignInAsync(_identity, "bob");
        var firstAuthTime = AuthTimeOf(first.IdToken);
        Assert.InRange(firstAuthTime, DateTimeOffset.UtcNow.AddSeconds(-30), DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.False(string.IsNullOrEmpty(first.IdToken.GetClaim("sid").Value));
        await Task.Delay(TimeSpan.FromSeconds(1.1), Cancellation); // auth_time counts whole seconds

        var pkce = IdentityClient.Pkce.Create();
        using var again = await _identity.AuthorizeAsync(pkce, Cancellation, "again", extra: new Dictionary<string, string> { ["prompt"] = "login" });
        var loginPage = AssertIsLoginPage(again);
        var second = await CompleteLoginAsync(_identity, loginPage, "bob", pkce);

        Assert.True(AuthTimeOf(second.IdToken) > firstAuthTime, "the ID token must say the user signed in again");
        Assert.Equal(first.IdToken.Subject, second.IdToken.Subject);
        // Every sign-in starts a session of its own.
        Assert.NotEqual(first.IdToken.GetClaim("sid").Value, second.IdToken.GetClaim("sid").Value);
    }

    [Fact]
    public async Task Max_age_asks_for_the_password_once_the_sign_in_is_older_and_refreshes_keep_auth_time_and_sid()
    {
        var first = await SignInAsync(_identity, "carol");
        var authTime = AuthTimeOf(first.IdToken);
        var sid = first.IdToken.GetClaim("sid").Value;
        await Task.Delay(TimeSpan.FromSeconds(2.1), Cancellation);

        // Recent enough: straight back to the client, and the ID token still says when carol signed in.
        var recentPkce = IdentityClient.Pkce.Create();
        using var recent = await _identity.AuthorizeAsync(recentPkce, Cancellation, "recent", extra: new Dictionary<string, string> { ["max_age"] = "600" });
        Assert.Equal(HttpStatusCode.Found, recent.StatusCode);
        Assert.Equal(IdentityClient.FrontendRedirectUri, recent.Headers.Location!.GetLeftPart(UriPartial.Path));
        var (_, recentBody) = await _identity.RedeemCodeAsync(IdentityClient.QueryOf(recent.Headers.Location!)["code"], recentPkce.Verifier, Cancellation);
        var recentIdToken = await _identity.ValidateAsync(recentBody.GetProperty("id_token").GetString()!, IdentityClient.FrontendClient, Cancellation);
        Assert.Equal(authTime, AuthTimeOf(recentIdToken));
        Assert.Equal(sid, recentIdToken.GetClaim("sid").Value);

        // A refresh is no sign-in either.
        var (refreshed, refreshedBody) = await _identity.TokenAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = IdentityClient.FrontendClient,
            ["client_secret"] = IdentityClient.FrontendSecret,
            ["refresh_token"] = first.Body.GetProperty("refresh_token").GetString()!,
        }, Cancellation);
        Assert.Equal(HttpStatusCode.OK, refreshed);
        var refreshedIdToken = await _identity.ValidateAsync(refreshedBody.GetProperty("id_token").GetString()!, IdentityClient.FrontendClient, Cancellation);
        Assert.Equal(authTime, AuthTimeOf(refreshedIdToken));
        Assert.Equal(sid, refreshedIdToken.GetClaim("sid").Value);

        // Older than max_age: the login form, and afterwards an auth_time within it.
        var stalePkce = IdentityClient.Pkce.Create();
        using var stale = await _identity.AuthorizeAsync(stalePkce, Cancellation, "stale", extra: new Dictionary<string, string> { ["max_age"] = "1" });
        var loginPage = AssertIsLoginPage(stale);
        var again = await CompleteLoginAsync(_identity, loginPage, "carol", stalePkce);
        Assert.InRange(AuthTimeOf(again.IdToken), authTime.AddSeconds(2), DateTimeOffset.UtcNow.AddSeconds(1));
    }

    [Fact]
    public async Task A_bare_logout_link_asks_first_and_only_the_confirming_form_ends_the_session()
    {
        await SignInAsync(_identity, "alice");

        using var asked = await _identity.GetAsync(_identity.Endpoint("logout") +
            $"?client_id=q4-frontend&post_logout_redirect_uri={Uri.EscapeDataString(IdentityClient.FrontendPostLogoutUri)}&state=bye", Cancellation);
        Assert.Equal(HttpStatusCode.OK, asked.StatusCode);
        Assert.Null(asked.Headers.Location);
        var form = IdentityClient.LoginForm.Parse(await asked.Content.ReadAsStringAsync(Cancellation));
        Assert.True(await HasSessionAsync(_identity), "merely opening a logout link ended the session");

        // Another site can make the browser post the same fields, but not with this page's antiforgery token.
        var forgedFields = form.Fields.Where(field => field.Key is not "__RequestVerificationToken").ToDictionary();
        using var forged = await _identity.PostFormAsync(form.Action, forgedFields, Cancellation);
        Assert.NotEqual(HttpStatusCode.Found, forged.StatusCode);
        Assert.True(await HasSessionAsync(_identity), "a post without the antiforgery token ended the session");

        using var confirmed = await _identity.PostFormAsync(form.Action, form.Fields, Cancellation);
        Assert.Equal(HttpStatusCode.Found, confirmed.StatusCode);
        Assert.Equal(IdentityClient.FrontendPostLogoutUri, confirmed.Headers.Location!.GetLeftPart(UriPartial.Path));
        Assert.Equal("bye", IdentityClient.QueryOf(confirmed.Headers.Location!)["state"]);
        Assert.False(await HasSessionAsync(_identity), "the confirmed logout left the session");
    }

    [Fact]
    public async Task A_logout_whose_id_token_hint_names_another_user_does_not_end_this_session()
    {
        using var alicesBrowser = new IdentityClient(graph.App);
        var alice = await SignInAsync(alicesBrowser, "alice");
        await SignInAsync(_identity, "bob");

        using var logout = await _identity.GetAsync(LogoutUrl(alice.RawIdToken), Cancellation);

        Assert.Equal(HttpStatusCode.OK, logout.StatusCode); // bob is asked instead
        Assert.Null(logout.Headers.Location);
        Assert.True(await HasSessionAsync(_identity), "a hint naming alice ended bob's session");
        Assert.True(await HasSessionAsync(alicesBrowser), "a logout in bob's browser ended alice's session");
    }

    [Fact]
    public async Task A_logout_whose_id_token_hint_comes_from_an_earlier_session_of_the_same_user_asks_first()
    {
        var earlier = await SignInAsync(_identity, "alice");
        var pkce = IdentityClient.Pkce.Create();
        using var again = await _identity.AuthorizeAsync(pkce, Cancellation, "again", extra: new Dictionary<string, string> { ["prompt"] = "login" });
        var current = await CompleteLoginAsync(_identity, AssertIsLoginPage(again), "alice", pkce);

        using var withEarlierHint = await _identity.GetAsync(LogoutUrl(earlier.RawIdToken), Cancellation);
        Assert.Equal(HttpStatusCode.OK, withEarlierHint.StatusCode);
        Assert.True(await HasSessionAsync(_identity), "an ID token of an earlier session ended the current one");

        using var withCurrentHint = await _identity.GetAsync(LogoutUrl(current.RawIdToken), Cancellation);
        Assert.Equal(HttpStatusCode.Found, withCurrentHint.StatusCode);
        Assert.False(await HasSessionAsync(_identity), "the session's own ID token did not end it");
    }

    private string LogoutUrl(string idTokenHint) => _identity.Endpoint("logout") +
        $"?id_token_hint={idTokenHint}&post_logout_redirect_uri={Uri.EscapeDataString(IdentityClient.FrontendPostLogoutUri)}&state=x";

    private sealed record SignedIn(JsonWebToken IdToken, string RawIdToken, JsonElement Body);

    /// <summary>The whole code flow in <paramref name="browser"/>: login form, code, tokens.</summary>
    private static async Task<SignedIn> SignInAsync(IdentityClient browser, string username)
    {
        var pkce = IdentityClient.Pkce.Create();
        using var authorize = await browser.AuthorizeAsync(pkce, Cancellation);
        return await CompleteLoginAsync(browser, AssertIsLoginPage(authorize), username, pkce);
    }

    /// <summary>Submits the login page, goes back to the authorization endpoint and redeems the code it answers with.</summary>
    private static async Task<SignedIn> CompleteLoginAsync(IdentityClient browser, Uri loginPage, string username, IdentityClient.Pkce pkce)
    {
        var back = await browser.LogInAsync(browser.Absolute(loginPage), username, Cancellation);
        // Straight to the client now: the login just done satisfies the request, so no second round.
        Assert.Equal(IdentityClient.FrontendRedirectUri, back.GetLeftPart(UriPartial.Path));
        var (status, body) = await browser.RedeemCodeAsync(IdentityClient.QueryOf(back)["code"], pkce.Verifier, Cancellation);
        Assert.Equal(HttpStatusCode.OK, status);
        var raw = body.GetProperty("id_token").GetString()!;
        return new SignedIn(await browser.ValidateAsync(raw, IdentityClient.FrontendClient, Cancellation), raw, body);
    }

    private static Uri AssertIsLoginPage(HttpResponseMessage authorize)
    {
        Assert.Equal(HttpStatusCode.Found, authorize.StatusCode);
        var location = authorize.Headers.Location!;
        Assert.Contains("/login-actions/authenticate", location.ToString());
        return location;
    }

    /// <summary>Whether the browser still has a session: an authorization request then needs no login.</summary>
    private static async Task<bool> HasSessionAsync(IdentityClient browser)
    {
        using var authorize = await browser.AuthorizeAsync(IdentityClient.Pkce.Create(), Cancellation, "probe");
        Assert.Equal(HttpStatusCode.Found, authorize.StatusCode);
        return authorize.Headers.Location!.GetLeftPart(UriPartial.Path) == IdentityClient.FrontendRedirectUri;
    }

    private static DateTimeOffset AuthTimeOf(JsonWebToken idToken)
    {
        Assert.True(idToken.TryGetPayloadValue<long>("auth_time", out var seconds), "the ID token has no auth_time");
        return DateTimeOffset.FromUnixTimeSeconds(seconds);
    }
}
