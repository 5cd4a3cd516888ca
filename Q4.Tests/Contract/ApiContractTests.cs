using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Q4.Tests.Auctions;
using Q4.Tests.Hosting;
using Q4.Tests.Images;
using Q4.Tests.Users;

namespace Q4.Tests.Contract;

/// <summary>
/// The API's OpenAPI document (Q4.ApiService/Q4.ApiService.json, written by <c>dotnet build Q4.ApiService</c>) against
/// the API itself: it is what the API serves, lint-clean, and every status the API answers is in it.
/// </summary>
public sealed class ApiContractTests(GraphFixture graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => graph.App;

    private const string Regenerate = "write it again with `dotnet build Q4.ApiService` and commit Q4.ApiService/Q4.ApiService.json";

    [Fact]
    public async Task The_committed_document_is_the_one_every_replica_serves()
    {
        var committed = ApiDocument.Read();
        for (var replica = 0; replica < 2; replica++)
        {
            using var client = App.CreateHttpClient("apiservice", replica);
            var served = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json", Cancellation))!;
            Assert.True(JsonNode.DeepEquals(committed, served),
                $"replica {replica} serves another document than the committed one; {Regenerate}.\nServed:\n{served.ToJsonString()[..Math.Min(2000, served.ToJsonString().Length)]}");
        }
    }

    [Fact]
    public async Task Redocly_finds_no_error_and_no_warning_in_the_document()
    {
        var redocly = Path.Combine(ApiDocument.RepositoryRoot, ".q4", "tools", "node_modules", ".bin", "redocly");
        Assert.True(File.Exists(redocly), $"{redocly} is missing: .ci/run installs it (npm install --prefix .q4/tools @redocly/cli@2.77.0)");
        var start = new ProcessStartInfo(redocly)
        {
            ArgumentList = { "lint", ApiDocument.FilePath, "--config", Path.Combine(ApiDocument.RepositoryRoot, "redocly.yaml"), "--format=json" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = ApiDocument.RepositoryRoot,
        };
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        using var lint = Process.Start(start)!;
        var output = lint.StandardOutput.ReadToEndAsync(Cancellation);
        var errors = lint.StandardError.ReadToEndAsync(Cancellation);
        await lint.WaitForExitAsync(Cancellation);
        var report = JsonNode.Parse(await output)!;
        Assert.True((int)report["totals"]!["errors"]! == 0 && (int)report["totals"]!["warnings"]! == 0,
            $"redocly lint: {report["totals"]!.ToJsonString()}\n{report["problems"]!.ToJsonString()}\n{await errors}");
    }

    [Fact]
    public async Task Every_status_the_api_answers_is_documented_with_the_code_it_carries()
    {
        var seen = new Calls();
        using var anonymous = App.CreateHttpClient("apiservice");
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        using var blocked = TestUser.Fresh(App);
        using var admin = App.CreateAuthenticatedClient("apiservice", await App.GetAccessTokenAsync("admin", Cancellation));
        var adminId = (await admin.GetFromJsonAsync<MeResponse>("/me", Cancellation))!.Id;
        var blockedId = await blocked.IdAsync();
        var unknown = Guid.NewGuid();

        // Auctions; one that ends in a moment, to be bid on once it has.
        var ended = await seller.CreateAuctionAsync(endsIn: TimeSpan.FromSeconds(3));
        var auction = await seller.CreateAuctionAsync();
        await seen.CallAsync(anonymous, HttpMethod.Get, "/auctions");
        await seen.CallAsync(anonymous, HttpMethod.Get, "/auctions?q=watch&status=live&minPrice=1&maxPrice=1000&sort=-price&limit=5");
        await seen.CallAsync(anonymous, HttpMethod.Get, "/auctions?status=sold");
        await seen.CallAsync(anonymous, HttpMethod.Get, "/auctions?limit=many");
        await seen.CallAsync(anonymous, HttpMethod.Get, "/auctions?cursor=nonsense");
        var newAuction = new { title = "Lamp", description = "Brass.", startingPrice = 10, minIncrement = 1, endsAt = DateTimeOffset.UtcNow.AddHours(1) };
        await seen.CallAsync(seller.Api(), HttpMethod.Post, "/auctions", JsonContent.Create(newAuction));
        await seen.CallAsync(anonymous, HttpMethod.Post, "/auctions", JsonContent.Create(newAuction));
        await seen.CallAsync(seller.Api(), HttpMethod.Post, "/auctions", JsonContent.Create(new { title = "" }));
        await seen.CallAsync(seller.Api(), HttpMethod.Post, "/auctions", Json("""{"title":"Lamp","description":"Brass.","startingPrice":"10","minIncrement":1,"endsAt":"2999-01-01T00:00:00Z"}"""));
        await seen.CallAsync(seller.Api(), HttpMethod.Post, "/auctions", new StringContent("title=Lamp", Encoding.UTF8, "text/plain"));
        await seen.CallAsync(anonymous, HttpMethod.Get, $"/auctions/{auction.Id}");
        await seen.CallAsync(anonymous, HttpMethod.Get, $"/auctions/{unknown}");
        await seen.CallAsync(anonymous, HttpMethod.Get, $"/auctions/{auction.Id}/bids");
        await seen.CallAsync(anonymous, HttpMethod.Get, $"/auctions/{auction.Id}/bids?limit=0");
        await seen.CallAsync(anonymous, HttpMethod.Get, $"/auctions/{unknown}/bids");

        // Bids
        await seen.CallAsync(bidder.Api(), HttpMethod.Post, $"/auctions/{auction.Id}/bids", JsonContent.Create(new { amount = 100 }));
        await seen.CallAsync(bidder.Api(), HttpMethod.Post, $"/auctions/{auction.Id}/bids", JsonContent.Create(new { amount = 100 }));
        await seen.CallAsync(anonymous, HttpMethod.Post, $"/auctions/{auction.Id}/bids", JsonContent.Create(new { amount = 500 }));
        await seen.CallAsync(seller.Api(), HttpMethod.Post, $"/auctions/{auction.Id}/bids", JsonContent.Create(new { amount = 500 }));
        await seen.CallAsync(bidder.Api(), HttpMethod.Post, $"/auctions/{unknown}/bids", JsonContent.Create(new { amount = 500 }));
        await seen.CallAsync(bidder.Api(), HttpMethod.Post, $"/auctions/{auction.Id}/bids", JsonContent.Create(new { amount = "500" }));
        await seen.CallAsync(bidder.Api(), HttpMethod.Post, $"/auctions/{auction.Id}/bids", Json("{"));
        await seen.CallAsync(bidder.Api(), HttpMethod.Post, $"/auctions/{auction.Id}/bids", new StringContent("500", Encoding.UTF8, "text/plain"));
        using (var badKey = new HttpRequestMessage(HttpMethod.Post, $"/auctions/{auction.Id}/bids") { Content = JsonContent.Create(new { amount = 500 }) })
        {
            badKey.Headers.TryAddWithoutValidation("Idempotency-Key", new string('k', 101));
            await seen.SendAsync(bidder.Api(), badKey);
        }
        var left = ended.EndsAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200);
        await Task.Delay(left > TimeSpan.Zero ? left : TimeSpan.Zero, Cancellation);
        await seen.CallAsync(bidder.Api(), HttpMethod.Post, $"/auctions/{ended.Id}/bids", JsonContent.Create(new { amount = 500 }));

        // Events
        await seen.CallAsync(anonymous, HttpMethod.Get, $"/auctions/{auction.Id}/events");
        await seen.CallAsync(anonymous, HttpMethod.Get, $"/auctions/{auction.Id}/events?lastEventId=yesterday");
        await seen.CallAsync(anonymous, HttpMethod.Get, $"/auctions/{unknown}/events");
        await seen.CallAsync(anonymous, HttpMethod.Get, $"/auctions/events?ids={auction.Id},{ended.Id}");
        await seen.CallAsync(anonymous, HttpMethod.Get, "/auctions/events");
        await seen.CallAsync(anonymous, HttpMethod.Get, $"/auctions/events?ids={auction.Id}&lastEventId=1-0.2-0");
        await seen.CallAsync(anonymous, HttpMethod.Get, $"/auctions/events?ids={auction.Id},{unknown}");

        // Images
        var png = ImageFiles.Png();
        var image = await seen.CallAsync(seller.Api(), HttpMethod.Post, "/images", ImageClient.Form(png));
        var imageUrl = JsonNode.Parse(image)!["url"]!.GetValue<string>();
        await seen.CallAsync(anonymous, HttpMethod.Post, "/images", ImageClient.Form(png));
        await seen.CallAsync(seller.Api(), HttpMethod.Post, "/images", ImageClient.Form([]));
        await seen.CallAsync(seller.Api(), HttpMethod.Post, "/images", ImageClient.Form(png, field: "photo"));
        await seen.CallAsync(seller.Api(), HttpMethod.Post, "/images", ImageClient.Form("<html></html>"u8.ToArray()));
        await seen.CallAsync(seller.Api(), HttpMethod.Post, "/images", JsonContent.Create(new { file = "x" }));
        await seen.CallAsync(seller.Api(), HttpMethod.Post, "/images", ImageClient.Form([.. png, .. new byte[5 * 1024 * 1024]]));
        await seen.CallAsync(anonymous, HttpMethod.Get, imageUrl);
        using (var again = new HttpRequestMessage(HttpMethod.Get, imageUrl))
        {
            again.Headers.TryAddWithoutValidation("If-None-Match", $"\"{JsonNode.Parse(image)!["id"]!.GetValue<Guid>():N}\"");
            await seen.SendAsync(anonymous, again);
        }
        await seen.CallAsync(anonymous, HttpMethod.Get, $"/images/{unknown}");

        // Me
        await seen.CallAsync(seller.Api(), HttpMethod.Get, "/me");
        await seen.CallAsync(anonymous, HttpMethod.Get, "/me");
        await seen.CallAsync(seller.Api(), HttpMethod.Patch, "/me", JsonContent.Create(new { name = "Sam Seller" }));
        await seen.CallAsync(seller.Api(), HttpMethod.Patch, "/me", JsonContent.Create(new { name = "" }));
        await seen.CallAsync(seller.Api(), HttpMethod.Patch, "/me", new StringContent("Sam", Encoding.UTF8, "text/plain"));
        await seen.CallAsync(anonymous, HttpMethod.Patch, "/me", JsonContent.Create(new { name = "Nobody" }));
        await seen.CallAsync(bidder.Api(), HttpMethod.Get, "/me/bids?limit=1");
        await seen.CallAsync(bidder.Api(), HttpMethod.Get, "/me/bids?limit=0");
        await seen.CallAsync(anonymous, HttpMethod.Get, "/me/bids");
        await seen.CallAsync(bidder.Api(), HttpMethod.Get, "/me/bids/auctions?limit=1");
        await seen.CallAsync(bidder.Api(), HttpMethod.Get, "/me/bids/auctions?cursor=garbage");
        await seen.CallAsync(anonymous, HttpMethod.Get, "/me/bids/auctions");
        await seen.CallAsync(seller.Api(), HttpMethod.Get, "/me/auctions");
        await seen.CallAsync(seller.Api(), HttpMethod.Get, "/me/auctions?cursor=nonsense");
        await seen.CallAsync(anonymous, HttpMethod.Get, "/me/auctions");

        // Admin, and what a blocked user is refused
        await seen.CallAsync(admin, HttpMethod.Get, "/admin/users?limit=2");
        await seen.CallAsync(admin, HttpMethod.Get, "/admin/users?limit=0");
        await seen.CallAsync(seller.Api(), HttpMethod.Get, "/admin/users");
        await seen.CallAsync(anonymous, HttpMethod.Get, "/admin/users");
        await seen.CallAsync(admin, HttpMethod.Post, $"/admin/users/{blockedId}/block");
        await seen.CallAsync(admin, HttpMethod.Post, $"/admin/users/{adminId}/block");
        await seen.CallAsync(admin, HttpMethod.Post, $"/admin/users/{unknown}/block");
        await seen.CallAsync(seller.Api(), HttpMethod.Post, $"/admin/users/{blockedId}/block");
        await seen.CallAsync(anonymous, HttpMethod.Post, $"/admin/users/{blockedId}/block");
        await seen.CallAsync(blocked.Api(), HttpMethod.Post, "/auctions", JsonContent.Create(newAuction));
        await seen.CallAsync(blocked.Api(), HttpMethod.Post, $"/auctions/{auction.Id}/bids", JsonContent.Create(new { amount = 1000 }));
        await seen.CallAsync(blocked.Api(), HttpMethod.Patch, "/me", JsonContent.Create(new { name = "Blocked" }));
        await seen.CallAsync(blocked.Api(), HttpMethod.Post, "/images", ImageClient.Form(png));
        await seen.CallAsync(admin, HttpMethod.Post, $"/admin/users/{blockedId}/unblock");
        await seen.CallAsync(admin, HttpMethod.Post, $"/admin/users/{adminId}/unblock");
        await seen.CallAsync(admin, HttpMethod.Post, $"/admin/users/{unknown}/unblock");
        await seen.CallAsync(bidder.Api(), HttpMethod.Post, $"/admin/users/{blockedId}/unblock");
        await seen.CallAsync(anonymous, HttpMethod.Post, $"/admin/users/{blockedId}/unblock");

        TestContext.Current.TestOutputHelper?.WriteLine(string.Join("\n", seen.Observed.Select(o => $"{o.Operation} {o.Status} {o.Code}")));
        Assert.Empty(seen.Undocumented);
        Assert.Empty(ApiDocument.Operations.Except(seen.Observed.Select(o => o.Operation)));
        // Each documented status was seen at least once, but for those that need a store outage or a spent quota.
        var unseen = ApiDocument.Operations
            .SelectMany(op => op.Statuses.Where(status => status is not (503 or 429)).Select(status => $"{op} {status}"))
            .Except(seen.Observed.Select(o => $"{o.Operation} {o.Status}"));
        Assert.Empty(unseen);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>The calls a test made: each one's documented operation, status and problem code.</summary>
    private sealed class Calls
    {
        public List<(ApiOperation Operation, int Status, string? Code)> Observed { get; } = [];

        public List<string> Undocumented { get; } = [];

        public async Task<string> CallAsync(HttpClient client, HttpMethod method, string uri, HttpContent? content = null)
        {
            using var request = new HttpRequestMessage(method, uri) { Content = content };
            return await SendAsync(client, request);
        }

        /// <summary>Sends the request; the body (none for an event stream, which is left once it answered).</summary>
        public async Task<string> SendAsync(HttpClient client, HttpRequestMessage request)
        {
            var path = request.RequestUri!.OriginalString.Split('?')[0];
            var operation = ApiDocument.Find(request.Method.Method, path);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Cancellation);
            var status = (int)response.StatusCode;
            var body = response.Content.Headers.ContentType?.MediaType == "text/event-stream"
                ? ""
                : await response.Content.ReadAsStringAsync(Cancellation);
            var code = status >= 400 && body.Length > 0 ? JsonNode.Parse(body)?["code"]?.GetValue<string>() : null;
            var call = $"{request.Method} {request.RequestUri} answered {status} {code}";
            if (operation is null)
            {
                Undocumented.Add($"{call}: no operation of the document has this path");
                return body;
            }
            Observed.Add((operation, status, code));
            if (operation.Node["responses"]![status.ToString()] is not { } documented)
            {
                Undocumented.Add($"{call}: {operation} documents only {string.Join(", ", operation.Statuses.Order())}");
            }
            else if (status >= 400)
            {
                // Refusals are problem details whose code the response's description names.
                var description = (string?)documented["description"] ?? "";
                if (response.Content.Headers.ContentType?.MediaType != "application/problem+json" || code is null
                    || !description.Contains($"`{code}`", StringComparison.Ordinal))
                {
                    Undocumented.Add($"{call} ({response.Content.Headers.ContentType}): {operation} says \"{description}\"");
                }
            }
            return body;
        }
    }
}
