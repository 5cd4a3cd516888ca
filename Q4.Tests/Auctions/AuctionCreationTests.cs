using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Q4.Tests.Hosting;
using Q4.Tests.Users;

namespace Q4.Tests.Auctions;

public sealed class AuctionCreationTests(GraphFixture graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => graph.App;

    [Fact]
    public async Task A_created_auction_is_served_by_every_replica_and_seeded_in_redis()
    {
        using var seller = TestUser.Fresh(App, name: "Ada Seller");
        var endsAt = DateTimeOffset.UtcNow.AddDays(3);
        using var response = await seller.Api().PostAsJsonAsync("/auctions", new
        {
            title = "  Harpsichord, 1740  ",
            description = "<script>alert('x')</script> Plays in tune.",
            startingPrice = 250_000,
            minIncrement = 1_000,
            endsAt,
        }, Cancellation);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync<AuctionResponse>(Cancellation))!;
        Assert.Equal($"/auctions/{created.Id}", response.Headers.Location?.OriginalString);

        for (var replica = 0; replica < 2; replica++)
        {
            var auction = await seller.GetAuctionAsync(created.Id, replica);
            Assert.Equal("Harpsichord, 1740", auction.Title);
            // Stored and served as text inside JSON: a browser never runs it.
            Assert.Equal("<script>alert('x')</script> Plays in tune.", auction.Description);
            Assert.Equal(250_000, auction.CurrentPrice);
            Assert.Equal(0, auction.BidCount);
            Assert.Equal("live", auction.Status);
            Assert.Equal("Ada Seller", auction.Seller.Name);
            Assert.Null(auction.HighestBidder);
            Assert.Null(auction.Winner);
            Assert.Equal(endsAt.ToUnixTimeMilliseconds(), auction.EndsAt.ToUnixTimeMilliseconds());
        }
        var state = await App.RedisAsync(redis => redis.HashGetAllAsync($"q4:auction:{created.Id}"));
        Assert.Equal("1000", state.Single(e => e.Name == "minIncrement").Value.ToString());
        Assert.Equal("250000", state.Single(e => e.Name == "price").Value.ToString());
    }

    [Fact]
    public async Task An_auction_may_start_later_and_is_upcoming_until_then()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        using var response = await seller.Api().PostAsJsonAsync("/auctions", Valid(new()
        {
            ["startsAt"] = DateTimeOffset.UtcNow.AddHours(1),
            ["endsAt"] = DateTimeOffset.UtcNow.AddHours(2),
        }), Cancellation);
        var created = (await response.Content.ReadFromJsonAsync<AuctionResponse>(Cancellation))!;
        Assert.Equal("upcoming", created.Status);
        using var early = await bidder.BidAsync(created.Id, 1_000);
        await ProblemAssert.IsProblemAsync(early, HttpStatusCode.Conflict, "auction_not_open");
    }

    public static TheoryData<string, string, object?> BadFields => new()
    {
        { "title", "title", "" },
        { "blank title", "title", "   " },
        { "long title", "title", new string('t', 201) },
        { "title with a control character", "title", "bell\u0007" },
        { "long description", "description", new string('d', 10_001) },
        { "negative starting price", "startingPrice", -1 },
        { "zero increment", "minIncrement", 0 },
        { "huge increment", "minIncrement", 1_000_000_000_000_001 },
        { "end in the past", "endsAt", DateTimeOffset.UtcNow.AddMinutes(-1) },
        { "no end", "endsAt", null },
        { "end before start", "endsAt", DateTimeOffset.UtcNow.AddHours(1) },
        { "longer than 30 days", "endsAt", DateTimeOffset.UtcNow.AddDays(31) },
        { "start in the past", "startsAt", DateTimeOffset.UtcNow.AddHours(-1) },
        { "someone else's image", "imageIds", "foreign" },
        { "unknown image", "imageIds", "unknown" },
    };

    [Theory]
    [MemberData(nameof(BadFields))]
    public async Task A_bad_field_is_400_validation_naming_it_and_nothing_is_created(string why, string field, object? value)
    {
        using var seller = TestUser.Fresh(App);
        var me = await seller.GetMeAsync(0, Cancellation);
        var body = Valid();
        if (why == "end before start")
        {
            body["startsAt"] = DateTimeOffset.UtcNow.AddHours(2);
        }
        body[field] = value switch
        {
            "foreign" => new JsonArray(await SeedImageAsync(await SeedAsync.UserAsync(App, Cancellation))),
            "unknown" => new JsonArray(Guid.NewGuid()),
            null => null,
            _ => JsonValue.Create(value),
        };

        using var response = await seller.Api().PostAsJsonAsync("/auctions", body, Cancellation);
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{why}: {problem}");
        Assert.Equal(0L, await CountAuctionsOfAsync(me.Id));
    }

    [Fact]
    public async Task The_sellers_own_images_are_attached_in_order()
    {
        using var seller = TestUser.Fresh(App);
        var me = await seller.GetMeAsync(0, Cancellation);
        var images = new[] { await SeedImageAsync(me.Id), await SeedImageAsync(me.Id) };
        using var response = await seller.Api().PostAsJsonAsync("/auctions", Valid(new() { ["imageIds"] = new JsonArray(images[1], images[0]) }), Cancellation);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync<AuctionResponse>(Cancellation))!;
        var served = await seller.GetAuctionAsync(created.Id, replica: 1);
        Assert.Equal([images[1], images[0]], served.Images.Select(i => i.Id));
        Assert.Equal($"/images/{images[1]}", served.ThumbnailUrl);
    }

    [Fact]
    public async Task Creating_without_a_token_is_401_and_an_unknown_auction_is_404()
    {
        using var client = App.CreateHttpClient("apiservice");
        using var anonymous = await client.PostAsJsonAsync("/auctions", Valid(), Cancellation);
        await ProblemAssert.IsProblemAsync(anonymous, HttpStatusCode.Unauthorized, "unauthorized");
        using var unknown = await client.GetAsync($"/auctions/{Guid.NewGuid()}", Cancellation);
        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound, "not_found");
        using var notAnId = await client.GetAsync("/auctions/not-an-id", Cancellation);
        await ProblemAssert.IsProblemAsync(notAnId, HttpStatusCode.NotFound, "not_found");
    }

    private static JsonObject Valid(JsonObject? overrides = null)
    {
        var body = new JsonObject
        {
            ["title"] = "Lamp",
            ["description"] = "Brass.",
            ["startingPrice"] = 1_000,
            ["minIncrement"] = 50,
            ["endsAt"] = DateTimeOffset.UtcNow.AddDays(1),
        };
        foreach (var (key, value) in overrides ?? [])
        {
            body[key] = value?.DeepClone();
        }
        return body;
    }

    private async Task<Guid> SeedImageAsync(Guid uploaderId)
    {
        var id = Guid.CreateVersion7();
        await using var connection = new NpgsqlConnection(App.GetConnectionString("q4db"));
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand(
            "INSERT INTO images (id, uploader_id, object_key, content_type, size) VALUES ($1, $2, $3, 'image/png', 10)", connection)
        {
            Parameters = { new() { Value = id }, new() { Value = uploaderId }, new() { Value = $"test/{id}" } },
        };
        await command.ExecuteNonQueryAsync(Cancellation);
        return id;
    }

    private async Task<long> CountAuctionsOfAsync(Guid sellerId)
    {
        await using var connection = new NpgsqlConnection(App.GetConnectionString("q4db"));
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM auctions WHERE seller_id = $1", connection)
        {
            Parameters = { new() { Value = sellerId } },
        };
        return (long)(await command.ExecuteScalarAsync(Cancellation))!;
    }
}
