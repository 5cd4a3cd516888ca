using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.WebUtilities;
using Q4.Frontend.Live;

namespace Q4.Frontend.Api;

/// <summary>
/// Q4.ApiService as the pages use it: one method an endpoint, found through service discovery, called with the
/// signed-in user's access token. Any answer but success is thrown as an <see cref="ApiProblem"/>.
/// </summary>
public sealed class ApiClient(HttpClient http)
{
    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

    public Task<Page<AuctionSummary>> SearchAsync(SearchQuery query, CancellationToken ct = default) =>
        GetAsync<Page<AuctionSummary>>(QueryHelpers.AddQueryString("auctions", Parameters(
            ("q", query.Q), ("status", query.Status), ("minPrice", Number(query.MinPrice)), ("maxPrice", Number(query.MaxPrice)),
            ("sort", query.Sort), ("limit", Number(query.Limit)), ("cursor", query.Cursor))), ct);

    /// <summary>Null when there is no such auction.</summary>
    public async Task<AuctionDetails?> GetAuctionAsync(Guid id, CancellationToken ct = default)
    {
        try
        {
            return await GetAsync<AuctionDetails>($"auctions/{id}", ct);
        }
        catch (ApiProblem problem) when (problem.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public Task<Page<BidHistoryItem>> GetBidsAsync(Guid auctionId, string? cursor = null, int? limit = null, CancellationToken ct = default) =>
        GetAsync<Page<BidHistoryItem>>(Paged($"auctions/{auctionId}/bids", cursor, limit), ct);

    /// <summary>
    /// Places a bid. <paramref name="idempotencyKey"/> names the attempt: sent again (a double click, a retry after
    /// a lost answer) it is answered with the same bid, never a second one.
    /// </summary>
    public async Task<BidAccepted> PlaceBidAsync(Guid auctionId, long amount, string idempotencyKey, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"auctions/{auctionId}/bids")
        {
            Content = JsonContent.Create(new { amount }, options: Json),
        };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await SendAsync<BidAccepted>(request, ct);
    }

    /// <summary>Lists a new auction; its id.</summary>
    public async Task<Guid> CreateAuctionAsync(CreateAuction auction, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "auctions") { Content = JsonContent.Create(auction, options: Json) };
        return (await SendAsync<AuctionDetails>(request, ct)).Id;
    }

    public async Task<UploadedImage> UploadImageAsync(Stream content, string fileName, string? contentType, CancellationToken ct = default)
    {
        var file = new StreamContent(content);
        if (!string.IsNullOrEmpty(contentType))
        {
            file.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, "images")
        {
            Content = new MultipartFormDataContent { { file, "file", fileName } },
        };
        return await SendAsync<UploadedImage>(request, ct);
    }

    public Task<Me> GetMeAsync(CancellationToken ct = default) => GetAsync<Me>("me", ct);

    public async Task<Me> UpdateMeAsync(string name, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, "me") { Content = JsonContent.Create(new { name }, options: Json) };
        return await SendAsync<Me>(request, ct);
    }

    public Task<Page<MyBid>> GetMyBidsAsync(string? cursor = null, int? limit = null, CancellationToken ct = default) =>
        GetAsync<Page<MyBid>>(Paged("me/bids", cursor, limit), ct);

    /// <summary>The auctions the user bid on, bid on last first, each with their highest bid and standing.</summary>
    public Task<Page<MyBidAuction>> GetMyBidAuctionsAsync(string? cursor = null, int? limit = null, CancellationToken ct = default) =>
        GetAsync<Page<MyBidAuction>>(Paged("me/bids/auctions", cursor, limit), ct);

    public Task<Page<AuctionSummary>> GetMyAuctionsAsync(string? cursor = null, int? limit = null, CancellationToken ct = default) =>
        GetAsync<Page<AuctionSummary>>(Paged("me/auctions", cursor, limit), ct);

    public Task<Page<AdminUser>> GetUsersAsync(string? cursor = null, int? limit = null, CancellationToken ct = default) =>
        GetAsync<Page<AdminUser>>(Paged("admin/users", cursor, limit), ct);

    public async Task SetBlockedAsync(Guid userId, bool blocked, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"admin/users/{userId}/{(blocked ? "block" : "unblock")}");
        using var response = await http.SendAsync(request, ct);
        await EnsureSuccessAsync(response, ct);
    }

    private async Task<T> GetAsync<T>(string uri, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        return await SendAsync<T>(request, ct);
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken ct)
    {
        using var response = await http.SendAsync(request, ct);
        await EnsureSuccessAsync(response, ct);
        return (await response.Content.ReadFromJsonAsync<T>(Json, ct))!;
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await ApiProblem.ReadAsync(response, ct);
        }
    }

    private static string Paged(string path, string? cursor, int? limit) =>
        QueryHelpers.AddQueryString(path, Parameters(("cursor", cursor), ("limit", Number(limit))));

    private static string? Number(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static IEnumerable<KeyValuePair<string, string?>> Parameters(params (string Name, string? Value)[] parameters) =>
        parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => KeyValuePair.Create(p.Name, p.Value));

    /// <summary>Attaches the signed-in user's access token (kept in their server-side session) to every call.</summary>
    internal sealed class UserTokenHandler(IHttpContextAccessor accessor) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (accessor.HttpContext is { User.Identity.IsAuthenticated: true } context
                && await context.GetTokenAsync("access_token") is { Length: > 0 } token)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
            return await base.SendAsync(request, ct);
        }
    }
}

public static class ApiClientExtensions
{
    public static IHostApplicationBuilder AddApiClient(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddTransient<ApiClient.UserTokenHandler>();
        builder.Services.AddHttpClient<ApiClient>(http => http.BaseAddress = new Uri(LiveApi.ApiService + "/"))
            .AddHttpMessageHandler<ApiClient.UserTokenHandler>();
        return builder;
    }

    /// <summary>
    /// An API call refused for want of a valid sign-in (401) sends the browser to sign in, and back to the page
    /// it was on; nothing the user typed into a GET form is lost, since that lives in the URL.
    /// </summary>
    public static WebApplication UseSignInOnUnauthorized(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (ApiProblem problem) when (problem.Status == HttpStatusCode.Unauthorized && !context.Response.HasStarted)
            {
                var back = context.Request.Method == HttpMethods.Get ? context.Request.Path + context.Request.QueryString : context.Request.Path.ToString();
                context.Response.Redirect(QueryHelpers.AddQueryString(SignIn.SignInApi.LoginPath, "returnUrl", back));
            }
        });
        return app;
    }
}
