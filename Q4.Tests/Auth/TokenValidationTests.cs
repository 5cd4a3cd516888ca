using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using Q4.Tests.Hosting;

namespace Q4.Tests.Auth;

/// <summary>The API accepts exactly the tokens its trusted provider signed for it, still valid; all else is 401.</summary>
public sealed class TokenValidationTests(GraphFixture graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => graph.App;

    [Fact]
    public async Task A_token_from_the_identity_provider_is_accepted_on_every_replica()
    {
        var token = await App.GetAccessTokenAsync("alice", Cancellation);
        for (var replica = 0; replica < App.GetUrls("apiservice").Count; replica++)
        {
            using var response = await GetMeAsync(token, replica);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task A_well_formed_minted_token_is_accepted_so_the_refusals_below_are_about_one_flaw_each()
    {
        using var response = await GetMeAsync(MintedToken.FreshUser(App).Sign(App));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task No_token_is_401_with_a_problem_code()
    {
        using var client = App.CreateHttpClient("apiservice");
        using var response = await client.GetAsync("/me", Cancellation);
        await AssertUnauthorizedAsync(response);
    }

    [Fact]
    public async Task An_expired_token_is_401() =>
        await AssertRefusedAsync(MintedToken.FreshUser(App) with
        {
            NotBefore = DateTimeOffset.UtcNow.AddMinutes(-30),
            Expires = DateTimeOffset.UtcNow.AddMinutes(-5),
        });

    [Fact]
    public async Task A_token_not_yet_valid_is_401() =>
        await AssertRefusedAsync(MintedToken.FreshUser(App) with
        {
            NotBefore = DateTimeOffset.UtcNow.AddMinutes(5),
            Expires = DateTimeOffset.UtcNow.AddMinutes(30),
        });

    [Fact]
    public async Task A_token_for_another_audience_is_401() =>
        await AssertRefusedAsync(MintedToken.FreshUser(App) with { Audience = "q4-frontend" });

    [Fact]
    public async Task A_token_from_an_untrusted_issuer_is_401() =>
        await AssertRefusedAsync(MintedToken.FreshUser(App) with { Issuer = "http://sso.elsewhere.example/realms/q4" });

    [Fact]
    public async Task A_token_signed_by_another_key_with_the_same_key_id_is_401()
    {
        var impostor = new RsaSecurityKey(RSA.Create(2048)) { KeyId = App.LoadSigningKey().KeyId };
        await AssertRefusedAsync(MintedToken.FreshUser(App) with { SigningKey = impostor });
    }

    [Fact]
    public async Task An_unsigned_token_with_alg_none_is_401()
    {
        var token = TokenSurgery.Unsigned(await App.GetAccessTokenAsync("alice", Cancellation));
        using var response = await GetMeAsync(token);
        await AssertUnauthorizedAsync(response);
    }

    [Fact]
    public async Task A_tampered_token_is_401()
    {
        // alice makes herself an administrator; the signature no longer matches.
        var token = TokenSurgery.EditPayload(await App.GetAccessTokenAsync("alice", Cancellation), payload =>
        {
            payload["realm_access"] = JsonSerializer.SerializeToElement(new { roles = new[] { "user", "admin" } });
            return payload;
        });
        using var client = App.CreateHttpClient("apiservice");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.GetAsync("/admin/users", Cancellation);
        await AssertUnauthorizedAsync(response);
    }

    [Fact]
    public async Task A_garbage_bearer_value_is_401()
    {
        using var response = await GetMeAsync("not-a-token");
        await AssertUnauthorizedAsync(response);
    }

    private async Task AssertRefusedAsync(MintedToken token)
    {
        using var response = await GetMeAsync(token.Sign(App));
        await AssertUnauthorizedAsync(response);
    }

    private async Task<HttpResponseMessage> GetMeAsync(string token, int replica = 0)
    {
        using var client = App.CreateHttpClient("apiservice", replica);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.GetAsync("/me", Cancellation);
    }

    internal static async Task AssertUnauthorizedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal("unauthorized", problem.GetProperty("code").GetString());
    }
}
