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

        await using var api = await ServiceProcess.StartAsync(new Projects.Q4_ApiService(), new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = App.GetConnectionString("redis"),
            ["ConnectionStrings__q4db"] = App.GetConnectionString("q4db"),
            ["ConnectionStrings__storage"] = App.GetConnectionString("storage"),
            ["services__identity__http__0"] = identity.ToString().TrimEnd('/'),
            ["Identity__Issuers__0"] = $"{secondBase}/realms/q4",
        }, Cancellation);

        var first = await GetMeAsync(api.CreateHttpClient(), fromFirst);
        var second = await GetMeAsync(api.CreateHttpClient(), fromSecond);
        Assert.Equal(first.Name, second.Name);
        Assert.NotEqual(first.Id, second.Id); // same subject, another issuer: another person as far as Q4 knows
        var stranger = MintedToken.FreshUser(App) with { Issuer = "http://sso.elsewhere.example/realms/q4" };
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfGetMeAsync(api.CreateHttpClient(), stranger.Sign(App)));
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
