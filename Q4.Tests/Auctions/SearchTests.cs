using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Npgsql;
using Q4.Tests.Hosting;
using Q4.Tests.Sync;
using Q4.Tests.Users;

namespace Q4.Tests.Auctions;

public sealed class SearchTests(GraphFixture graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => graph.App;

    [Fact]
    public async Task Every_order_walks_a_thousand_auctions_with_no_duplicate_and_no_gap()
    {
        var word = SearchClient.UniqueWord();
        using var seller = TestUser.Fresh(App);
        var now = DateTimeOffset.UtcNow;
        // Few distinct prices and ends, so most sort keys tie and the id has to break the ties.
        var created = await CreateManyAsync(seller, 1000, i => new
        {
            title = $"Walk {word} {i}",
            description = "",
            startingPrice = i % 40 * 250,
            minIncrement = 10,
            endsAt = now.AddHours(2).AddMinutes(i % 25),
        });
        var createdAt = await CreatedAtAsync(created.Select(a => a.Id));

        // PostgreSQL orders uuids by their bytes, which is the order of their hex text.
        string IdText(AuctionResponse a) => a.Id.ToString("N");
        var expected = new Dictionary<string, IEnumerable<AuctionResponse>>
        {
            ["endsAt"] = created.OrderBy(a => a.EndsAt).ThenBy(IdText, StringComparer.Ordinal),
            ["-endsAt"] = created.OrderByDescending(a => a.EndsAt).ThenByDescending(IdText, StringComparer.Ordinal),
            ["price"] = created.OrderBy(a => a.CurrentPrice).ThenBy(IdText, StringComparer.Ordinal),
            ["-price"] = created.OrderByDescending(a => a.CurrentPrice).ThenByDescending(IdText, StringComparer.Ordinal),
            ["createdAt"] = created.OrderBy(a => createdAt[a.Id]).ThenBy(IdText, StringComparer.Ordinal),
            ["-createdAt"] = created.OrderByDescending(a => createdAt[a.Id]).ThenByDescending(IdText, StringComparer.Ordinal),
        };
        foreach (var (sort, order) in expected)
        {
            var walked = await seller.WalkAsync($"q={word}&sort={sort}", limit: 37);
            Assert.Equal(order.Select(a => a.Id), walked.Select(a => a.Id));
        }

        // Every one matches the word once, so relevance ties throughout; the walk must still see each exactly once.
        var byRelevance = await seller.WalkAsync($"q={word}", limit: 37);
        Assert.Equal(1000, byRelevance.Count);
        Assert.Equal(created.Select(a => a.Id).ToHashSet(), byRelevance.Select(a => a.Id).ToHashSet());
    }

    [Fact]
    public async Task A_walk_by_price_while_bids_land_sees_every_unchanged_auction_once()
    {
        var word = SearchClient.UniqueWord();
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var created = await CreateManyAsync(seller, 120, i => new
        {
            title = $"Moving {word}",
            description = "",
            startingPrice = 100 + i * 10,
            minIncrement = 10,
            endsAt = DateTimeOffset.UtcNow.AddHours(2),
        });

        // After each page, its cheapest auction gets a bid above every price: it moves ahead of the cursor.
        var seen = new List<Guid>();
        var bidOn = new HashSet<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await seller.Api(pages++ % 2).SearchAsync($"q={word}&sort=price&limit=10{(cursor is null ? "" : $"&cursor={cursor}")}");
            seen.AddRange(page.Items.Select(a => a.Id));
            if (page.Items.FirstOrDefault(a => !bidOn.Contains(a.Id)) is { } cheapest)
            {
                await bidder.PlaceBidAsync(cheapest.Id, 10_000 + pages);
                bidOn.Add(cheapest.Id);
                // The search orders by PostgreSQL's price: wait for the sync service to persist the bid.
                while ((await App.PersistedAuctionAsync(cheapest.Id)).CurrentPrice != 10_000 + pages)
                {
                    await Task.Delay(50, Cancellation);
                }
            }
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        var unchanged = created.Select(a => a.Id).Where(id => !bidOn.Contains(id)).ToList();
        Assert.All(unchanged, id => Assert.Single(seen, id));
        // Each auction that moved past the cursor showed up again at its new price.
        Assert.All(bidOn, id => Assert.InRange(seen.Count(s => s == id), 1, 2));
        Assert.True(bidOn.Count(id => seen.Count(s => s == id) == 2) >= bidOn.Count - 1,
            "an auction bid on after its page was read should appear again further on");
    }

    [Fact]
    public async Task Text_status_and_price_filters_combine()
    {
        var word = SearchClient.UniqueWord();
        using var seller = TestUser.Fresh(App);
        var upcoming = await CreateAsync(seller, $"Brass lamp {word}", 500, startsIn: TimeSpan.FromHours(1));
        var cheap = await CreateAsync(seller, $"Brass lamp {word}", 100);
        var middling = await CreateAsync(seller, $"Copper kettle {word}", 1_000);
        var dear = await CreateAsync(seller, $"Brass kettle {word}", 5_000);
        var ending = await CreateAsync(seller, $"Brass clock {word}", 1_000, endsIn: TimeSpan.FromSeconds(2));
        await Task.Delay(TimeSpan.FromSeconds(2.5), Cancellation);

        Assert.Equal(Ids(upcoming, cheap, middling, dear, ending), await seller.FindAsync($"q={word}"));
        Assert.Equal(Ids(cheap, middling, dear), await seller.FindAsync($"q={word}&status=live"));
        Assert.Equal(Ids(upcoming), await seller.FindAsync($"q={word}&status=upcoming"));
        Assert.Equal(Ids(ending), await seller.FindAsync($"q={word}&status=ended"));
        Assert.Equal(Ids(middling, dear), await seller.FindAsync($"q={word}&status=live&minPrice=1000"));
        Assert.Equal(Ids(middling), await seller.FindAsync($"q={word}&status=live&minPrice=1000&maxPrice=1000"));
        Assert.Equal(Ids(middling, ending), await seller.FindAsync($"q={word}&minPrice=1000&maxPrice=4999"));
        Assert.Equal(Ids(cheap), await seller.FindAsync($"q={word} brass&status=live&maxPrice=4999"));
        Assert.Equal(Ids(upcoming, cheap, ending), await seller.FindAsync($"q={word} -kettle"));
        Assert.Equal(Ids(dear), await seller.FindAsync($"q={Uri.EscapeDataString($"{word} \"brass kettle\"")}"));
        Assert.Empty(await seller.FindAsync($"q={word}&minPrice=5001"));

        var statuses = (await seller.WalkAsync($"q={word}&sort=endsAt", 100)).ToDictionary(a => a.Id, a => a.Status);
        Assert.Equal("upcoming", statuses[upcoming.Id]);
        Assert.Equal("live", statuses[cheap.Id]);
        Assert.Equal("ended", statuses[ending.Id]);
    }

    [Fact]
    public async Task Words_without_a_sort_list_the_best_match_first()
    {
        var word = SearchClient.UniqueWord();
        using var seller = TestUser.Fresh(App);
        // The weaker match is created last, so its larger id would come first if the rank did not decide.
        var strong = await CreateAsync(seller, $"Telescope {word}", 100, description: "A brass telescope; the telescope stand is included.");
        var weak = await CreateAsync(seller, $"Tripod {word}", 100, description: "Fits a telescope.");
        await CreateAsync(seller, $"Tripod {word}", 100, description: "Fits a camera.");

        var page = await seller.Api().SearchAsync($"q={Uri.EscapeDataString($"{word} telescope")}");
        Assert.Equal([strong.Id, weak.Id], page.Items.Select(a => a.Id));
    }

    [Fact]
    public async Task Results_show_the_live_price_from_redis_while_filters_use_the_persisted_one()
    {
        var word = SearchClient.UniqueWord();
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await CreateAsync(seller, $"Globe {word}", 100);

        Assert.Equal(100, Assert.Single((await seller.Api().SearchAsync($"q={word}")).Items).CurrentPrice);
        // Straight into the live state, where PostgreSQL cannot have it: what the list shows comes from Redis, on
        // every request, also while the replica reuses the rows it found a moment ago for the same query.
        await App.RedisAsync(async redis =>
        {
            await redis.HashSetAsync($"q4:auction:{auction.Id}", [new("price", 777), new("count", 3)]);
            return true;
        });
        var shown = Assert.Single((await seller.Api().SearchAsync($"q={word}")).Items);
        Assert.Equal(777, shown.CurrentPrice);
        Assert.Equal(3, shown.BidCount);
        Assert.Equal(100, (await App.PersistedAuctionAsync(auction.Id)).CurrentPrice);

        // A real bid reaches the price filter once the sync service has persisted it (well under a second).
        var other = await CreateAsync(seller, $"Atlas {word}", 100);
        await bidder.PlaceBidAsync(other.Id, 5_000);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        HashSet<Guid> found;
        do
        {
            found = await seller.FindAsync($"q={word}&minPrice=5000");
        }
        while (found.Count == 0 && DateTime.UtcNow < deadline && await Delay());
        Assert.Equal(Ids(other), found);
        Assert.Equal(5_000, Assert.Single((await seller.Api().SearchAsync($"q={word}&minPrice=5000")).Items).CurrentPrice);
    }

    [Fact]
    public async Task Bad_queries_and_cursors_are_refused_with_a_code()
    {
        var word = SearchClient.UniqueWord();
        using var seller = TestUser.Fresh(App);
        await CreateAsync(seller, $"Vase {word}", 100);
        await CreateAsync(seller, $"Vase {word}", 200);
        var priceCursor = (await seller.Api().SearchAsync($"q={word}&sort=price&limit=1")).NextCursor!;
        Assert.NotNull(priceCursor);
        string Encode(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));
        var id = Guid.NewGuid();

        string[] badQueries =
        [
            "sort=cheapest", "sort=relevance", "sort=PRICE", "status=closed", "status=",
            "minPrice=-5", "minPrice=abc", "minPrice=1.5", "maxPrice=99999999999999999999", "minPrice=1000000000000000001",
            "minPrice=10&maxPrice=5", "limit=0", "limit=101",
            $"q={new string('a', 201)}", "q=vase%00",
        ];
        foreach (var query in badQueries)
        {
            using var response = await seller.Api().GetAsync($"/auctions?{query}", Cancellation);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{query} gave {response.StatusCode}");
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid_query");
        }

        string[] badCursors =
        [
            "!!!", Encode("not json"), priceCursor[..^3],
            Encode($$"""{"sort":"price","id":"{{id}}","price":5,"extra":1}"""),
            Encode($$"""{"sort":"price","id":"{{id}}","at":"2026-01-01T00:00:00Z"}"""),
            Encode($$"""{"sort":"price","id":"{{id}}","price":"5"}"""),
            Encode($$"""{"sort":"price","price":5}"""),
            Encode("null"),
        ];
        foreach (var cursor in badCursors)
        {
            using var response = await seller.Api().GetAsync($"/auctions?q={word}&sort=price&cursor={cursor}", Cancellation);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{cursor} gave {response.StatusCode}");
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid_cursor");
        }
        // A cursor belongs to its order: one made by the price order means nothing to the order by end.
        using var otherOrder = await seller.Api().GetAsync($"/auctions?q={word}&sort=endsAt&cursor={priceCursor}", Cancellation);
        await ProblemAssert.IsProblemAsync(otherOrder, HttpStatusCode.BadRequest, "invalid_cursor");

        // The cursor that was given out still works, on either replica.
        Assert.Equal(200, Assert.Single((await seller.Api(1).SearchAsync($"q={word}&sort=price&cursor={priceCursor}")).Items).CurrentPrice);
    }

    private static HashSet<Guid> Ids(params AuctionResponse[] auctions) => auctions.Select(a => a.Id).ToHashSet();

    private static async Task<bool> Delay()
    {
        await Task.Delay(100, Cancellation);
        return true;
    }

    private static async Task<AuctionResponse> CreateAsync(TestUser seller, string title, long startingPrice,
        string description = "", TimeSpan? startsIn = null, TimeSpan? endsIn = null)
    {
        var now = DateTimeOffset.UtcNow;
        using var response = await seller.Api().PostAsJsonAsync("/auctions", new
        {
            title,
            description,
            startingPrice,
            minIncrement = 10,
            startsAt = startsIn is { } start ? now + start : (DateTimeOffset?)null,
            endsAt = now + (startsIn ?? TimeSpan.Zero) + (endsIn ?? TimeSpan.FromHours(1)),
        }, Cancellation);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Cancellation));
        return (await response.Content.ReadFromJsonAsync<AuctionResponse>(Cancellation))!;
    }

    private static async Task<List<AuctionResponse>> CreateManyAsync(TestUser seller, int count, Func<int, object> body)
    {
        // Both replicas' clients exist before the parallel loop shares them.
        _ = seller.Api(0);
        _ = seller.Api(1);
        var created = new AuctionResponse[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Cancellation },
            async (i, ct) =>
            {
                using var response = await seller.Api(i % 2).PostAsJsonAsync("/auctions", body(i), ct);
                Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(ct));
                created[i] = (await response.Content.ReadFromJsonAsync<AuctionResponse>(ct))!;
            });
        return [.. created];
    }

    private async Task<Dictionary<Guid, DateTimeOffset>> CreatedAtAsync(IEnumerable<Guid> ids)
    {
        await using var connection = await SyncStore.OpenAsync(App);
        await using var command = new NpgsqlCommand("SELECT id, created_at FROM auctions WHERE id = ANY($1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(Cancellation);
        var createdAt = new Dictionary<Guid, DateTimeOffset>();
        while (await reader.ReadAsync(Cancellation))
        {
            createdAt[reader.GetGuid(0)] = reader.GetFieldValue<DateTimeOffset>(1);
        }
        return createdAt;
    }
}
