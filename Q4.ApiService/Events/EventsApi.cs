using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using System.Reflection;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Mvc;
using Q4.Data;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
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
        // Meter Q4.Events: the clients this replica streams to.
        builder.Services.AddSingleton(sp => new LiveEventsMetrics(sp.GetRequiredService<IMeterFactory>(), "Q4.Events"));
        builder.Services.AddSingleton<AuctionEventHub>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AuctionEventHub>());
        return builder;
    }

    private const string EventsDescription =
        "Events `bid`, `extended` and `closed` (their data is JSON naming the `auctionId`), and `reload` when the events " +
        "since `Last-Event-ID` are no longer kept: read the auction again. A comment line comes when nothing else does, " +
        "so that idle connections stay open. Browsers' EventSource sends `Last-Event-ID` when it reconnects; " +
        "`?lastEventId=` does the same for clients that cannot set headers.";

    /// <summary>The most auctions one stream may watch.</summary>
    public const int MaxAuctionsPerStream = 100;

    public static RouteGroupBuilder MapEventsApi(this RouteGroupBuilder auctions)
    {
        auctions.MapGet("/{id:guid}/events", WatchAuction)
            .Describe("watchAuction", "The auction's live events as server-sent events, replayed from Last-Event-ID.", EventsDescription)
            .Explains("Last-Event-ID", "The id of the last event received: the stream first replays what came after it.")
            .Explains("lastEventId", "The same as Last-Event-ID, for clients that cannot set headers.")
            .Refuses(StatusCodes.Status400BadRequest, "invalid_event_id")
            .Refuses(StatusCodes.Status404NotFound, "not_found");
        auctions.MapGet("/events", WatchAuctions)
            .TakesIds("ids", MaxAuctionsPerStream)
            .Explains("ids", $"The auctions to watch: up to {MaxAuctionsPerStream} ids, separated by commas (or the parameter repeated).")
            .Explains("Last-Event-ID", "The id of the last event received (a position per auction): the stream first replays what each auction had since.")
            .Explains("lastEventId", "The same as Last-Event-ID, for clients that cannot set headers.")
            .Describe("watchAuctions", $"The live events of up to {MaxAuctionsPerStream} auctions on one stream, replayed from Last-Event-ID.",
                EventsDescription + " Each event's id holds the client's position in every auction asked for: the stream ids, " +
                "in the order of `ids`, separated by dots.")
            .Refuses(StatusCodes.Status400BadRequest, "invalid_query", "invalid_event_id")
            .Refuses(StatusCodes.Status404NotFound, "not_found");
        return auctions;
    }

    /// <summary>
    /// <c>text/event-stream</c> of the auction's <c>bid</c>, <c>extended</c> and <c>closed</c> events. A client that
    /// sends <c>Last-Event-ID</c> (browsers do when they reconnect; <c>?lastEventId=</c> works too) first gets what
    /// it missed from the auction's stream, then live events, each exactly once. A client whose last event is older than
    /// what the stream still keeps gets a <c>reload</c> event instead (read the auction again), then live events.
    /// </summary>
    private static async Task<Results<EventStream, ProblemHttpResult>> WatchAuction(
        Guid id, [FromHeader(Name = "Last-Event-ID")] string? lastEventIdHeader, string? lastEventId,
        AuctionFactsCache auctions, CancellationToken ct)
    {
        if (!TryResumePoint(lastEventIdHeader ?? lastEventId, 1, out var after, out var refusal))
        {
            return refusal;
        }
        if (await auctions.GetAsync(id, ct) is null)
        {
            return Problems.NotFound("The auction");
        }
        return new EventStream([id], after);
    }

    /// <summary>
    /// One <c>text/event-stream</c> of the events of several auctions (<c>?ids=</c>, up to
    /// <see cref="MaxAuctionsPerStream"/>, separated by commas), for a page that lists them: the same events as each
    /// auction's own stream, each naming its <c>auctionId</c>, with the same replay. Its event ids say where the client
    /// stands in every auction (<see cref="EventPositions"/>), so a reconnection with <c>Last-Event-ID</c> replays what
    /// each auction had since, and a <c>reload</c> concerns only the auction it names.
    /// </summary>
    private static async Task<Results<EventStream, ProblemHttpResult>> WatchAuctions(
        [FromQuery] string[]? ids, [FromHeader(Name = "Last-Event-ID")] string? lastEventIdHeader, string? lastEventId,
        AuctionFactsCache auctions, CancellationToken ct)
    {
        var entries = (ids ?? []).SelectMany(value => value.Split(',')).Select(entry => entry.Trim()).ToList();
        if (entries.All(entry => entry.Length == 0))
        {
            return Problems.InvalidQuery($"ids is required: the ids of up to {MaxAuctionsPerStream} auctions, separated by commas.");
        }
        var malformed = entries.Where(entry => !Guid.TryParse(entry, out _)).ToList();
        if (malformed.Count > 0)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid_query", "The query is not valid.",
                $"ids holds entries that are not auction ids: {string.Join(", ", malformed.Take(5).Select(entry => $"'{entry}'"))}.",
                [new("malformedIds", malformed)]);
        }
        // Naming an auction twice watches it once.
        var auctionIds = entries.Select(Guid.Parse).Distinct().ToList();
        if (auctionIds.Count > MaxAuctionsPerStream)
        {
            return Problems.InvalidQuery($"ids names {auctionIds.Count} auctions; one stream watches up to {MaxAuctionsPerStream}.");
        }
        if (!TryResumePoint(lastEventIdHeader ?? lastEventId, auctionIds.Count, out var after, out var refusal))
        {
            return refusal;
        }
        var unknown = await auctions.UnknownAsync(auctionIds, ct);
        if (unknown.Count > 0)
        {
            return Problems.Problem(StatusCodes.Status404NotFound, "not_found", "Some of the auctions do not exist.",
                $"No auction has the id {string.Join(", ", unknown.Take(5))}{(unknown.Count > 5 ? ", ..." : "")}.",
                [new("unknownIds", unknown)]);
        }
        return new EventStream(auctionIds, after);
    }

    /// <summary>
    /// Where a reconnecting client stands in each of <paramref name="count"/> auctions, from <c>Last-Event-ID</c> (or
    /// <c>?lastEventId=</c>); null positions for a client that starts afresh.
    /// </summary>
    private static bool TryResumePoint(string? resumeFrom, int count, out StreamId[]? after,
        [NotNullWhen(false)] out ProblemHttpResult? refusal)
    {
        after = null;
        refusal = null;
        if (string.IsNullOrEmpty(resumeFrom))
        {
            return true;
        }
        if (!EventPositions.TryParse(resumeFrom, count, out var positions))
        {
            refusal = Problems.Problem(StatusCodes.Status400BadRequest, "invalid_event_id", "Last-Event-ID is not an event id of this feed.");
            return false;
        }
        after = positions;
        return true;
    }

    /// <summary>
    /// The event stream of one auction or several: the same writer for both, since one auction is the case of a list
    /// of one (its event ids are then just its stream's ids).
    /// </summary>
    public sealed class EventStream(IReadOnlyList<Guid> auctionIds, StreamId[]? after) : IResult, IEndpointMetadataProvider
    {
        public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
            builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(string), ["text/event-stream"]));

        private static readonly ReadOnlyMemory<byte> Heartbeat = ": heartbeat\n\n"u8.ToArray();
        private const int ReplayPageSize = 500;

        public async Task ExecuteAsync(HttpContext context)
        {
            var services = context.RequestServices;
            var hub = services.GetRequiredService<AuctionEventHub>();
            var metrics = services.GetRequiredService<LiveEventsMetrics>();
            var redis = services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
            var heartbeatInterval = services.GetRequiredService<IOptions<EventsOptions>>().Value.HeartbeatInterval;
            var ct = context.RequestAborted;
            var response = context.Response;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

            // Where the client stands in each auction's stream: the ids it last got, or for a new client the newest entries
            // now. Those are read before watching and the replay after, so nothing published in between is lost; what both
            // deliver is sent once.
            var positions = after is not null
                ? after.Select(id => new Position(id, null)).ToArray()
                : await Task.WhenAll(auctionIds.Select(auctionId => NewestAsync(redis, auctionId)));
            var client = new Client(auctionIds, positions, redis, response.Body, metrics, ct);
            using var watcher = hub.Watch(auctionIds);
            try
            {
                // An id with no event: the client knows where it stands even if it reconnects before any event came.
                await client.WriteOpeningAsync();
                for (var i = 0; i < auctionIds.Count; i++)
                {
                    await client.ReplayAsync(i, checkKept: after is not null);
                }
                await client.ForwardLiveAsync(watcher.Events, heartbeatInterval);
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

        /// <summary>Where a client stands in an auction: the last event it got, and that event's sequence number when known.</summary>
        private readonly record struct Position(StreamId Id, long? Sequence)
        {
            public static Position Of(AuctionEvent sent) => new(sent.Id, sent.Sequence);
        }

        private static async Task<Position> NewestAsync(IDatabase redis, Guid auctionId) =>
            (await redis.StreamRangeAsync(RedisKeys.AuctionEventStream(auctionId), "-", "+", 1, Order.Descending)) is [var newest]
                ? Position.Of(EventOf(auctionId, newest))
                : default;

        private static AuctionEvent EventOf(Guid auctionId, StreamEntry entry) =>
            AuctionEvent.From(auctionId, entry.Id!, entry.Values.ToDictionary(v => (string)v.Name!, v => (string)v.Value!));

        /// <summary>One connected client: where it stands in each of its auctions, and the response it reads.</summary>
        private sealed class Client(
            IReadOnlyList<Guid> auctionIds, Position[] positions, IDatabase redis, Stream body, LiveEventsMetrics metrics, CancellationToken ct)
        {
            private readonly Dictionary<Guid, int> _index = auctionIds.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i);

            private string Id => EventPositions.Format(positions.Select(p => p.Id).ToArray());

            public async Task WriteOpeningAsync()
            {
                await body.WriteAsync(Encoding.UTF8.GetBytes($"id: {Id}\n\n"), ct);
                await body.WriteAsync(Heartbeat, ct);
                await body.FlushAsync(ct);
            }

            /// <summary>Sends an event of auction <paramref name="i"/>, which moves the client on to it there.</summary>
            private async Task SendAsync(int i, AuctionEvent auctionEvent, Position now)
            {
                positions[i] = now;
                if (positions.Length == 1)
                {
                    // The event's own id says it all: its frame goes out as built, shared by every watcher.
                    await body.WriteAsync(auctionEvent.Frame, ct);
                }
                else
                {
                    await body.WriteAsync(Encoding.UTF8.GetBytes($"id: {Id}\n"), ct);
                    await body.WriteAsync(auctionEvent.Body, ct);
                }
                metrics.Sent();
            }

            /// <summary>
            /// Sends what auction <paramref name="i"/>'s stream holds after where the client stands. With
            /// <paramref name="checkKept"/>, first makes sure the stream still holds everything after it: if older events
            /// were trimmed away (or Redis lost the stream), the client gets a <c>reload</c> event instead of a silent gap.
            /// </summary>
            public async Task ReplayAsync(int i, bool checkKept)
            {
                var auctionId = auctionIds[i];
                var key = RedisKeys.AuctionEventStream(auctionId);
                if (checkKept && await GapAfterAsync(redis, key, positions[i].Id) is { } resumeFrom)
                {
                    await SendAsync(i, AuctionEvent.Reload(auctionId, resumeFrom, positions[i].Id), new Position(resumeFrom, null));
                }
                while (true)
                {
                    var entries = await redis.StreamRangeAsync(key, $"({positions[i].Id}", "+", ReplayPageSize);
                    foreach (var entry in entries)
                    {
                        var auctionEvent = EventOf(auctionId, entry);
                        await SendAsync(i, auctionEvent, Position.Of(auctionEvent));
                    }
                    await body.FlushAsync(ct);
                    if (entries.Length < ReplayPageSize)
                    {
                        return;
                    }
                }
            }

            public async Task ForwardLiveAsync(ChannelReader<AuctionEvent> events, TimeSpan heartbeatInterval)
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
                            for (var i = 0; i < positions.Length; i++)
                            {
                                await ReplayAsync(i, checkKept: true);
                            }
                        }
                        else if (_index.TryGetValue(auctionEvent.AuctionId, out var i) && auctionEvent.Id > positions[i].Id)
                        {
                            if (positions[i].Sequence is { } last && auctionEvent.Sequence is { } next && next != last + 1)
                            {
                                // Out of turn: events between were lost on the way. The stream has them, this one included.
                                await ReplayAsync(i, checkKept: true);
                            }
                            else
                            {
                                await SendAsync(i, auctionEvent, Position.Of(auctionEvent));
                            }
                        }
                    }
                    await body.FlushAsync(ct);
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
    }
}
