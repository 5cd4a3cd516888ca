using System.Net;
using System.Net.Http.Json;
using Npgsql;
using Q4.Tests.Hosting;

namespace Q4.Tests.Users;

public sealed class MeTests(GraphFixture graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => graph.App;

    [Fact]
    public async Task A_user_is_learned_on_first_sight_with_the_providers_claims()
    {
        using var alice = await TestUser.SignInAsync(App, "alice", Cancellation);
        var me = await alice.GetMeAsync(0, Cancellation);
        Assert.Contains("user", me.Roles);
        Assert.DoesNotContain("admin", me.Roles);
        Assert.Equal("alice@q4.example", me.Email);
        Assert.False(me.Blocked);
        Assert.Equal(me.Id, (await alice.GetMeAsync(1, Cancellation)).Id);
    }

    [Fact]
    public async Task The_admins_token_carries_the_admin_role()
    {
        using var admin = await TestUser.SignInAsync(App, "admin", Cancellation);
        Assert.Contains("admin", (await admin.GetMeAsync(0, Cancellation)).Roles);
    }

    [Fact]
    public async Task First_requests_racing_on_both_replicas_create_exactly_one_row()
    {
        using var user = TestUser.Fresh(App);
        var ids = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => user.GetMeAsync(i % 2, Cancellation)));
        Assert.Single(ids.Select(me => me.Id).Distinct());

        await using var db = new NpgsqlConnection(App.GetConnectionString("q4db"));
        await db.OpenAsync(Cancellation);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM users WHERE id = $1", db) { Parameters = { new() { Value = ids[0].Id } } };
        Assert.Equal(1L, await count.ExecuteScalarAsync(Cancellation));
    }

    [Fact]
    public async Task A_new_name_is_trimmed_and_seen_at_once_on_the_other_replica()
    {
        using var user = TestUser.Fresh(App);
        await user.GetMeAsync(1, Cancellation); // replica 1 caches the old name
        using var response = await user.Api(0).PatchAsJsonAsync("/me", new { name = "  Zoë the Bidder  " }, Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Zoë the Bidder", (await response.Content.ReadFromJsonAsync<MeResponse>(Cancellation))!.Name);
        Assert.Equal("Zoë the Bidder", (await user.GetMeAsync(1, Cancellation)).Name);
    }

    public static TheoryData<string> BadNames => ["", "   ", new string('x', 65), "bell\u0007", "line\nbreak", "tab\there", "rtl\u202Eoverride"];

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task A_bad_name_is_400_validation_and_changes_nothing(string name)
    {
        using var user = TestUser.Fresh(App, name: "Original Name");
        using var response = await user.Api().PatchAsJsonAsync("/me", new { name }, Cancellation);
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation");
        Assert.True(problem.GetProperty("errors").TryGetProperty("name", out _));
        Assert.Equal("Original Name", (await user.GetMeAsync(0, Cancellation)).Name);
        Assert.Equal("Original Name", (await user.GetMeAsync(1, Cancellation)).Name);
    }

    [Fact]
    public async Task A_missing_name_is_400_validation()
    {
        using var user = TestUser.Fresh(App, name: "Original Name");
        using var response = await user.Api().PatchAsJsonAsync("/me", new { }, Cancellation);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation");
        Assert.Equal("Original Name", (await user.GetMeAsync(0, Cancellation)).Name);
    }

    [Fact]
    public async Task A_name_of_64_characters_is_accepted()
    {
        using var user = TestUser.Fresh(App);
        using var response = await user.Api().PatchAsJsonAsync("/me", new { name = new string('n', 64) }, Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_400_with_a_code()
    {
        using var user = TestUser.Fresh(App, name: "Original Name");
        using var response = await user.Api().PatchAsync("/me",
            new StringContent("{ name: ", System.Text.Encoding.UTF8, "application/json"), Cancellation);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.Equal("Original Name", (await user.GetMeAsync(0, Cancellation)).Name);
    }

    [Fact]
    public async Task My_bids_are_listed_newest_first_page_by_page()
    {
        using var user = TestUser.Fresh(App);
        var me = await user.GetMeAsync(0, Cancellation);
        var seller = await SeedAsync.UserAsync(App, Cancellation);
        var auction = await SeedAsync.AuctionAsync(App, seller, "Brass telescope", Cancellation);
        var placed = new List<string>();
        for (var amount = 100; amount <= 500; amount += 100)
        {
            placed.Add(await SeedAsync.BidAsync(App, auction, me.Id, amount, Cancellation));
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await user.Api().GetFromJsonAsync<PageResponse<MyBidResponse>>(
                $"/me/bids?limit=2{(cursor is null ? "" : $"&cursor={cursor}")}", Cancellation);
            Assert.True(page!.Items.Count <= 2);
            Assert.All(page.Items, bid => Assert.Equal("Brass telescope", bid.AuctionTitle));
            seen.AddRange(page.Items.Select(bid => bid.Id));
            cursor = page.NextCursor;
        } while (cursor is not null);

        Assert.Equal(Enumerable.Reverse(placed), seen);
    }

    [Fact]
    public async Task My_auctions_are_listed_newest_first_with_their_status()
    {
        using var user = TestUser.Fresh(App);
        var me = await user.GetMeAsync(0, Cancellation);
        var live = await SeedAsync.AuctionAsync(App, me.Id, "Live one", Cancellation);
        var upcoming = await SeedAsync.AuctionAsync(App, me.Id, "Upcoming one", Cancellation, startsIn: TimeSpan.FromDays(1));

        var page = await user.Api().GetFromJsonAsync<PageResponse<AuctionSummaryResponse>>("/me/auctions", Cancellation);
        Assert.Equal([upcoming, live], page!.Items.Select(a => a.Id));
        Assert.Equal(["upcoming", "live"], page.Items.Select(a => a.Status));
        Assert.Null(page.NextCursor);
    }

    [Theory]
    [InlineData("/me/bids?limit=0", "invalid_query")]
    [InlineData("/me/bids?limit=101", "invalid_query")]
    [InlineData("/me/bids?cursor=%%%", "invalid_cursor")]
    [InlineData("/me/bids?cursor=bm90IGpzb24", "invalid_cursor")]
    [InlineData("/me/auctions?cursor=eyJ4Ijp0cnVlfQ", "invalid_cursor")]
    [InlineData("/me/auctions?limit=ten", "invalid_request")]
    public async Task Bad_paging_is_400_with_a_code(string url, string code)
    {
        using var user = TestUser.Fresh(App);
        using var response = await user.Api().GetAsync(url, Cancellation);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, code);
    }

    private sealed record MyBidResponse(string Id, Guid AuctionId, string AuctionTitle, long Amount, DateTimeOffset PlacedAt);

    private sealed record AuctionSummaryResponse(Guid Id, string Title, string Status);
}
