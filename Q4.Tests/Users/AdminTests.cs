using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Q4.Tests.Hosting;

namespace Q4.Tests.Users;

public sealed class AdminTests(GraphFixture graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => graph.App;

    [Fact]
    public async Task A_blocked_user_is_refused_on_every_replica_within_a_second_and_free_again_after_unblock()
    {
        using var admin = await TestUser.SignInAsync(App, "admin", Cancellation);
        using var user = TestUser.Fresh(App);
        var me = await user.GetMeAsync(0, Cancellation);
        await user.GetMeAsync(1, Cancellation); // both replicas now cache the user as active

        using (var block = await admin.Api().PostAsync($"/admin/users/{me.Id}/block", null, Cancellation))
        {
            Assert.Equal(HttpStatusCode.NoContent, block.StatusCode);
        }
        var blockedAt = Stopwatch.StartNew();
        for (var replica = 0; replica < 2; replica++)
        {
            using var refused = await PatchNameUntilAsync(user, replica, HttpStatusCode.Forbidden, blockedAt);
            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Forbidden, "user_blocked");
            Assert.True((await user.GetMeAsync(replica, Cancellation)).Blocked);
        }

        using (var unblock = await admin.Api(1).PostAsync($"/admin/users/{me.Id}/unblock", null, Cancellation))
        {
            Assert.Equal(HttpStatusCode.NoContent, unblock.StatusCode);
        }
        var unblockedAt = Stopwatch.StartNew();
        for (var replica = 0; replica < 2; replica++)
        {
            using var accepted = await PatchNameUntilAsync(user, replica, HttpStatusCode.OK, unblockedAt);
            Assert.False((await user.GetMeAsync(replica, Cancellation)).Blocked);
        }
    }

    [Fact]
    public async Task Users_are_listed_page_by_page_without_repeats()
    {
        using var admin = await TestUser.SignInAsync(App, "admin", Cancellation);
        var created = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            using var user = TestUser.Fresh(App);
            created.Add((await user.GetMeAsync(i % 2, Cancellation)).Id);
        }

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await admin.Api().GetFromJsonAsync<PageResponse<AdminUserResponse>>(
                $"/admin/users?limit=3{(cursor is null ? "" : $"&cursor={cursor}")}", Cancellation);
            Assert.InRange(page!.Items.Count, 1, 3);
            seen.AddRange(page.Items.Select(u => u.Id));
            cursor = page.NextCursor;
        } while (cursor is not null);

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Subset(seen.ToHashSet(), created.ToHashSet());
    }

    [Fact]
    public async Task Admin_endpoints_refuse_a_user_token_with_403_and_change_nothing()
    {
        using var bob = await TestUser.SignInAsync(App, "bob", Cancellation);
        using var victim = TestUser.Fresh(App);
        var victimId = (await victim.GetMeAsync(0, Cancellation)).Id;

        using var list = await bob.Api().GetAsync("/admin/users", Cancellation);
        await ProblemAssert.IsProblemAsync(list, HttpStatusCode.Forbidden, "forbidden");
        using var block = await bob.Api().PostAsync($"/admin/users/{victimId}/block", null, Cancellation);
        await ProblemAssert.IsProblemAsync(block, HttpStatusCode.Forbidden, "forbidden");
        Assert.False((await victim.GetMeAsync(0, Cancellation)).Blocked);
    }

    [Fact]
    public async Task Blocking_an_unknown_user_is_404_and_blocking_oneself_is_400()
    {
        using var admin = await TestUser.SignInAsync(App, "admin", Cancellation);
        using var unknown = await admin.Api().PostAsync($"/admin/users/{Guid.NewGuid()}/block", null, Cancellation);
        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound, "not_found");

        var self = await admin.GetMeAsync(0, Cancellation);
        using var own = await admin.Api().PostAsync($"/admin/users/{self.Id}/block", null, Cancellation);
        await ProblemAssert.IsProblemAsync(own, HttpStatusCode.BadRequest, "cannot_block_self");
        Assert.False((await admin.GetMeAsync(0, Cancellation)).Blocked);
    }

    /// <summary>Repeats PATCH /me until it answers <paramref name="expected"/>; fails if that takes over a second.</summary>
    private static async Task<HttpResponseMessage> PatchNameUntilAsync(TestUser user, int replica, HttpStatusCode expected, Stopwatch since)
    {
        while (true)
        {
            var response = await user.Api(replica).PatchAsJsonAsync("/me", new { name = "Still here" }, Cancellation);
            if (response.StatusCode == expected)
            {
                return response;
            }
            response.Dispose();
            Assert.True(since.Elapsed < TimeSpan.FromSeconds(1),
                $"replica {replica} still answered {(int)response.StatusCode} {since.Elapsed.TotalMilliseconds:F0} ms after the change");
            await Task.Delay(20, Cancellation);
        }
    }

    private sealed record AdminUserResponse(Guid Id, string Name, bool Blocked);
}
