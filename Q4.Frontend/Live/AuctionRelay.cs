using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Q4.Frontend.Live;

/// <summary>
/// An auction's event stream (<c>GET /auctions/{id}/events</c>), fanned out in this replica: however many browsers
/// watch an auction here, the front end reads one stream of it from the API (<see cref="RelayedAuction"/>) and writes
/// each event's frame, as the API framed it, to every one of them. Two thousand watchers of twenty auctions cost the
/// API twenty streams, not two thousand, and each event crosses the front end once on its way in.
/// <para>
/// The browsers' protocol is the API's, unchanged: the stream opens with an id line, then events with the API's ids;
/// a browser that reconnects with <c>Last-Event-ID</c> gets what it missed. When its last event is among those kept
/// here (<see cref="LiveOptions.KeptEvents"/>) the replay comes from here; otherwise (it is further behind, came from
/// another front-end replica that is ahead, or sent an id that is not one) the request is forwarded to the API,
/// which replays from the auction's Redis stream, answers <c>reload</c>, or refuses, as it always does. An auction
/// the API does not know is forwarded too, so the browser gets the API's own 404.
/// </para>
/// <para>
/// When the API replica a stream comes from dies or stalls, the relay opens it again from its last event on
/// another replica: the browsers' streams stay open and the API's replay fills the gap, each event once.
/// </para>
/// </summary>
internal sealed class AuctionRelay(
    ApiForwarder api, IOptions<LiveOptions> options, TimeProvider time, IHostApplicationLifetime lifetime, LiveEventsMetrics metrics,
    ILogger<AuctionRelay> logger) : BackgroundService
{
    private static readonly ReadOnlyMemory<byte> Heartbeat = ": heartbeat\n\n"u8.ToArray();

    private readonly ConcurrentDictionary<Guid, RelayedAuction> _auctions = new();

    public async Task WatchAsync(HttpContext context, Guid auctionId)
    {
        var request = context.Request;
        // As the API reads it: the header when sent, else the query parameter for clients that cannot set headers.
        var lastEventId = request.Headers.TryGetValue("Last-Event-ID", out var header) ? header.ToString()
            : request.Query["lastEventId"].ToString();
        using var watcher = await SubscribeAsync(auctionId, lastEventId is "" ? null : lastEventId, context.RequestAborted);
        if (watcher is null)
        {
            await api.ForwardAsync(context);
            return;
        }

        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        // A replica that shuts down ends its streams at once; the browsers reconnect to another.
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var ct = ending.Token;
        var body = response.Body;
        try
        {
            await body.WriteAsync(Encoding.UTF8.GetBytes($"id: {watcher.Opening}\n\n"), ct);
            await body.WriteAsync(Heartbeat, ct);
            foreach (var frame in watcher.Replay)
            {
                await body.WriteAsync(frame, ct);
                metrics.Sent();
            }
            await body.FlushAsync(ct);
            var frames = watcher.Frames;
            while (await frames.WaitToReadAsync(ct))
            {
                while (frames.TryRead(out var frame))
                {
                    await body.WriteAsync(frame, ct);
                    if (!frame.Equals(Heartbeat))
                    {
                        metrics.Sent();
                    }
                }
                await body.FlushAsync(ct);
            }
            // Ended by the relay (this browser fell too far behind): it reconnects and replays.
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The browser left, or this replica is stopping.
        }
    }

    /// <summary>
    /// The browser's place among the auction's watchers here, with what it missed; null when the API must answer it
    /// (the auction's stream could not be opened, or the browser's last event is not among those kept).
    /// </summary>
    private async Task<RelayWatcher?> SubscribeAsync(Guid auctionId, string? lastEventId, CancellationToken ct)
    {
        var settings = options.Value;
        while (true)
        {
            var auction = _auctions.TryGetValue(auctionId, out var known) ? known : Start(auctionId);
            bool opened;
            try
            {
                opened = await auction.Opened.WaitAsync(settings.OpenTimeout, time, ct);
            }
            catch (TimeoutException)
            {
                return null;
            }
            if (!opened)
            {
                return null;
            }
            if (auction.TrySubscribe(lastEventId, settings.WatcherQueueCapacity, out var watcher))
            {
                return watcher;
            }
            // It closed (its last watcher left a while ago) between the lookup and now: open it afresh.
            _auctions.TryRemove(KeyValuePair.Create(auctionId, auction));
        }
    }

    private RelayedAuction Start(Guid auctionId)
    {
        var fresh = new RelayedAuction(auctionId, options.Value, time, metrics);
        var auction = _auctions.GetOrAdd(auctionId, fresh);
        if (ReferenceEquals(auction, fresh))
        {
            _ = RunAsync(fresh);
        }
        return auction;
    }

    private async Task RunAsync(RelayedAuction auction)
    {
        await Task.Yield();
        try
        {
            await auction.RunAsync(api, logger, lifetime.ApplicationStopping);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Relaying the events of auction {AuctionId} failed", auction.AuctionId);
            auction.Close();
        }
        finally
        {
            _auctions.TryRemove(KeyValuePair.Create(auction.AuctionId, auction));
        }
    }

    /// <summary>Heartbeats to the watchers of quiet auctions, and the streams nobody watches any more closed.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var tick = TimeSpan.FromMilliseconds(Math.Min(1000, settings.HeartbeatInterval.TotalMilliseconds / 2));
        using var timer = new PeriodicTimer(tick, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var (auctionId, auction) in _auctions)
            {
                try
                {
                    if (auction.TryCloseUnwatched(settings.Linger))
                    {
                        _auctions.TryRemove(KeyValuePair.Create(auctionId, auction));
                    }
                    else
                    {
                        auction.HeartbeatIfQuiet(settings.HeartbeatInterval, Heartbeat);
                    }
                }
                catch (Exception e)
                {
                    logger.LogError(e, "Looking after the relayed stream of auction {AuctionId} failed", auctionId);
                }
            }
        }
    }
}
