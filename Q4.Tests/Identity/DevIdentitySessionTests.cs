using System.Net;
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
}
