using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Q4.Tests.Auth;
using Q4.Tests.Hosting;

namespace Q4.Tests.Users;

public sealed record MeResponse(Guid Id, string Name, string? Email, bool Blocked, string[] Roles, DateTimeOffset CreatedAt);

public sealed record PageResponse<T>(List<T> Items, string? NextCursor);

/// <summary>A test user: a fresh identity signed by the real provider's key, with a client per API replica.</summary>
public sealed class TestUser(AppHostProcess app, string token) : IDisposable
{
    private readonly Dictionary<int, HttpClient> _clients = [];

    public string Token { get; } = token;

    public static TestUser Fresh(AppHostProcess app, string? name = null) =>
        new(app, (MintedToken.FreshUser(app) with { Name = name }).Sign(app));

    public static async Task<TestUser> SignInAsync(AppHostProcess app, string username, CancellationToken ct) =>
        new(app, await app.GetAccessTokenAsync(username, ct));

    public HttpClient Api(int replica = 0)
    {
        if (!_clients.TryGetValue(replica, out var client))
        {
            _clients[replica] = client = app.CreateAuthenticatedClient("apiservice", Token, replica);
        }
        return client;
    }

    public async Task<MeResponse> GetMeAsync(int replica, CancellationToken ct)
    {
        using var response = await Api(replica).GetAsync("/me", ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<MeResponse>(ct))!;
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }
}

public static class ProblemAssert
{
    /// <summary>The response is ProblemDetails with <paramref name="status"/> and <paramref name="code"/>; returns its body.</summary>
    public static async Task<JsonElement> IsProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(code, problem.GetProperty("code").GetString());
        return problem;
    }
}
