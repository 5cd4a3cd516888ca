using Q4.Data;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Q4.ApiService.Auctions;
using Q4.ApiService.Infrastructure;
using StackExchange.Redis;

namespace Q4.ApiService.Events;

public static class EventsApi
{
    public static IHostApplicationBuilder AddAuctionEvents(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<EventsOptions>(EventsOptions.Section);
        builder.Services.AddSingleton<AuctionEventHub>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AuctionEventHub>());
        return builder;
    }

    public static RouteGroupBuilder MapEventsApi(this RouteGroupBuilder auctions)
    {
        auctions.MapGet("/{id:guid}/events", WatchAuction);
        return auctions;
    }

    /// <summary>
    /// <c>text/event-stream</c> of the auction's <c>bid</c>, <c>extended</c> and <c>closed</c> events. A client that
    /// sends <c>Last-Event-ID</c> (browsers do when they reconnect; <c>?lastEventId=</c> works too) first gets what
    /// it missed from the auction's stream, then live events, each exactly once.
    /// </summary>
    private static async Task<Results<EventStream, ProblemHttpResult>> WatchAuction(
        Guid id, HttpRequest request, string? lastEventId, AuctionFactsCache auctions, CancellationToken ct)
    {
        var resumeFrom = request.Headers["Last-Event-ID"].FirstOrDefault() ?? lastEventId;
        StreamPosition? after = null;
        if (!string.IsNullOrEmpty(resumeFrom))
        {
            if (!StreamPosition.TryParse(resumeFrom, out var position))
            {
                return Problems.Problem(StatusCodes.Status400BadRequest, "invalid_event_id", "Last-Event-ID is not an event id of this feed.");
            }
            after = position;
        }
        if (await auctions.GetAsync(id, ct) is null)
        {
            return Problems.NotFound("The auction");
        }
        return new EventStream(id, after);
    }

    public sealed class EventStream(Guid auctionId, StreamPosition? after) : IResult
    {
        private static readonly ReadOnlyMemory<byte> Heartbeat = ": heartbeat\n\n"u8.ToArray();
        private const int ReplayPageSize = 500;

        public async Task ExecuteAsync(HttpContext context)
        {
            var services = context.RequestServices;
            var hub = services.GetRequiredService<AuctionEventHub>();
            var redis = services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
            var heartbeatInterval = services.GetRequiredService<IOptions<EventsOptions>>().Value.HeartbeatInterval;
            var ct = context.RequestAborted;
            var response = context.Response;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

            // Watch before replaying, so nothing published meanwhile is lost; what both deliver is sent once.
            using var watcher = hub.Watch(auctionId);
            await response.Body.WriteAsync(Heartbeat, ct);
            await response.Body.FlushAsync(ct);
            var sent = after;
            try
            {
                if (after is { } resume)
                {
                    sent = await ReplayAsync(redis, resume, response.Body, ct);
                }
                await ForwardLiveAsync(watcher.Events, sent, response.Body, heartbeatInterval, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The client left.
            }
            catch (AuctionEventHub.SlowClientException)
            {
                // Dropped: ending the response makes the client reconnect and replay from its last event.
            }
        }

        private async Task<StreamPosition?> ReplayAsync(IDatabase redis, StreamPosition after, Stream body, CancellationToken ct)
        {
            StreamPosition? sent = after;
            while (true)
            {
                var entries = await redis.StreamRangeAsync(RedisKeys.AuctionEventStream(auctionId), $"({sent}", "+", ReplayPageSize);
                foreach (var entry in entries)
                {
                    var auctionEvent = AuctionEvent.From(auctionId, entry.Id!, entry.Values.ToDictionary(v => (string)v.Name!, v => (string)v.Value!));
                    await body.WriteAsync(auctionEvent.Frame, ct);
                    sent = auctionEvent.Id;
                }
                await body.FlushAsync(ct);
                if (entries.Length < ReplayPageSize)
                {
                    return sent;
                }
            }
        }

        private static async Task ForwardLiveAsync(
            ChannelReader<AuctionEvent> events, StreamPosition? sent, Stream body, TimeSpan heartbeatInterval, CancellationToken ct)
        {
            while (true)
            {
                using (var quiet = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    quiet.CancelAfter(heartbeatInterval);
                    try
                    {
                        if (!await events.WaitToReadAsync(quiet.Token))
                        {
                            return;
                        }
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        await body.WriteAsync(Heartbeat, ct);
                        await body.FlushAsync(ct);
                        continue;
                    }
                }
                while (events.TryRead(out var auctionEvent))
                {
                    if (sent is null || auctionEvent.Id > sent.Value)
                    {
                        await body.WriteAsync(auctionEvent.Frame, ct);
                        sent = auctionEvent.Id;
                    }
                }
                await body.FlushAsync(ct);
            }
        }
    }
}
