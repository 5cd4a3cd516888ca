using Q4.Dashboard.Otlp.Proto;
using Q4.Dashboard.Telemetry;

namespace Q4.Dashboard.Components.Traces;

/// <summary>One step of a bid's journey: a span (or the wait between two), where it ran, and when.</summary>
public sealed record JourneyStep(string Label, string Detail, string? Resource, ulong Start, ulong End, string? TraceId = null, bool IsWait = false)
{
    public TimeSpan Duration => Waterfall.FromNanoseconds(End > Start ? End - Start : 0);
}

/// <summary>
/// A bid from click to row, on one time line, out of two traces: the bid's own (the front end's request if it came
/// through the site, the API's request, bid.place, the call of bid.lua that put it in the bid stream) and the sync
/// service's batch that picked it up (a trace of its own, linked to the script call, with the PostgreSQL commands
/// inside); between the two, the time the bid waited in the stream. Built from the spans Q4's services record.
/// </summary>
public sealed record BidJourney(IReadOnlyList<JourneyStep> Steps, string? BatchTraceId)
{
    /// <summary>The API's span around each call of bid.lua; its id goes into the bid's stream entry.</summary>
    public const string ScriptSpan = "EVALSHA bid.lua";

    /// <summary>The sync service's span for each batch it persists, linked to the script call of every bid in it.</summary>
    public const string BatchSpan = "sync.batch";

    public const string SettlementSpan = "auction.close";

    public const string DeliverySpan = "auction.event.deliver";

    /// <summary>The instrumentation scope of PostgreSQL's client spans.</summary>
    public const string PostgresScope = "Npgsql";

    /// <summary>How many spans linked to one trace are read (a bid is persisted once and delivered once per replica).</summary>
    public const int MaxLinked = 200;

    /// <summary>What a span that links to a trace did for it, in a few words.</summary>
    public static string LinkVerb(string spanName) => spanName switch
    {
        BatchSpan => "Persisted by",
        SettlementSpan => "Settled by",
        DeliverySpan => "Delivered by",
        _ => "Linked from",
    };

    /// <summary>Whether the trace placed a bid (it called bid.lua).</summary>
    public static bool IsBid(IEnumerable<StoredSpan> spans) => spans.Any(s => s.Span.Name == ScriptSpan);

    /// <summary>The journey of the bid placed in <paramref name="spans"/>, or null when that trace placed none.</summary>
    public static BidJourney? Of(IReadOnlyList<StoredSpan> spans, IReadOnlyList<StoredSpan> linkedToIt, TelemetryStore store)
    {
        var script = spans.Where(s => s.Span.Name == ScriptSpan).MinBy(s => s.Span.StartTimeUnixNano);
        if (script is null)
        {
            return null;
        }
        var steps = new List<JourneyStep>();
        // Up from the script: bid.place, the API's request, and above it whatever called the API (the front end).
        var ancestors = Ancestors(script, spans);
        var request = ancestors.FirstOrDefault(s => s.Span.Kind == Span.Types.SpanKind.Server);
        var caller = request is null ? null : ancestors.SkipWhile(s => s != request).Skip(1).LastOrDefault(s => s.ServiceName != request.ServiceName);
        if (caller is not null)
        {
            steps.Add(Step("Front end", caller));
        }
        if (request is not null)
        {
            steps.Add(Step("API request", request));
        }
        foreach (var inside in ancestors.TakeWhile(s => s != request).Reverse())
        {
            steps.Add(Step("In the API", inside));
        }
        steps.Add(Step("Redis script", script));

        var scriptId = script.Span.SpanId;
        var batch = linkedToIt.Where(s => s.Span.Name == BatchSpan)
            .OrderByDescending(s => s.Span.Links.Any(l => l.SpanId == scriptId))
            .ThenBy(s => s.Span.StartTimeUnixNano)
            .FirstOrDefault();
        if (batch is not null)
        {
            steps.Add(new JourneyStep("Waiting in the bid stream", "from the script's end to the batch that picked the bid up", null,
                script.Span.EndTimeUnixNano, Math.Max(batch.Span.StartTimeUnixNano, script.Span.EndTimeUnixNano), IsWait: true));
            steps.Add(Step("Sync batch", batch));
            var batchTrace = store.GetTrace(batch.TraceId);
            foreach (var command in batchTrace.Where(s => s.Scope.Name == PostgresScope && Ancestors(s, batchTrace).Contains(batch))
                .OrderBy(s => s.Span.StartTimeUnixNano))
            {
                steps.Add(Step("PostgreSQL", command));
            }
        }
        foreach (var delivery in linkedToIt.Where(s => s.Span.Name == DeliverySpan).OrderBy(s => s.Span.StartTimeUnixNano))
        {
            steps.Add(Step("Live event", delivery));
        }
        return new BidJourney(steps, batch?.TraceId);
    }

    private static JourneyStep Step(string label, StoredSpan span) =>
        new(label, span.Span.Name, span.ServiceName, span.Span.StartTimeUnixNano, Math.Max(span.Span.EndTimeUnixNano, span.Span.StartTimeUnixNano), span.TraceId);

    /// <summary>The span's parent, its parent's parent, and so on, as far as the trace holds them.</summary>
    private static List<StoredSpan> Ancestors(StoredSpan span, IReadOnlyList<StoredSpan> trace)
    {
        var byId = trace.GroupBy(s => s.Span.SpanId).ToDictionary(g => g.Key, g => g.First());
        var chain = new List<StoredSpan>();
        while (!span.Span.ParentSpanId.IsEmpty && byId.TryGetValue(span.Span.ParentSpanId, out var parent) && !chain.Contains(parent))
        {
            chain.Add(parent);
            span = parent;
        }
        return chain;
    }
}
