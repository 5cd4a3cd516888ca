using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Q4.Tests.Hosting;

namespace Q4.Tests.Auth;

/// <summary>
/// Several SSO providers may be trusted at once. The identity provider names itself after the address it was
/// reached at, so one provider reached as <c>localhost</c> and as <c>127.0.0.1</c> is two issuers with real keys.
/// </summary>
public sealed class TrustedIssuersTests(GraphFixture graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => graph.App;

    [Fact]
    public async Task An_api_configured_with_a_second_issuer_accepts_both_and_keeps_their_users_apart()
    {
        var identity = new Uri(App.GetUrls("identity")[0]);
        var secondBase = $"http://127.0.0.1:{identity.Port}";
        var fromFirst = await App.GetAccessTokenAsync("carol", Cancellation);
        var fromSecond = await Tokens.PasswordGrantAsync(secondBase, "carol", Cancellation);

        // The graph's API trusts only the first issuer.
        Assert.Equal(HttpStatusCode.OK, await StatusOfGetMeAsync(App.CreateHttpClient("apiservice"), fromFirst));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfGetMeAsync(App.CreateHttpClient("apiservice"), fromSecond));

        await using var api = await StartApiTrustingAsync($"{secondBase}/realms/q4");

        var first = await GetMeAsync(api.CreateHttpClient(), fromFirst);
        var second = await GetMeAsync(api.CreateHttpClient(), fromSecond);
        Assert.Equal(first.Name, second.Name);
        Assert.NotEqual(first.Id, second.Id); // same subject, another issuer: another person as far as Q4 knows
        var stranger = MintedToken.FreshUser(App) with { Issuer = "http://sso.elsewhere.example/realms/q4" };
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfGetMeAsync(api.CreateHttpClient(), stranger.Sign(App)));
    }

    [Fact]
    public async Task Roles_count_only_from_issuers_configured_to_grant_them()
    {
        var secondIssuer = $"http://127.0.0.1:{new Uri(App.GetUrls("identity")[0]).Port}/realms/q4";
        // An administrator, as far as the second issuer says, in both places a token could name roles.
        var secondAdmin = (MintedToken.FreshUser(App) with
        {
            Issuer = secondIssuer,
            Roles = ["user", "admin"],
            ExtraClaims = new Dictionary<string, object> { ["role"] = "admin" },
        }).Sign(App);
        var realmAdmin = await App.GetAccessTokenAsync("admin", Cancellation);

        await using (var api = await StartApiTrustingAsync(secondIssuer))
        {
            using var refused = await GetAsync(api, secondAdmin, "/admin/users");
            await Users.ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Forbidden, "forbidden");
            Assert.Empty((await GetMeAsync(api.CreateHttpClient(), secondAdmin)).Roles);
            // The discovered realm grants its roles as before.
            using var accepted = await GetAsync(api, realmAdmin, "/admin/users");
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        await using (var api = await StartApiTrustingAsync(secondIssuer, grantsRoles: true))
        {
            using var accepted = await GetAsync(api, secondAdmin, "/admin/users");
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
            // Roles come from realm_access alone; a top-level "role" claim is nobody's say.
            Assert.Equal(["user", "admin"], (await GetMeAsync(api.CreateHttpClient(), secondAdmin)).Roles);
        }
    }

    [Fact]
    public async Task An_issuer_granting_roles_must_be_a_trusted_one_or_the_api_does_not_start()
    {
        var environment = ApiEnvironment("http://127.0.0.1:1/realms/q4");
        environment["Identity__IssuersGrantingRoles__0"] = "http://sso.elsewhere.example/realms/q4";
        await using var api = ServiceProcess.Launch(new Projects.Q4_ApiService(), environment);

        Assert.NotEqual(0, await api.WaitForExitAsync(TimeSpan.FromMinutes(1), Cancellation));
        Assert.Contains("Identity:IssuersGrantingRoles names http://sso.elsewhere.example/realms/q4", api.Output);
    }

    /// <summary>An API replica beside the graph that trusts <paramref name="secondIssuer"/> too.</summary>
    private Task<ServiceProcess> StartApiTrustingAsync(string secondIssuer, bool grantsRoles = false)
    {
        var environment = ApiEnvironment(secondIssuer);
        if (grantsRoles)
        {
            environment["Identity__IssuersGrantingRoles__0"] = secondIssuer;
        }
        return ServiceProcess.StartAsync(new Projects.Q4_ApiService(), environment, Cancellation);
    }

    private Dictionary<string, string> ApiEnvironment(string secondIssuer) =>
        new(ServiceProcess.ApiEnvironment(App)) { ["Identity__Issuers__0"] = secondIssuer };

    private static async Task<HttpResponseMessage> GetAsync(ServiceProcess api, string token, string path)
    {
        using var client = api.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.GetAsync(path, Cancellation);
    }

    private static async Task<HttpStatusCode> StatusOfGetMeAsync(HttpClient client, string token)
    {
        using (client)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await client.GetAsync("/me", Cancellation);
            return response.StatusCode;
        }
    }

    private static async Task<Users.MeResponse> GetMeAsync(HttpClient client, string token)
    {
        using (client)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return (await client.GetFromJsonAsync<Users.MeResponse>("/me", Cancellation))!;
        }
    }
}
