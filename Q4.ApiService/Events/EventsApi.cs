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
    /// it missed from the auction's stream, then live events, each exactly once. A client whose last event is older than
    /// what the stream still keeps gets a <c>reload</c> event instead (read the auction again), then live events.
    /// </summary>
    private static async Task<Results<EventStream, ProblemHttpResult>> WatchAuction(
        Guid id, HttpRequest request, string? lastEventId, AuctionFactsCache auctions, CancellationToken ct)
    {
        var resumeFrom = request.Headers["Last-Event-ID"].FirstOrDefault() ?? lastEventId;
        StreamId? after = null;
        if (!string.IsNullOrEmpty(resumeFrom))
        {
            if (!StreamId.TryParse(resumeFrom, out var position))
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

    public sealed class EventStream(Guid auctionId, StreamId? after) : IResult
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

            // Where the client stands in the auction's stream: the id it last got, or for a new client the newest entry
            // now. That is read before watching and the replay after, so nothing published in between is lost; what both
            // deliver is sent once.
            var position = after is { } resume ? new Position(resume, null) : await NewestAsync(redis, auctionId);
            using var watcher = hub.Watch(auctionId);
            await response.Body.WriteAsync(Heartbeat, ct);
            await response.Body.FlushAsync(ct);
            try
            {
                var sent = await ReplayAsync(redis, position, response.Body, checkKept: after is not null, ct);
                await ForwardLiveAsync(watcher.Events, sent, response.Body, heartbeatInterval,
                    from => ReplayAsync(redis, from, response.Body, checkKept: true, ct), ct);
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

        /// <summary>Where a client stands: the last event it got, and that event's sequence number when known.</summary>
        private readonly record struct Position(StreamId Id, long? Sequence)
        {
            public static Position Of(AuctionEvent sent) => new(sent.Id, sent.Sequence);
        }

        private async Task<Position> NewestAsync(IDatabase redis, Guid auctionId) =>
            (await redis.StreamRangeAsync(RedisKeys.AuctionEventStream(auctionId), "-", "+", 1, Order.Descending)) is [var newest]
                ? Position.Of(EventOf(newest))
                : default;

        private AuctionEvent EventOf(StreamEntry entry) =>
            AuctionEvent.From(auctionId, entry.Id!, entry.Values.ToDictionary(v => (string)v.Name!, v => (string)v.Value!));

        /// <summary>
        /// Sends what the auction's stream holds after <paramref name="after"/>; the id of the last event sent. With
        /// <paramref name="checkKept"/>, first makes sure the stream still holds everything after it: if older events
        /// were trimmed away (or Redis lost the stream), the client gets a <c>reload</c> event instead of a silent gap.
        /// </summary>
        private async Task<Position> ReplayAsync(IDatabase redis, Position after, Stream body, bool checkKept, CancellationToken ct)
        {
            var key = RedisKeys.AuctionEventStream(auctionId);
            if (checkKept && await GapAfterAsync(redis, key, after.Id) is { } resumeFrom)
            {
                await body.WriteAsync(AuctionEvent.Reload(auctionId, resumeFrom, after.Id).Frame, ct);
                after = new Position(resumeFrom, null);
            }
            var sent = after;
            while (true)
            {
                var entries = await redis.StreamRangeAsync(key, $"({sent.Id}", "+", ReplayPageSize);
                foreach (var entry in entries)
                {
                    var auctionEvent = EventOf(entry);
                    await body.WriteAsync(auctionEvent.Frame, ct);
                    sent = Position.Of(auctionEvent);
                }
                await body.FlushAsync(ct);
                if (entries.Length < ReplayPageSize)
                {
                    return sent;
                }
            }
        }

        /// <summary>
        /// Null when the stream holds every event after <paramref name="after"/>; otherwise where to go on from (its
        /// newest id). The cap trims the oldest entries only, so events are missing exactly when the client's last one
        /// is older than the first kept and the stream ever held more than it holds now; an id newer than any the stream
        /// made means the stream itself was lost and started again.
        /// </summary>
        private static async Task<StreamId?> GapAfterAsync(IDatabase redis, RedisKey key, StreamId after)
        {
            StreamInfo info;
            try
            {
                info = await redis.StreamInfoAsync(key);
            }
            catch (RedisServerException e) when (e.Message.Contains("no such key", StringComparison.OrdinalIgnoreCase))
            {
                // No events at all: nothing was missed by a new client, everything by one that had seen some.
                return after == default ? null : default(StreamId);
            }
            var newest = StreamId.Parse(info.LastGeneratedId!);
            var trimmed = info.EntriesAdded > info.Length
                && (info.FirstEntry.IsNull || after < StreamId.Parse(info.FirstEntry.Id!));
            return trimmed || after > newest ? newest : null;
        }

        private static async Task ForwardLiveAsync(ChannelReader<AuctionEvent> events, Position sent, Stream body,
            TimeSpan heartbeatInterval, Func<Position, Task<Position>> catchUp, CancellationToken ct)
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
                    if (ReferenceEquals(auctionEvent, AuctionEvent.Resumed))
                    {
                        sent = await catchUp(sent);
                    }
                    else if (auctionEvent.Id > sent.Id)
                    {
                        if (sent.Sequence is { } last && auctionEvent.Sequence is { } next && next != last + 1)
                        {
                            // Out of turn: events between were lost on the way. The stream has them, this one included.
                            sent = await catchUp(sent);
                        }
                        else
                        {
                            await body.WriteAsync(auctionEvent.Frame, ct);
                            sent = Position.Of(auctionEvent);
                        }
                    }
                }
                await body.FlushAsync(ct);
            }
        }
    }
}
