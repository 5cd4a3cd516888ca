using Q4.Data;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Q4.ApiService.Infrastructure;
using StackExchange.Redis;

namespace Q4.ApiService.Events;

/// <summary>
/// This replica's one Redis subscription to live auction events, fanned out in process to every client
/// watching an auction. Each client has a bounded queue: one that cannot keep up is dropped (it reconnects
/// with Last-Event-ID and replays), so a slow client never holds up the others.
/// </summary>
public sealed class AuctionEventHub(IConnectionMultiplexer redis, IOptions<EventsOptions> options, ILogger<AuctionEventHub> logger)
    : IHostedService
{
    private readonly ConcurrentDictionary<Guid, ImmutableArray<Watcher>> _watchers = new();

    public Watcher Watch(Guid auctionId)
    {
        var watcher = new Watcher(this, auctionId, options.Value.ClientQueueCapacity);
        _watchers.AddOrUpdate(auctionId, static (_, w) => [w], static (_, list, w) => list.Add(w), watcher);
        return watcher;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // A queue, not a callback: StackExchange.Redis then hands messages over one at a time, in publish order.
        var messages = await redis.GetSubscriber().SubscribeAsync(RedisKeys.AuctionEvents);
        messages.OnMessage(message => Dispatch(message.Message!));
    }

    public Task StopAsync(CancellationToken cancellationToken) =>
        redis.GetSubscriber().UnsubscribeAsync(RedisKeys.AuctionEvents);

    private void Dispatch(string message)
    {
        AuctionEvent auctionEvent;
        ImmutableArray<Watcher> watchers;
        try
        {
            var fields = JsonSerializer.Deserialize<Dictionary<string, string>>(message)!;
            var auctionId = Guid.Parse(fields["auction"]);
            if (!_watchers.TryGetValue(auctionId, out watchers))
            {
                return; // nobody here watches this auction
            }
            auctionEvent = AuctionEvent.From(auctionId, fields["id"], fields);
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or ArgumentNullException)
        {
            logger.LogError(e, "Ignored a malformed auction event: {Message}", message);
            return;
        }
        foreach (var watcher in watchers)
        {
            if (!watcher.Queue.Writer.TryWrite(auctionEvent))
            {
                logger.LogInformation("Dropped a client of auction {AuctionId}: it fell {Capacity} events behind.",
                    auctionEvent.AuctionId, options.Value.ClientQueueCapacity);
                watcher.Queue.Writer.TryComplete(new SlowClientException());
            }
        }
    }

    private void Remove(Watcher watcher)
    {
        while (_watchers.TryGetValue(watcher.AuctionId, out var list))
        {
            var without = list.Remove(watcher);
            if (without.IsEmpty
                    ? _watchers.TryRemove(new KeyValuePair<Guid, ImmutableArray<Watcher>>(watcher.AuctionId, list))
                    : _watchers.TryUpdate(watcher.AuctionId, without, list))
            {
                return;
            }
        }
    }

    /// <summary>One client's view of one auction's live events; dispose it when the client leaves.</summary>
    public sealed class Watcher(AuctionEventHub hub, Guid auctionId, int capacity) : IDisposable
    {
        public Guid AuctionId { get; } = auctionId;

        internal Channel<AuctionEvent> Queue { get; } = Channel.CreateBounded<AuctionEvent>(
            new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

        public ChannelReader<AuctionEvent> Events => Queue.Reader;

        public void Dispose()
        {
            Queue.Writer.TryComplete();
            hub.Remove(this);
        }
    }

    public sealed class SlowClientException() : Exception("The client fell too far behind the live events.");
}
