using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Q4.Tests.Users;

namespace Q4.Tests.Auctions;

public sealed record UserRefResponse(Guid Id, string Name);

public sealed record AuctionResponse(
    Guid Id, string Title, long CurrentPrice, int BidCount, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string Status,
    string? ThumbnailUrl, string Description, UserRefResponse Seller, long StartingPrice, long MinIncrement,
    UserRefResponse? HighestBidder, List<ImageRefResponse> Images, UserRefResponse? Winner, string? LastEventId);

public sealed record ImageRefResponse(Guid Id, string Url);

public sealed record BidResponse(string Id, Guid AuctionId, long Amount, UserRefResponse Bidder, DateTimeOffset PlacedAt, DateTimeOffset EndsAt);

/// <summary>A received live event: its SSE id and type, and its JSON data.</summary>
public sealed record LiveEvent(string Id, string Type, JsonElement Data);

/// <summary>The auction endpoints as a test calls them.</summary>
public static class AuctionClient
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>Creates a live auction (starts now) that ends after <paramref name="endsIn"/> (default one hour).</summary>
    /// <remarks>With <paramref name="startsIn"/>, it starts that long from now instead; <paramref name="imageIds"/> are its photos.</remarks>
    public static async Task<AuctionResponse> CreateAuctionAsync(this TestUser seller, TimeSpan? endsIn = null,
        long startingPrice = 100, long minIncrement = 10, string title = "Pocket watch", int replica = 0,
        TimeSpan? startsIn = null, IReadOnlyList<Guid>? imageIds = null, string description = "Runs five minutes fast.")
    {
        var now = DateTimeOffset.UtcNow;
        using var response = await seller.Api(replica).PostAsJsonAsync("/auctions", new
        {
            title,
            description,
            startingPrice,
            minIncrement,
            startsAt = startsIn is { } delay ? now + delay : (DateTimeOffset?)null,
            endsAt = now + (startsIn ?? TimeSpan.Zero) + (endsIn ?? TimeSpan.FromHours(1)),
            imageIds = imageIds ?? [],
        }, Cancellation);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Cancellation));
        return (await response.Content.ReadFromJsonAsync<AuctionResponse>(Cancellation))!;
    }

    public static async Task<AuctionResponse> GetAuctionAsync(this TestUser user, Guid id, int replica = 0) =>
        (await user.Api(replica).GetFromJsonAsync<AuctionResponse>($"/auctions/{id}", Cancellation))!;

    public static Task<HttpResponseMessage> BidAsync(this TestUser bidder, Guid auctionId, object amount,
        string? idempotencyKey = null, int replica = 0)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/auctions/{auctionId}/bids") { Content = JsonContent.Create(new { amount }) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        return bidder.Api(replica).SendAsync(request, Cancellation);
    }

    /// <summary>Places a bid that must be accepted, and returns it.</summary>
    public static async Task<BidResponse> PlaceBidAsync(this TestUser bidder, Guid auctionId, long amount, int replica = 0)
    {
        using var response = await bidder.BidAsync(auctionId, amount, replica: replica);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Cancellation));
        return (await response.Content.ReadFromJsonAsync<BidResponse>(Cancellation))!;
    }

    /// <summary>
    /// Opens the auction's event stream and yields its events as they come. The response headers are awaited
    /// before the first item is asked for, so events placed after <c>OpenAsync</c> returns are never missed.
    /// </summary>
    public static Task<LiveFeed> OpenFeedAsync(HttpClient client, Guid auctionId, string? lastEventId = null) =>
        OpenFeedAsync(client, $"/auctions/{auctionId}/events", lastEventId);

    /// <summary>Opens one event stream for all of <paramref name="auctionIds"/>, as <see cref="OpenFeedAsync(HttpClient, Guid, string?)"/> does.</summary>
    public static Task<LiveFeed> OpenFeedAsync(HttpClient client, IEnumerable<Guid> auctionIds, string? lastEventId = null) =>
        OpenFeedAsync(client, EventsOf(auctionIds), lastEventId);

    /// <summary>The path of the one event stream of several auctions.</summary>
    public static string EventsOf(IEnumerable<Guid> auctionIds) => $"/auctions/events?ids={string.Join(",", auctionIds)}";

    /// <summary>Opens the event stream at <paramref name="path"/> (query included), optionally with <c>Last-Event-ID</c>.</summary>
    public static async Task<LiveFeed> OpenFeedAsync(HttpClient client, string path, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new LiveFeed(response, await response.Content.ReadAsStreamAsync(Cancellation));
    }

    public sealed class LiveFeed(HttpResponseMessage response, Stream body) : IDisposable
    {
        private readonly IAsyncEnumerator<SseItem<string>> _items = SseParser.Create(body).EnumerateAsync(Cancellation).GetAsyncEnumerator(Cancellation);

        /// <summary>The next <paramref name="count"/> events; fails if they do not all come within <paramref name="timeout"/>.</summary>
        public async Task<List<LiveEvent>> TakeAsync(int count, TimeSpan? timeout = null)
        {
            var events = new List<LiveEvent>();
            using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
            while (events.Count < count)
            {
                var next = _items.MoveNextAsync().AsTask();
                var finished = await Task.WhenAny(next, Task.Delay(Timeout.Infinite, deadline.Token).ContinueWith(_ => false));
                Assert.True(finished == next, $"only {events.Count} of {count} events arrived in time");
                Assert.True(await next, $"the stream ended after {events.Count} of {count} events");
                var item = _items.Current;
                events.Add(new LiveEvent(item.EventId!, item.EventType, JsonDocument.Parse(item.Data).RootElement.Clone()));
            }
            return events;
        }

        public void Dispose()
        {
            body.Dispose();
            response.Dispose();
        }
    }
}
