using Q4.Data;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
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
/// <para>
/// Pub/sub delivers at most once: what is published while the subscription's connection is down never arrives. Every
/// event carries its auction's sequence number, so a watcher that receives one out of turn reads what it missed from
/// the auction's stream first. Events lost at the end of an outage have no later event to reveal them, so once a
/// connection is back the hub makes sure the subscription is live again (it publishes a probe and waits to receive
/// it) and tells every watcher to read its stream after the last event it sent.
/// </para>
/// </summary>
public sealed class AuctionEventHub(
    IConnectionMultiplexer redis, IOptions<EventsOptions> options, LiveEventsMetrics metrics, ILogger<AuctionEventHub> logger) : IHostedService
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A short span per live event this replica hands to its watchers (none when nobody here watches), linked to the
    /// trace that published the event when its message names one: bid.lua passes the bid's script call, close.lua the sync
    /// service's settlement.
    /// </summary>
    private static readonly ActivitySource Tracing = new("Q4.Events");

    private readonly ConcurrentDictionary<Guid, ImmutableArray<Watcher>> _watchers = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _probes = new();
    private readonly SemaphoreSlim _resyncing = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>One client's queue of the live events of <paramref name="auctionIds"/> (distinct), in the order they come.</summary>
    public Watcher Watch(IReadOnlyList<Guid> auctionIds)
    {
        var watcher = new Watcher(this, auctionIds, options.Value.ClientQueueCapacity);
        foreach (var auctionId in auctionIds)
        {
            _watchers.AddOrUpdate(auctionId, static (_, w) => [w], static (_, list, w) => list.Add(w), watcher);
        }
        metrics.WatcherJoined();
        return watcher;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // A queue, not a callback: StackExchange.Redis then hands messages over one at a time, in publish order.
        var messages = await redis.GetSubscriber().SubscribeAsync(RedisKeys.AuctionEvents);
        messages.OnMessage(message => Dispatch(message.Message!));
        redis.ConnectionRestored += OnConnectionRestored;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionRestored -= OnConnectionRestored;
        await _stopping.CancelAsync();
        await redis.GetSubscriber().UnsubscribeAsync(RedisKeys.AuctionEvents);
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        logger.LogWarning("Redis connection ({ConnectionType}) restored; live events published meanwhile will be replayed to every watcher.", e.ConnectionType);
        _ = ResyncAsync();
    }

    /// <summary>Once the subscription provably receives again, asks every watcher to catch up from its stream.</summary>
    private async Task ResyncAsync()
    {
        // One at a time; a second interruption during a resync just runs it again afterwards.
        await _resyncing.WaitAsync();
        try
        {
            while (!_stopping.IsCancellationRequested && !await ProbeAsync())
            {
                await Task.Delay(ProbeTimeout / 2, _stopping.Token);
            }
            var count = 0;
            // A client watching several auctions is listed under each of them; it catches up on all of them at once.
            foreach (var watcher in _watchers.Values.SelectMany(list => list).Distinct())
            {
                count++;
                Deliver(watcher, AuctionEvent.Resumed);
            }
            logger.LogInformation("Asked {Count} watchers to catch up on events they may have missed.", count);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Redis went away again; its next restore starts another resync.
            logger.LogWarning("Could not confirm the live events subscription: {Message}", e.Message);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _resyncing.Release();
        }
    }

    /// <summary>
    /// Publishes a probe on the events channel and waits for it to come back through this replica's subscription:
    /// from then on, everything published reaches this replica.
    /// </summary>
    private async Task<bool> ProbeAsync()
    {
        var probe = Guid.NewGuid().ToString("N");
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _probes[probe] = received;
        try
        {
            await redis.GetSubscriber().PublishAsync(RedisKeys.AuctionEvents, JsonSerializer.Serialize(new Dictionary<string, string> { ["probe"] = probe }));
            await received.Task.WaitAsync(ProbeTimeout, _stopping.Token);
            return true;
        }
        catch (Exception e) when (e is TimeoutException or RedisException)
        {
            return false;
        }
        finally
        {
            _probes.TryRemove(probe, out _);
        }
    }

    private void Dispatch(string message)
    {
        AuctionEvent auctionEvent;
        ImmutableArray<Watcher> watchers;
        string? cause;
        try
        {
            var fields = JsonSerializer.Deserialize<Dictionary<string, string>>(message)!;
            if (fields.TryGetValue("probe", out var probe))
            {
                // Some replica checking its subscription; only that one is waiting for it.
                _probes.GetValueOrDefault(probe)?.TrySetResult();
                return;
            }
            var auctionId = Guid.Parse(fields["auction"]);
            if (!_watchers.TryGetValue(auctionId, out watchers))
            {
                return; // nobody here watches this auction
            }
            auctionEvent = AuctionEvent.From(auctionId, fields["id"], fields);
            cause = fields.GetValueOrDefault("traceparent");
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or ArgumentNullException)
        {
            logger.LogError(e, "Ignored a malformed auction event: {Message}", message);
            return;
        }
        // Its own trace (one event reaches many clients), linked to the event's cause.
        using var span = Tracing.StartActivity("auction.event.deliver", ActivityKind.Consumer, parentContext: default,
            links: ActivityContext.TryParse(cause, null, out var causeContext) ? [new ActivityLink(causeContext)] : null);
        int delivered = 0, dropped = 0;
        foreach (var watcher in watchers)
        {
            switch (Deliver(watcher, auctionEvent))
            {
                case Delivery.Queued: delivered++; break;
                case Delivery.Dropped: dropped++; break;
            }
        }
        if (span is not null)
        {
            span.SetTag("q4.auction.id", auctionEvent.AuctionId.ToString());
            span.SetTag("q4.event.id", auctionEvent.Id.ToString());
            span.SetTag("q4.event.type", auctionEvent.Type);
            span.SetTag("q4.event.watchers", watchers.Length);
            span.SetTag("q4.event.delivered", delivered);
            span.SetTag("q4.event.dropped", dropped);
        }
    }

    /// <summary>What became of an event handed to one watcher.</summary>
    private enum Delivery { Queued, Dropped, Gone }

    private Delivery Deliver(Watcher watcher, AuctionEvent auctionEvent)
    {
        if (watcher.Queue.Writer.TryWrite(auctionEvent))
        {
            return Delivery.Queued;
        }
        if (watcher.Queue.Reader.Completion.IsCompleted || !watcher.Queue.Writer.TryComplete(new SlowClientException()))
        {
            return Delivery.Gone; // it left, or was dropped already: a closed queue takes nothing more, and that is no drop
        }
        metrics.Dropped();
        logger.LogInformation("Dropped a client of {Count} auction(s), the first {AuctionId}: it fell {Capacity} events behind.",
            watcher.AuctionIds.Count, watcher.AuctionIds[0], options.Value.ClientQueueCapacity);
        return Delivery.Dropped;
    }

    /// <summary>Takes a watcher that left off the lists; called once per watcher.</summary>
    private void Remove(Watcher watcher)
    {
        metrics.WatcherLeft();
        foreach (var auctionId in watcher.AuctionIds)
        {
            while (_watchers.TryGetValue(auctionId, out var list))
            {
                var without = list.Remove(watcher);
                if (without.IsEmpty
                        ? _watchers.TryRemove(new KeyValuePair<Guid, ImmutableArray<Watcher>>(auctionId, list))
                        : _watchers.TryUpdate(auctionId, without, list))
                {
                    break;
                }
            }
        }
    }

    /// <summary>One client's view of the live events of the auctions it watches; dispose it when the client leaves.</summary>
    public sealed class Watcher(AuctionEventHub hub, IReadOnlyList<Guid> auctionIds, int capacity) : IDisposable
    {
        private int _disposed;

        public IReadOnlyList<Guid> AuctionIds { get; } = auctionIds;

        internal Channel<AuctionEvent> Queue { get; } = Channel.CreateBounded<AuctionEvent>(
            new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = false, FullMode = BoundedChannelFullMode.Wait });

        public ChannelReader<AuctionEvent> Events => Queue.Reader;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }
            Queue.Writer.TryComplete();
            hub.Remove(this);
        }
    }

    public sealed class SlowClientException() : Exception("The client fell too far behind the live events.");
}
