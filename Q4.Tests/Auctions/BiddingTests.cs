using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Q4.Tests.Hosting;
using Q4.Tests.Users;
using StackExchange.Redis;

namespace Q4.Tests.Auctions;

public sealed class BiddingTests(GraphFixture graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => graph.App;

    [Fact]
    public async Task Fifty_bidders_racing_forty_bids_each_leave_a_strictly_rising_history_and_a_price_equal_to_the_top_bid()
    {
        using var seller = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync(startingPrice: 1_000, minIncrement: 5);
        var bidders = Enumerable.Range(0, 50).Select(_ => TestUser.Fresh(App)).ToList();
        var accepted = new ConcurrentBag<BidResponse>();
        var refused = new ConcurrentBag<(long Amount, JsonElement Problem)>();

        await Task.WhenAll(bidders.Select((bidder, index) => Task.Run(async () =>
        {
            var random = new Random(index);
            var known = auction.StartingPrice;
            for (var i = 0; i < 40; i++)
            {
                // Around what this bidder last saw: sometimes enough, often overtaken meanwhile, sometimes low.
                var amount = Math.Max(1, known + random.Next(-10, 40));
                using var response = await bidder.BidAsync(auction.Id, amount, replica: (index + i) % 2);
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    var bid = (await response.Content.ReadFromJsonAsync<BidResponse>(Cancellation))!;
                    accepted.Add(bid);
                    known = bid.Amount + auction.MinIncrement;
                }
                else
                {
                    var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, "bid_too_low");
                    refused.Add((amount, problem));
                    known = problem.GetProperty("minimumBid").GetInt64();
                }
            }
        }, Cancellation)));

        Assert.Equal(50 * 40, accepted.Count + refused.Count);
        Assert.NotEmpty(accepted);
        Assert.NotEmpty(refused);
        var inStreamOrder = accepted.OrderBy(bid => StreamOrder(bid.Id)).ToList();
        for (var i = 1; i < inStreamOrder.Count; i++)
        {
            Assert.True(inStreamOrder[i].Amount >= inStreamOrder[i - 1].Amount + auction.MinIncrement,
                $"bid {inStreamOrder[i].Id} ({inStreamOrder[i].Amount}) follows {inStreamOrder[i - 1].Id} ({inStreamOrder[i - 1].Amount})");
        }
        Assert.True(inStreamOrder[0].Amount >= auction.StartingPrice);
        foreach (var (amount, problem) in refused)
        {
            var minimum = problem.GetProperty("minimumBid").GetInt64();
            Assert.True(amount < minimum, $"{amount} was refused though the minimum was {minimum}");
            var current = problem.GetProperty("currentPrice").GetInt64();
            Assert.True(minimum == current + auction.MinIncrement || minimum == auction.StartingPrice);
        }

        var live = await seller.GetAuctionAsync(auction.Id, replica: 1);
        Assert.Equal(inStreamOrder[^1].Amount, live.CurrentPrice);
        Assert.Equal(accepted.Count, live.BidCount);
        Assert.Equal(inStreamOrder[^1].Bidder.Id, live.HighestBidder!.Id);

        // Every accepted bid, and nothing else, went to the global stream for persistence.
        var entries = await ReadBidStreamAsync(auction.Id);
        Assert.Equal(inStreamOrder.Select(bid => bid.Id), entries.Select(entry => entry.Id.ToString()));
        Assert.Equal(inStreamOrder.Select(bid => bid.Amount.ToString()), entries.Select(entry => entry["amount"].ToString()));
        foreach (var bidder in bidders)
        {
            bidder.Dispose();
        }
    }

    [Fact]
    public async Task The_first_bid_may_equal_the_starting_price_and_the_next_must_add_the_increment()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync(startingPrice: 500, minIncrement: 25);

        using (var low = await bidder.BidAsync(auction.Id, 499))
        {
            var problem = await ProblemAssert.IsProblemAsync(low, HttpStatusCode.Conflict, "bid_too_low");
            Assert.Equal(500, problem.GetProperty("minimumBid").GetInt64());
        }
        var first = await bidder.PlaceBidAsync(auction.Id, 500);
        Assert.Equal(500, first.Amount);
        using (var low = await bidder.BidAsync(auction.Id, 524, replica: 1))
        {
            var problem = await ProblemAssert.IsProblemAsync(low, HttpStatusCode.Conflict, "bid_too_low");
            Assert.Equal(500, problem.GetProperty("currentPrice").GetInt64());
            Assert.Equal(525, problem.GetProperty("minimumBid").GetInt64());
        }
        await bidder.PlaceBidAsync(auction.Id, 525, replica: 1);
    }

    [Fact]
    public async Task A_retry_with_the_same_idempotency_key_gets_the_first_answer_and_writes_once()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync();
        var key = Guid.NewGuid().ToString();

        // Ten copies of one request at once, on both replicas, then a late retry with another amount.
        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
        {
            using var response = await bidder.BidAsync(auction.Id, 150, key, replica: i % 2);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<BidResponse>(Cancellation))!;
        }));
        using var late = await bidder.BidAsync(auction.Id, 999, key);
        var lateAnswer = (await late.Content.ReadFromJsonAsync<BidResponse>(Cancellation))!;

        Assert.Single(answers.Append(lateAnswer).Select(a => (a.Id, a.Amount, a.PlacedAt)).Distinct());
        Assert.Equal(150, lateAnswer.Amount);
        Assert.Single(await ReadBidStreamAsync(auction.Id));
        Assert.Equal(1, (await seller.GetAuctionAsync(auction.Id)).BidCount);

        // The key belongs to its user: another bidder using it places a bid of their own.
        using var other = TestUser.Fresh(App);
        using var theirs = await other.BidAsync(auction.Id, 200, key);
        Assert.Equal(HttpStatusCode.Created, theirs.StatusCode);
        Assert.NotEqual(lateAnswer.Id, (await theirs.Content.ReadFromJsonAsync<BidResponse>(Cancellation))!.Id);
    }

    [Fact]
    public async Task Each_bid_inside_the_closing_window_extends_the_end_exactly_once()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var window = TimeSpan.FromMinutes(2); // Bidding:SoftCloseWindow's default
        var auction = await seller.CreateAuctionAsync(endsIn: TimeSpan.FromSeconds(90));
        using var feed = await AuctionClient.OpenFeedAsync(App.CreateHttpClient("apiservice", 1), auction.Id);

        var bids = new List<BidResponse>();
        for (var i = 0; i < 3; i++)
        {
            bids.Add(await bidder.PlaceBidAsync(auction.Id, 100 + i * 10, replica: i % 2));
        }

        var events = await feed.TakeAsync(6);
        Assert.Equal(["bid", "extended", "bid", "extended", "bid", "extended"], events.Select(e => e.Type));
        var previousEnd = auction.EndsAt;
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(bids[i].PlacedAt + window, bids[i].EndsAt);
            var extended = events[2 * i + 1].Data;
            Assert.Equal(bids[i].Id, extended.GetProperty("bidId").GetString());
            Assert.Equal(bids[i].EndsAt, extended.GetProperty("endsAt").GetDateTimeOffset());
            Assert.Equal(previousEnd, extended.GetProperty("previousEndsAt").GetDateTimeOffset());
            previousEnd = bids[i].EndsAt;
        }
        Assert.Equal(bids[^1].EndsAt, (await seller.GetAuctionAsync(auction.Id)).EndsAt);
    }

    [Fact]
    public async Task A_bid_well_before_the_end_does_not_extend_it()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync(endsIn: TimeSpan.FromHours(1));
        var bid = await bidder.PlaceBidAsync(auction.Id, 100);
        Assert.Equal(auction.EndsAt, bid.EndsAt);
        var stream = await App.RedisAsync(redis => redis.StreamRangeAsync($"q4:auction:{auction.Id}:events"));
        Assert.Equal(["bid"], stream.Select(entry => entry["type"].ToString()));
    }

    [Fact]
    public async Task A_bid_one_millisecond_after_the_end_is_refused()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync();
        // Redis's clock is the one that counts: move the end to one millisecond before its "now".
        await App.RedisAsync(async redis =>
        {
            var now = await redis.ExecuteAsync("TIME");
            var ms = long.Parse(((RedisResult[])now!)[0].ToString()) * 1000 + long.Parse(((RedisResult[])now!)[1].ToString()) / 1000;
            return await redis.HashSetAsync($"q4:auction:{auction.Id}", "endsAt", ms - 1);
        });
        using var late = await bidder.BidAsync(auction.Id, 100);
        await ProblemAssert.IsProblemAsync(late, HttpStatusCode.Conflict, "auction_not_open");
        Assert.Empty(await ReadBidStreamAsync(auction.Id));
        Assert.Equal(0, (await seller.GetAuctionAsync(auction.Id)).BidCount);
    }

    [Fact]
    public async Task An_auction_whose_time_ran_out_refuses_bids()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync(endsIn: TimeSpan.FromSeconds(1));
        // On a loaded machine creating it may take longer than its second: then there is nothing left to wait.
        var left = auction.EndsAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200);
        await Task.Delay(left > TimeSpan.Zero ? left : TimeSpan.Zero, Cancellation);
        using var late = await bidder.BidAsync(auction.Id, 100);
        await ProblemAssert.IsProblemAsync(late, HttpStatusCode.Conflict, "auction_not_open");
        Assert.Equal("ended", (await seller.GetAuctionAsync(auction.Id)).Status);
    }

    public static TheoryData<string> BadAmounts => ["0", "-5", "1.5", "\"100\"", "null", "1e30", "1000000000000001", "true", "99999999999999999999"];

    [Theory]
    [MemberData(nameof(BadAmounts))]
    public async Task A_bad_amount_is_400_and_writes_nothing(string amountJson)
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync();
        using var response = await bidder.Api().PostAsync($"/auctions/{auction.Id}/bids",
            new StringContent($$"""{"amount": {{amountJson}}}""", System.Text.Encoding.UTF8, "application/json"), Cancellation);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await ReadBidStreamAsync(auction.Id));
    }

    [Fact]
    public async Task A_missing_amount_is_400_validation()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync();
        using var response = await bidder.Api().PostAsJsonAsync($"/auctions/{auction.Id}/bids", new { }, Cancellation);
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation");
        Assert.True(problem.GetProperty("errors").TryGetProperty("amount", out _));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("tab\there")]
    [InlineData("x")]
    public async Task A_bad_idempotency_key_is_400(string key)
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync();
        using var response = await bidder.BidAsync(auction.Id, 100, key == "x" ? new string('x', 101) : key);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid_idempotency_key");
        Assert.Empty(await ReadBidStreamAsync(auction.Id));
    }

    [Fact]
    public async Task The_seller_cannot_bid_on_their_own_auction()
    {
        using var seller = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync();
        using var response = await seller.BidAsync(auction.Id, 100);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, "own_auction");
        Assert.Empty(await ReadBidStreamAsync(auction.Id));
    }

    [Fact]
    public async Task Bidding_on_an_unknown_auction_is_404_and_without_a_token_401()
    {
        using var bidder = TestUser.Fresh(App);
        using var unknown = await bidder.BidAsync(Guid.NewGuid(), 100);
        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound, "not_found");

        using var seller = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync();
        using var anonymous = await App.CreateHttpClient("apiservice").PostAsJsonAsync($"/auctions/{auction.Id}/bids", new { amount = 100 }, Cancellation);
        await ProblemAssert.IsProblemAsync(anonymous, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task A_blocked_user_cannot_bid()
    {
        using var admin = await TestUser.SignInAsync(App, "admin", Cancellation);
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync();
        var me = await bidder.GetMeAsync(0, Cancellation);
        using (var block = await admin.Api().PostAsync($"/admin/users/{me.Id}/block", null, Cancellation))
        {
            Assert.Equal(HttpStatusCode.NoContent, block.StatusCode);
        }
        for (var replica = 0; replica < 2; replica++)
        {
            using var response = await bidder.BidAsync(auction.Id, 100, replica: replica);
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, "user_blocked");
        }
        Assert.Empty(await ReadBidStreamAsync(auction.Id));
    }

    private static (ulong, ulong) StreamOrder(string id)
    {
        var parts = id.Split('-');
        return (ulong.Parse(parts[0]), ulong.Parse(parts[1]));
    }

    private Task<List<StreamEntry>> ReadBidStreamAsync(Guid auctionId) =>
        App.RedisAsync(async redis => (await redis.StreamRangeAsync("q4:bids"))
            .Where(entry => entry["auction"] == auctionId.ToString()).ToList());
}
