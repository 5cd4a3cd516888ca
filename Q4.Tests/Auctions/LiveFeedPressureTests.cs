using System.Text.Json;
using Q4.Tests.Hosting;
using Q4.Tests.Users;
using StackExchange.Redis;

namespace Q4.Tests.Auctions;

/// <summary>
/// The live feed under pressure, on an extra API replica of the graph with a short heartbeat and small client
/// queues, fed straight through the Redis channel the replicas subscribe to.
/// </summary>
public sealed class LiveFeedPressureTests(GraphFixture graph)
{
    private const int QueueCapacity = 1000;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => graph.App;

    [Fact]
    public async Task A_client_that_stops_reading_is_dropped_while_the_others_get_every_event_and_quiet_streams_get_heartbeats()
    {
        await using var api = await ServiceProcess.StartAsync(new Projects.Q4_ApiService(), new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = App.GetConnectionString("redis"),
            ["ConnectionStrings__q4db"] = App.GetConnectionString("q4db"),
            ["ConnectionStrings__storage"] = App.GetConnectionString("storage"),
            ["services__identity__http__0"] = App.GetUrls("identity")[0],
            ["Events__HeartbeatInterval"] = "00:00:01",
            ["Events__ClientQueueCapacity"] = QueueCapacity.ToString(),
        }, Cancellation);
        using var seller = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync();
        var quiet = await seller.CreateAuctionAsync();

        // A quiet stream hears where it opened (an id and no event: no events yet), then a comment every second, and
        // nothing else.
        using (var client = api.CreateHttpClient())
        using (var stream = await client.GetStreamAsync($"/auctions/{quiet.Id}/events", Cancellation))
        using (var reader = new StreamReader(stream))
        {
            Assert.Equal("id: 0-0", await reader.ReadLineAsync(Cancellation).AsTask().WaitAsync(TimeSpan.FromSeconds(5), Cancellation));
            var started = DateTime.UtcNow;
            var heartbeats = 0;
            while (heartbeats < 3)
            {
                var line = await reader.ReadLineAsync(Cancellation).AsTask().WaitAsync(TimeSpan.FromSeconds(5), Cancellation);
                Assert.True(line is "" or ": heartbeat", $"unexpected line on a quiet stream: {line}");
                heartbeats += line == ": heartbeat" ? 1 : 0;
            }
            Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(1.5), "heartbeats came faster than configured");
        }

        using var slowClient = api.CreateHttpClient();
        using var slowResponse = await slowClient.GetAsync($"/auctions/{auction.Id}/events", HttpCompletionOption.ResponseHeadersRead, Cancellation);
        await using var slow = await slowResponse.Content.ReadAsStreamAsync(Cancellation);
        using var fast = await AuctionClient.OpenFeedAsync(api.CreateHttpClient(), auction.Id);

        // Far more than the socket buffers between the replica and the silent client hold, in rounds the reading
        // client keeps up with.
        var redis = await ConnectionMultiplexer.ConnectAsync(App.GetConnectionString("redis"));
        await using (redis)
        {
            const int rounds = 60, perRound = QueueCapacity / 2;
            var publisher = redis.GetSubscriber();
            for (var round = 0; round < rounds; round++)
            {
                var batch = Enumerable.Range(0, perRound).Select(i => publisher.PublishAsync(
                    RedisChannel.Literal("q4:auction-events"), FakeBid(auction.Id, round * perRound + i + 1))).ToArray();
                await Task.WhenAll(batch);
                var received = await fast.TakeAsync(perRound);
                Assert.Equal(Enumerable.Range(round * perRound + 1, perRound).Select(n => $"1-{n}"), received.Select(e => e.Id));
            }
        }

        // The silent client was cut off: what it still has buffered ends well before the last event.
        var leftover = await new StreamReader(slow).ReadToEndAsync(Cancellation).WaitAsync(TimeSpan.FromSeconds(30), Cancellation);
        Assert.DoesNotContain($"id: 1-{60 * QueueCapacity / 2}\n", leftover);
        Assert.Contains("id: 1-1\n", leftover);
    }

    /// <summary>A bid event as bid.lua publishes it; the padding makes each frame large.</summary>
    private static string FakeBid(Guid auctionId, int n) => JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["auction"] = auctionId.ToString(),
        ["id"] = $"1-{n}",
        ["type"] = "bid",
        ["bidId"] = $"2-{n}",
        ["amount"] = (1000 + n).ToString(),
        ["bidderId"] = Guid.Empty.ToString(),
        ["bidderName"] = new string('b', 64),
        ["placedAt"] = "1800000000000",
        ["endsAt"] = "1800000000000",
    });
}
