using System.Net;
using System.Net.Http.Json;
using Q4.Tests.Hosting;
using Q4.Tests.Sync;
using Q4.Tests.Users;

namespace Q4.Tests.Images;

/// <summary>
/// The graph's sync replicas sweep every ten minutes; this test starts one more sync replica on the same stores
/// that sweeps every second (it stands by for the sync lock, which the graph's replicas keep), makes two uploads
/// look two days old and watches what the sweep removes.
/// </summary>
public sealed class ImageHousekeepingTests(GraphFixture graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => graph.App;

    [Fact]
    public async Task Old_unattached_uploads_are_swept_with_their_objects_and_attached_ones_stay()
    {
        using var seller = TestUser.Fresh(App);
        var sellerId = await seller.IdAsync();
        var attached = await seller.UploadImageAsync(ImageFiles.Png());
        var unattached = await seller.UploadImageAsync(ImageFiles.Gif(), "image/gif");
        using (var created = await seller.Api().PostAsJsonAsync("/auctions", new
        {
            title = "Compass",
            description = "Points north.",
            startingPrice = 100,
            minIncrement = 10,
            endsAt = DateTimeOffset.UtcNow.AddHours(1),
            imageIds = new[] { attached.Id },
        }, Cancellation))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        // Replica 0 now has the row cached: after the sweep it must notice the missing object by itself.
        using (var client = App.CreateHttpClient("apiservice", 0))
        using (var before = await client.GetAsync(unattached.Url, Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }
        await App.BackdateAsync(attached.Id, TimeSpan.FromDays(2));
        await App.BackdateAsync(unattached.Id, TimeSpan.FromDays(2));
        Assert.Equal(2, (await App.ImageObjectsOfAsync(sellerId)).Count);

        await using var sweeper = await ServiceProcess.StartAsync(new Projects.Q4_SyncService(), new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = App.GetConnectionString("redis"),
            ["ConnectionStrings__q4db"] = App.GetConnectionString("q4db"),
            ["ConnectionStrings__storage"] = App.GetConnectionString("storage"),
            ["Housekeeping__Interval"] = "00:00:01",
        }, Cancellation);

        var swept = await SyncStore.EventuallyAsync(
            async () => !(await App.ImageRowsOfAsync(sellerId)).Contains(unattached.Id), TimeSpan.FromSeconds(30));
        Assert.True(swept, $"the unattached upload {unattached.Id} is still there:\n{sweeper.Output}");
        Assert.Equal([attached.Id], await App.ImageRowsOfAsync(sellerId));
        Assert.Equal([$"users/{sellerId}/{attached.Id}"], await App.ImageObjectsOfAsync(sellerId));

        using var anonymous = App.CreateHttpClient("apiservice");
        using (var kept = await anonymous.GetAsync(attached.Url, Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
        }
        // Replica 1 finds no row; replica 0 has the row cached but finds no object: 404 either way.
        for (var replica = 0; replica < 2; replica++)
        {
            using var client = App.CreateHttpClient("apiservice", replica);
            using var gone = await client.GetAsync(unattached.Url, Cancellation);
            await ProblemAssert.IsProblemAsync(gone, HttpStatusCode.NotFound, "not_found");
        }
    }
}
