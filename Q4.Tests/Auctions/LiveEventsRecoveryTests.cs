using System.Net.ServerSentEvents;
using System.Text.Json;
using Q4.Tests.Hosting;
using Q4.Tests.Sync;
using Q4.Tests.Users;
using StackExchange.Redis;

namespace Q4.Tests.Auctions;

/// <summary>
/// Live events while Redis drops this graph's pub/sub connections. In a graph of its own: the other tests' watchers
/// would share the interruptions.
/// </summary>
public sealed class LiveEventsRecoveryTests(SyncChaosGraph chaos) : IClassFixture<SyncChaosGraph>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => chaos.App;

    [Fact]
    public async Task A_watcher_gets_every_bid_in_order_once_while_redis_drops_the_pubsub_connections()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync(startingPrice: 100, minIncrement: 1);
        await using var watcher = new EventSourceLike(App.CreateHttpClient("apiservice", 0), auction.Id);
        await watcher.ConnectedAsync();

        await using var admin = await ConnectionMultiplexer.ConnectAsync(App.GetConnectionString("redis") + ",allowAdmin=true");
        var placed = new List<BidResponse>();
        var amount = 100L;
        for (var round = 0; round < 5; round++)
        {
            for (var i = 0; i < 20; i++)
            {
                placed.Add(await bidder.PlaceBidAsync(auction.Id, amount++, replica: 1));
            }
            // Every pub/sub connection goes; the bids right after it are published while replica 0 is not subscribed.
            var killed = (long)await admin.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
            Assert.True(killed > 0, "no pub/sub connection was there to kill");
            for (var i = 0; i < 5; i++)
            {
                placed.Add(await bidder.PlaceBidAsync(auction.Id, amount++, replica: 1));
            }
        }

        var events = await watcher.WaitForAsync(placed.Count, TimeSpan.FromSeconds(20));
        TestContext.Current.TestOutputHelper?.WriteLine($"{events.Count} events over {watcher.Connections} connections");
        Assert.DoesNotContain(events, e => e.EventType == "reload");
        var got = events.Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("id").GetString()).ToList();
        var missing = placed.Select(bid => bid.Id).Except(got).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {placed.Count} bids never reached the watcher, e.g. {string.Join(", ", missing.Take(5))}; " +
            $"what the watcher's replica said of Redis:\n{string.Join("\n", RedisLinesOfReplica(0))}");
        Assert.Equal(placed.Select(bid => bid.Id), got);
    }

    [Fact]
    public async Task A_watcher_of_several_auctions_gets_every_bid_of_each_once_in_order_while_redis_drops_the_pubsub_connections()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auctions = new[]
        {
            await seller.CreateAuctionAsync(startingPrice: 100, minIncrement: 1),
            await seller.CreateAuctionAsync(startingPrice: 100, minIncrement: 1),
            await seller.CreateAuctionAsync(startingPrice: 100, minIncrement: 1),
        };
        await using var watcher = new EventSourceLike(App.CreateHttpClient("apiservice", 0), AuctionClient.EventsOf(auctions.Select(a => a.Id)));
        await watcher.ConnectedAsync();

        await using var admin = await ConnectionMultiplexer.ConnectAsync(App.GetConnectionString("redis") + ",allowAdmin=true");
        var placed = new List<BidResponse>();
        var amount = 100L;
        for (var round = 0; round < 4; round++)
        {
            for (var i = 0; i < 15; i++)
            {
                placed.Add(await bidder.PlaceBidAsync(auctions[i % 3].Id, amount + i / 3, replica: 1));
            }
            amount += 5;
            var killed = (long)await admin.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
            Assert.True(killed > 0, "no pub/sub connection was there to kill");
            for (var i = 0; i < 6; i++)
            {
                placed.Add(await bidder.PlaceBidAsync(auctions[i % 3].Id, amount + i / 3, replica: 1));
            }
            amount += 2;
        }

        var events = await watcher.WaitForAsync(placed.Count, TimeSpan.FromSeconds(20));
        TestContext.Current.TestOutputHelper?.WriteLine($"{events.Count} events over {watcher.Connections} connections");
        Assert.DoesNotContain(events, e => e.EventType == "reload");
        var got = events.Select(e => JsonDocument.Parse(e.Data).RootElement)
            .Select(data => (Auction: data.GetProperty("auctionId").GetGuid(), Id: data.GetProperty("id").GetString())).ToList();
        var missing = placed.Select(bid => bid.Id).Except(got.Select(e => e.Id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {placed.Count} bids never reached the watcher, e.g. {string.Join(", ", missing.Take(5))}; " +
            $"what the watcher's replica said of Redis:\n{string.Join("\n", RedisLinesOfReplica(0))}");
        Assert.Equal(placed.Count, got.Count);
        foreach (var auction in auctions)
        {
            Assert.Equal(placed.Where(bid => bid.AuctionId == auction.Id).Select(bid => bid.Id),
                got.Where(e => e.Auction == auction.Id).Select(e => e.Id));
        }
    }

    /// <summary>What the API replica logged about its Redis connection and its watchers.</summary>
    private IEnumerable<string> RedisLinesOfReplica(int replica)
    {
        var log = Path.Combine(App.StateDirectory, "logs", $"apiservice-{replica}.log");
        return File.Exists(log)
            ? File.ReadLines(log).Where(line => line.Contains("Redis connection", StringComparison.Ordinal) || line.Contains("watchers", StringComparison.Ordinal)).TakeLast(40)
            : [$"(no log at {log})"];
    }

    /// <summary>
    /// Reads an event stream the way a browser's EventSource does: when the response ends it connects again, sending
    /// the last event id it saw as <c>Last-Event-ID</c>. Keeps every event it received.
    /// </summary>
    private sealed class EventSourceLike : IAsyncDisposable
    {
        private readonly List<SseItem<string>> _events = [];
        private readonly CancellationTokenSource _stop = new();
        private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Task _reading;

        public EventSourceLike(HttpClient client, Guid auctionId) : this(client, $"/auctions/{auctionId}/events")
        {
        }

        public EventSourceLike(HttpClient client, string path)
        {
            _reading = Task.Run(async () =>
            {
                string? lastEventId = null;
                while (!_stop.IsCancellationRequested)
                {
                    try
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Get, path);
                        if (lastEventId is not null)
                        {
                            request.Headers.Add("Last-Event-ID", lastEventId);
                        }
                        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
                        response.EnsureSuccessStatusCode();
                        Interlocked.Increment(ref _connections);
                        _connected.TrySetResult();
                        await using var body = await response.Content.ReadAsStreamAsync(_stop.Token);
                        await foreach (var item in SseParser.Create(body).EnumerateAsync(_stop.Token))
                        {
                            lock (_events)
                            {
                                _events.Add(item);
                            }
                            lastEventId = item.EventId ?? lastEventId;
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or IOException)
                    {
                    }
                    catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                    {
                        return;
                    }
                    await Task.Delay(100, _stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                }
            });
        }

        private int _connections;

        public int Connections => Volatile.Read(ref _connections);

        public Task ConnectedAsync() => _connected.Task.WaitAsync(TimeSpan.FromSeconds(10), Cancellation);

        /// <summary>The events received once there are <paramref name="count"/>, or when <paramref name="timeout"/> has passed.</summary>
        public async Task<List<SseItem<string>>> WaitForAsync(int count, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                lock (_events)
                {
                    if (_events.Count >= count)
                    {
                        break;
                    }
                }
                await Task.Delay(50, Cancellation);
            }
            // A little longer, so that duplicates arriving late are seen too.
            await Task.Delay(500, Cancellation);
            lock (_events)
            {
                return [.. _events];
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _reading;
            _stop.Dispose();
        }
    }
}
