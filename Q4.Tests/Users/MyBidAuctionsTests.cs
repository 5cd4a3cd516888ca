using System.Net;
using System.Net.Http.Json;
using Q4.Tests.Auctions;
using Q4.Tests.Hosting;

namespace Q4.Tests.Users;

public sealed record AuctionSummaryResponse(
    Guid Id, string Title, long CurrentPrice, int BidCount, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string Status, string? ThumbnailUrl);

public sealed record MyBidAuctionResponse(AuctionSummaryResponse Auction, long MyHighestBid, string Standing);

/// <summary><c>GET /me/bids/auctions</c>: each auction a user bid on, with their highest bid and where it leaves them.</summary>
public sealed class MyBidAuctionsTests(GraphFixture graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => graph.App;

    [Fact]
    public async Task Each_auction_a_user_bid_on_shows_their_highest_bid_and_standing_live_or_settled()
    {
        using var seller = TestUser.Fresh(App);
        using var first = TestUser.Fresh(App);
        using var second = TestUser.Fresh(App);
        var (sellerId, firstId, secondId) = ((await seller.GetMeAsync(0, Cancellation)).Id,
            (await first.GetMeAsync(0, Cancellation)).Id, (await second.GetMeAsync(0, Cancellation)).Id);

        // Open auctions, decided by the live state: first is outbid on one and leads the other.
        var contested = await seller.CreateAuctionAsync(startingPrice: 100, minIncrement: 10);
        var quiet = await seller.CreateAuctionAsync(startingPrice: 100, minIncrement: 10);
        await first.PlaceBidAsync(contested.Id, 100);
        await second.PlaceBidAsync(contested.Id, 110, replica: 1);
        await first.PlaceBidAsync(quiet.Id, 120);
        // A settled auction, as PostgreSQL holds it once ended: second won it.
        var settled = await SeedAsync.EndedAuctionAsync(App, sellerId, winnerId: secondId, price: 130, bidCount: 2, Cancellation);
        await SeedAsync.BidAsync(App, settled, firstId, 120, Cancellation);
        await SeedAsync.BidAsync(App, settled, secondId, 130, Cancellation);

        var firsts = await WaitForAsync(first, 3);
        Assert.Equal(("outbid", 100L), (firsts[contested.Id].Standing, firsts[contested.Id].MyHighestBid));
        Assert.Equal(("winning", 120L), (firsts[quiet.Id].Standing, firsts[quiet.Id].MyHighestBid));
        Assert.Equal(("lost", 120L), (firsts[settled].Standing, firsts[settled].MyHighestBid));
        Assert.Equal((110L, 2, "live"), (firsts[contested.Id].Auction.CurrentPrice, firsts[contested.Id].Auction.BidCount, firsts[contested.Id].Auction.Status));
        Assert.Equal("ended", firsts[settled].Auction.Status);

        var seconds = await WaitForAsync(second, 2, replica: 1);
        Assert.Equal(("winning", 110L), (seconds[contested.Id].Standing, seconds[contested.Id].MyHighestBid));
        Assert.Equal(("won", 130L), (seconds[settled].Standing, seconds[settled].MyHighestBid));

        // Outbid in turn: first leads again at once, on either replica.
        await first.PlaceBidAsync(contested.Id, 150, replica: 1);
        var again = await ListAsync(first, replica: 0);
        Assert.Equal("winning", again.Items.Single(i => i.Auction.Id == contested.Id).Standing);
        Assert.Equal(150L, again.Items.Single(i => i.Auction.Id == contested.Id).MyHighestBid);
        Assert.Equal("outbid", (await ListAsync(second, replica: 0)).Items.Single(i => i.Auction.Id == contested.Id).Standing);
    }

    [Fact]
    public async Task The_list_is_walked_page_by_page_without_repeats()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auctions = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var auction = await seller.CreateAuctionAsync();
            await bidder.PlaceBidAsync(auction.Id, 100);
            auctions.Add(auction.Id);
        }
        await WaitForAsync(bidder, 3);

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await ListAsync(bidder, limit: 1, cursor: cursor);
            Assert.True(page.Items.Count <= 1);
            seen.AddRange(page.Items.Select(i => i.Auction.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        // The auction bid on last comes first.
        Assert.Equal(Enumerable.Reverse(auctions), seen);
    }

    [Fact]
    public async Task A_bad_cursor_is_400_and_no_token_is_401()
    {
        using var user = TestUser.Fresh(App);
        using var bad = await user.Api().GetAsync("/me/bids/auctions?cursor=not-a-cursor", Cancellation);
        await ProblemAssert.IsProblemAsync(bad, HttpStatusCode.BadRequest, "invalid_cursor");
        using var anonymous = App.CreateHttpClient("apiservice");
        using var refused = await anonymous.GetAsync("/me/bids/auctions", Cancellation);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    private static async Task<PageResponse<MyBidAuctionResponse>> ListAsync(TestUser user, int replica = 0, int? limit = null, string? cursor = null)
    {
        var query = limit is null ? "" : $"?limit={limit}" + (cursor is null ? "" : $"&cursor={cursor}");
        using var response = await user.Api(replica).GetAsync("/me/bids/auctions" + query, Cancellation);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Cancellation));
        return (await response.Content.ReadFromJsonAsync<PageResponse<MyBidAuctionResponse>>(Cancellation))!;
    }

    /// <summary>Bids reach the list once the sync service has persisted them: waits for <paramref name="count"/> auctions.</summary>
    private static async Task<Dictionary<Guid, MyBidAuctionResponse>> WaitForAsync(TestUser user, int count, int replica = 0)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            var page = await ListAsync(user, replica);
            if (page.Items.Count >= count || timeout.IsCancellationRequested)
            {
                Assert.Equal(count, page.Items.Count);
                return page.Items.ToDictionary(i => i.Auction.Id);
            }
            await Task.Delay(200, Cancellation);
        }
    }
}
