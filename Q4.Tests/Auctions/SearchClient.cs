using System.Net;
using System.Net.Http.Json;
using Q4.Tests.Users;

namespace Q4.Tests.Auctions;

public sealed record AuctionSummaryResponse(
    Guid Id, string Title, long CurrentPrice, int BidCount, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string Status,
    string? ThumbnailUrl, string? LastEventId);

public sealed record SearchPage(List<AuctionSummaryResponse> Items, string? NextCursor);

/// <summary><c>GET /auctions</c> as a test calls it.</summary>
public static class SearchClient
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>
    /// A word no other test's auction holds, so a search for it sees this test's auctions only (the graph is shared).
    /// Letters and digits mixed: the full-text parser keeps such a word as it is, with no stemming.
    /// </summary>
    public static string UniqueWord() => $"lot{Guid.NewGuid():N}"[..14];

    public static async Task<SearchPage> SearchAsync(this HttpClient client, string query)
    {
        using var response = await client.GetAsync($"/auctions?{query}", Cancellation);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {await response.Content.ReadAsStringAsync(Cancellation)}");
        return (await response.Content.ReadFromJsonAsync<SearchPage>(Cancellation))!;
    }

    /// <summary>
    /// Follows <c>nextCursor</c> to the end and returns every item in the order the pages gave them. Pages alternate
    /// between the API replicas: a cursor is not tied to the replica that made it.
    /// </summary>
    public static async Task<List<AuctionSummaryResponse>> WalkAsync(this TestUser user, string query, int limit)
    {
        var items = new List<AuctionSummaryResponse>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await user.Api(pages++ % 2).SearchAsync($"{query}&limit={limit}{(cursor is null ? "" : $"&cursor={cursor}")}");
            Assert.True(page.Items.Count == limit || page.NextCursor is null, "only the last page may be short");
            Assert.True(page.Items.Count > 0 || cursor is null, "a cursor never leads to an empty page");
            items.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return items;
    }

    /// <summary>The ids a search finds, walking every page.</summary>
    public static async Task<HashSet<Guid>> FindAsync(this TestUser user, string query) =>
        (await user.WalkAsync(query, 100)).Select(a => a.Id).ToHashSet();
}
