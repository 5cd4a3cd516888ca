using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Google.Protobuf;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Q4.Dashboard.Otlp;
using Q4.Dashboard.Otlp.Proto;
using Q4.Tests.Auctions;
using Q4.Tests.Hosting;
using Q4.Tests.Sync;
using Q4.Tests.Users;

namespace Q4.Tests.Telemetry;

/// <summary>
/// The services' traces reach the AppHost's dashboard over OTLP (the real OpenTelemetry exporter, pointed there by the
/// AppHost), and come back out of its telemetry API; the OTLP endpoint keeps out what it should.
/// </summary>
public sealed class TelemetryTests(GraphFixture graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>Services export every second; what they sent is in the dashboard well within this.</summary>
    private static readonly TimeSpan Arrival = TimeSpan.FromSeconds(30);

    private AppHostProcess App => graph.App;

    [Fact]
    public async Task A_bids_trace_runs_from_the_callers_span_through_the_script_call_to_the_batch_that_persisted_it()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync();
        var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var callerSpan = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/auctions/{auction.Id}/bids") { Content = JsonContent.Create(new { amount = 100 }) };
        request.Headers.Add("traceparent", $"00-{traceId}-{callerSpan}-01");
        using var response = await bidder.Api(1).SendAsync(request, Cancellation);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        // Services export every second; the trace is there once the API's batch arrived.
        var spans = new List<FoundSpan>();
        Assert.True(await SyncStore.EventuallyAsync(async () =>
            (spans = await SpansOfTraceAsync(traceId)).Any(s => s.Service == "apiservice" && s.ParentSpanId == callerSpan), Arrival),
            $"the API's spans of trace {traceId} did not reach the dashboard within {Arrival}");
        var server = spans.Single(s => s.Service == "apiservice" && s.ParentSpanId == callerSpan);
        Assert.Equal(2, server.Kind); // server
        Assert.Contains("/bids", server.Name);
        Assert.All(spans, s => Assert.Equal(traceId, s.TraceId));
        // Inside it: bid.place, and in that the call of bid.lua (a client span), whose id went into the stream entry.
        var place = Assert.Single(spans, s => s.Name == "bid.place");
        Assert.Equal(server.SpanId, place.ParentSpanId);
        Assert.Equal(("100", "accepted", "false"), (place.Attributes["q4.bid.amount"], place.Attributes["q4.bid.outcome"], place.Attributes["q4.bid.replayed"]));
        Assert.Equal(auction.Id.ToString(), place.Attributes["q4.auction.id"]);
        var script = Assert.Single(spans, s => s.Name == "EVALSHA bid.lua");
        Assert.Equal((place.SpanId, 3), (script.ParentSpanId, script.Kind));

        // The sync service's batch that persisted the bid: a trace of its own, linked to the script call, with the
        // PostgreSQL commands inside.
        using var dashboard = App.CreateHttpClient("apphost");
        FoundSpan? batch = null;
        Assert.True(await SyncStore.EventuallyAsync(async () =>
        {
            var page = await dashboard.GetFromJsonAsync<JsonElement>($"/api/telemetry/spans?resource=syncservice&linkedTo={traceId}", Cancellation);
            batch = Flatten(page).FirstOrDefault(s => s.Name == "sync.batch" && s.Links.Contains((traceId, script.SpanId)));
            return batch is not null;
        }, Arrival), $"no sync.batch span linked to the bid reached the dashboard within {Arrival}");
        var persisted = new List<FoundSpan>();
        Assert.True(await SyncStore.EventuallyAsync(async () =>
            (persisted = await SpansOfTraceAsync(batch!.TraceId)).Any(s => s.Scope == "Npgsql"), Arrival),
            $"the batch's PostgreSQL spans did not reach the dashboard within {Arrival}");
        Assert.All(persisted.Where(s => s.Scope == "Npgsql"), s => Assert.Equal("syncservice", s.Service));
        Assert.Contains(persisted, s => s.Scope == "Npgsql" && s.ParentSpanId == batch!.SpanId);
    }

    [Fact]
    public async Task Each_api_replica_that_hands_a_bid_to_watchers_records_one_delivery_span_linked_to_the_bids_trace()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync();
        // Two watchers on one replica, one on the other: each replica fans the event out once, so one span each.
        using var first = await AuctionClient.OpenFeedAsync(App.CreateHttpClient("apiservice", 0), auction.Id);
        using var second = await AuctionClient.OpenFeedAsync(App.CreateHttpClient("apiservice", 0), auction.Id);
        using var third = await AuctionClient.OpenFeedAsync(App.CreateHttpClient("apiservice", 1), auction.Id);
        var (traceId, _) = await BidInOwnTraceAsync(bidder, auction.Id, 100, replica: 1);
        foreach (var feed in new[] { first, second, third })
        {
            Assert.Equal("bid", Assert.Single(await feed.TakeAsync(1)).Type);
        }

        var script = await ScriptCallOfAsync(traceId);
        using var dashboard = App.CreateHttpClient("apphost");
        var deliveries = new List<FoundSpan>();
        Assert.True(await SyncStore.EventuallyAsync(async () =>
        {
            var page = await dashboard.GetFromJsonAsync<JsonElement>($"/api/telemetry/spans?resource=apiservice&linkedTo={traceId}", Cancellation);
            deliveries = Flatten(page).Where(s => s.Name == "auction.event.deliver").ToList();
            return deliveries.Count >= 2;
        }, Arrival), $"{deliveries.Count} of 2 delivery spans linked to trace {traceId} reached the dashboard within {Arrival}");
        Assert.Equal(2, deliveries.Count);
        Assert.All(deliveries, d =>
        {
            Assert.Equal(("Q4.Events", 5), (d.Scope, d.Kind)); // a consumer span
            Assert.NotEqual(traceId, d.TraceId); // a trace of its own, linked to the bid's script call
            Assert.Equal([(traceId, script.SpanId)], d.Links);
            Assert.Equal(auction.Id.ToString(), d.Attributes["q4.auction.id"]);
            Assert.Equal("bid", d.Attributes["q4.event.type"]);
            Assert.Equal("0", d.Attributes["q4.event.dropped"]);
        });
        Assert.NotEqual(deliveries[0].Instance, deliveries[1].Instance);
        // Every watcher got the event with the id the spans name.
        Assert.Single(deliveries.Select(d => d.Attributes["q4.event.id"]).Distinct());
        Assert.Equal(["1", "2"], deliveries.Select(d => d.Attributes["q4.event.delivered"]).Order());
        Assert.Equal(["1", "2"], deliveries.Select(d => d.Attributes["q4.event.watchers"]).Order());
    }

    [Fact]
    public async Task An_auctions_settlement_span_links_to_the_winning_bid_and_the_closed_events_delivery_to_the_settlement()
    {
        using var seller = TestUser.Fresh(App);
        using var outbid = TestUser.Fresh(App);
        using var winner = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync(startingPrice: 100, minIncrement: 10);
        var (outbidTrace, _) = await BidInOwnTraceAsync(outbid, auction.Id, 100, replica: 0);
        var (winningTrace, winningBid) = await BidInOwnTraceAsync(winner, auction.Id, 130, replica: 1);
        using var feed = await AuctionClient.OpenFeedAsync(App.CreateHttpClient("apiservice", 0), auction.Id);
        // Bids far from the end (no soft close), then the end brought near by hand.
        await App.SetEndAsync(auction.Id, await App.RedisNowAsync() + 1_500);
        Assert.Equal("closed", Assert.Single(await feed.TakeAsync(1)).Type);

        var script = await ScriptCallOfAsync(winningTrace);
        using var dashboard = App.CreateHttpClient("apphost");
        FoundSpan? settlement = null;
        Assert.True(await SyncStore.EventuallyAsync(async () =>
        {
            var page = await dashboard.GetFromJsonAsync<JsonElement>($"/api/telemetry/spans?resource=syncservice&linkedTo={winningTrace}", Cancellation);
            settlement = Flatten(page).SingleOrDefault(s => s.Name == "auction.close");
            return settlement is not null;
        }, Arrival), $"no auction.close span linked to the winning bid's trace {winningTrace} reached the dashboard within {Arrival}");
        Assert.Equal("Q4.Sync", settlement!.Scope);
        Assert.Equal([(winningTrace, script.SpanId)], settlement.Links);
        Assert.Equal(auction.Id.ToString(), settlement.Attributes["q4.auction.id"]);
        Assert.Equal("closed", settlement.Attributes["q4.close.result"]);
        Assert.Equal("sold", settlement.Attributes["q4.auction.outcome"]);
        Assert.Equal("130", settlement.Attributes["q4.auction.final_price"]);
        Assert.Equal(winningBid.Bidder.Id.ToString(), settlement.Attributes["q4.auction.winner_id"]);
        Assert.Equal("true", settlement.Attributes["q4.close.recorded"]);
        // The winner is recorded in PostgreSQL inside it.
        var settled = new List<FoundSpan>();
        Assert.True(await SyncStore.EventuallyAsync(async () =>
            (settled = await SpansOfTraceAsync(settlement.TraceId)).Any(s => s.Scope == "Npgsql" && s.ParentSpanId == settlement.SpanId), Arrival),
            $"the settlement's PostgreSQL spans did not reach the dashboard within {Arrival}");

        // The outbid bid's trace has no settlement linked to it.
        var outbidLinks = await dashboard.GetFromJsonAsync<JsonElement>($"/api/telemetry/spans?resource=syncservice&linkedTo={outbidTrace}", Cancellation);
        Assert.DoesNotContain(Flatten(outbidLinks), s => s.Name == "auction.close");

        // The replica the watcher is on handed the closed event over in a span linked to the settlement.
        FoundSpan? delivery = null;
        Assert.True(await SyncStore.EventuallyAsync(async () =>
        {
            var page = await dashboard.GetFromJsonAsync<JsonElement>($"/api/telemetry/spans?resource=apiservice&linkedTo={settlement.TraceId}", Cancellation);
            delivery = Flatten(page).SingleOrDefault(s => s.Name == "auction.event.deliver");
            return delivery is not null;
        }, Arrival), $"no delivery of the closed event linked to the settlement reached the dashboard within {Arrival}");
        Assert.Equal([(settlement.TraceId, settlement.SpanId)], delivery!.Links);
        Assert.Equal(("closed", auction.Id.ToString(), "1"),
            (delivery.Attributes["q4.event.type"], delivery.Attributes["q4.auction.id"], delivery.Attributes["q4.event.delivered"]));
    }

    [Fact]
    public async Task The_logs_of_a_failed_bid_carry_its_trace_id()
    {
        using var bidder = TestUser.Fresh(App);
        var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/auctions/{Guid.NewGuid()}/bids") { Content = JsonContent.Create(new { amount = 100 }) };
        request.Headers.Add("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-01");
        using var response = await bidder.Api(0).SendAsync(request, Cancellation);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);

        using var dashboard = App.CreateHttpClient("apphost");
        var records = new List<JsonElement>();
        Assert.True(await SyncStore.EventuallyAsync(async () =>
        {
            var page = await dashboard.GetFromJsonAsync<JsonElement>($"/api/telemetry/logs?resource=apiservice&traceId={traceId}", Cancellation);
            records = page.GetProperty("data").GetProperty("resourceLogs").EnumerateArray()
                .SelectMany(r => r.GetProperty("scopeLogs").EnumerateArray())
                .SelectMany(s => s.GetProperty("logRecords").EnumerateArray()).ToList();
            Assert.Equal(page.GetProperty("totalCount").GetInt32(), records.Count);
            return records.Count > 0;
        }, Arrival), $"no log of trace {traceId} reached the dashboard within {Arrival}");
        Assert.All(records, r => Assert.Equal(traceId, r.GetProperty("traceId").GetString()));
        Assert.Contains(records, r => r.GetProperty("body").GetProperty("stringValue").GetString()!.EndsWith("refused: not_found"));

        // Filters that cannot be read are refused.
        using var badSeverity = await dashboard.GetAsync("/api/telemetry/logs?severity=loud", Cancellation);
        await ProblemAssert.IsProblemAsync(badSeverity, HttpStatusCode.BadRequest, "invalid_query");
    }

    [Fact]
    public async Task The_real_exporter_is_received_over_http_and_over_grpc_only_with_the_key()
    {
        var (http, grpc, key) = App.OtlpEndpoints();
        var sent = new List<(string Protocol, bool RightKey, string TraceId)>();
        foreach (var (protocol, endpoint) in new[] { (OtlpExportProtocol.HttpProtobuf, $"{http}/v1/traces"), (OtlpExportProtocol.Grpc, grpc) })
        {
            foreach (var apiKey in new[] { key, "not-the-key" })
            {
                using var source = new ActivitySource($"Q4.Tests.Otlp.{Guid.NewGuid():n}");
                using var provider = Sdk.CreateTracerProviderBuilder()
                    .AddSource(source.Name)
                    .ConfigureResource(resource => resource.AddService("exporter-test"))
                    .AddOtlpExporter(exporter =>
                    {
                        exporter.Endpoint = new Uri(endpoint);
                        exporter.Protocol = protocol;
                        exporter.Headers = $"{OtlpApi.ApiKeyHeader}={apiKey}";
                        exporter.ExportProcessorType = ExportProcessorType.Simple;
                    })
                    .Build();
                using (var activity = source.StartActivity($"sent over {protocol}"))
                {
                    sent.Add((protocol.ToString(), apiKey == key, activity!.TraceId.ToHexString()));
                }
                // A simple processor has exported when the span ended; this only makes sure.
                Assert.True(provider.ForceFlush(10_000));
            }
        }

        foreach (var (protocol, rightKey, traceId) in sent)
        {
            var spans = await SpansOfTraceAsync(traceId);
            if (rightKey)
            {
                var span = Assert.Single(spans);
                Assert.Equal(($"sent over {protocol}", "exporter-test"), (span.Name, span.Service));
            }
            else
            {
                Assert.Empty(spans);
            }
        }
    }

    [Fact]
    public async Task The_otlp_endpoint_refuses_a_wrong_key_a_bad_export_and_an_oversized_one_and_keeps_nothing_of_them()
    {
        var (endpoint, _, key) = App.OtlpEndpoints();
        using var otlp = new HttpClient { BaseAddress = new Uri(endpoint) };
        var goodTrace = RandomNumberGenerator.GetBytes(16);
        var badTrace = RandomNumberGenerator.GetBytes(16);

        // A good span, and one beside it with a 3-byte span id: the export is refused whole.
        var mixed = Export(Span(badTrace, "kept-nowhere"), Span(badTrace, "broken", spanId: [1, 2, 3]));
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(otlp, mixed.ToByteArray(), apiKey: null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(otlp, mixed.ToByteArray(), apiKey: key + "0")).StatusCode);
        await AssertProblemAsync(await PostAsync(otlp, mixed.ToByteArray(), key), HttpStatusCode.BadRequest, "malformed_export");
        await AssertProblemAsync(await PostAsync(otlp, [0x0a, 0xff, 0xff, 0xff], key), HttpStatusCode.BadRequest, "malformed_export");
        await AssertProblemAsync(await PostAsync(otlp, new byte[4 * 1024 * 1024 + 1], key), HttpStatusCode.RequestEntityTooLarge, "export_too_large");
        await AssertProblemAsync(await PostAsync(otlp, mixed.ToByteArray(), key, "application/json"), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        Assert.Empty(await SpansOfTraceAsync(Convert.ToHexStringLower(badTrace)));

        // The same endpoint takes a good export, whoever made it.
        var good = Export(Span(goodTrace, "hand-made", attributes: Enumerable.Range(0, 200).Select(i => ($"a{i}", $"{i}")).ToArray()));
        using var accepted = await PostAsync(otlp, good.ToByteArray(), key);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var span = Assert.Single(await SpansOfTraceAsync(Convert.ToHexStringLower(goodTrace)));
        Assert.Equal(("hand-made", "telemetry-test"), (span.Name, span.Service));
        // 128 attributes per item, as Aspire's dashboard keeps.
        Assert.Equal(128, span.AttributeCount);
    }

    /// <summary>Places a bid that must be accepted, sent with a <c>traceparent</c> of a new trace; that trace's id, and the bid.</summary>
    private static async Task<(string TraceId, BidResponse Bid)> BidInOwnTraceAsync(TestUser bidder, Guid auctionId, long amount, int replica)
    {
        var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/auctions/{auctionId}/bids") { Content = JsonContent.Create(new { amount }) };
        request.Headers.Add("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-01");
        using var response = await bidder.Api(replica).SendAsync(request, Cancellation);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Cancellation));
        return (traceId, (await response.Content.ReadFromJsonAsync<BidResponse>(Cancellation))!);
    }

    /// <summary>The call of bid.lua in a bid's trace: its id is the traceparent the bid's stream entry and event carry.</summary>
    private async Task<FoundSpan> ScriptCallOfAsync(string traceId)
    {
        var spans = new List<FoundSpan>();
        Assert.True(await SyncStore.EventuallyAsync(async () =>
            (spans = await SpansOfTraceAsync(traceId)).Any(s => s.Name == "EVALSHA bid.lua"), Arrival),
            $"the bid.lua call of trace {traceId} did not reach the dashboard within {Arrival}");
        return Assert.Single(spans, s => s.Name == "EVALSHA bid.lua");
    }


    private static async Task<HttpResponseMessage> PostAsync(HttpClient otlp, byte[] body, string? apiKey, string mediaType = "application/x-protobuf")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/traces") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        if (apiKey is not null)
        {
            request.Headers.Add(OtlpApi.ApiKeyHeader, apiKey);
        }
        return await otlp.SendAsync(request, Cancellation);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        using (response)
        {
            await ProblemAssert.IsProblemAsync(response, status, code);
        }
    }

    private static ExportTraceServiceRequest Export(params Span[] spans)
    {
        var resource = new Q4.Dashboard.Otlp.Proto.Resource();
        resource.Attributes.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "telemetry-test" } });
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "Q4.Tests" } };
        scope.Spans.AddRange(spans);
        var export = new ExportTraceServiceRequest();
        export.ResourceSpans.Add(new ResourceSpans { Resource = resource, ScopeSpans = { scope } });
        return export;
    }

    private static Span Span(byte[] traceId, string name, byte[]? spanId = null, (string Key, string Value)[]? attributes = null)
    {
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(traceId),
            SpanId = ByteString.CopyFrom(spanId ?? RandomNumberGenerator.GetBytes(8)),
            Name = name,
            Kind = Q4.Dashboard.Otlp.Proto.Span.Types.SpanKind.Internal,
            StartTimeUnixNano = now,
            EndTimeUnixNano = now + 1_000_000,
        };
        foreach (var (key, value) in attributes ?? [])
        {
            span.Attributes.Add(new KeyValue { Key = key, Value = new AnyValue { StringValue = value } });
        }
        return span;
    }

    private sealed record FoundSpan(string Service, string? Instance, string Scope, string TraceId, string SpanId, string? ParentSpanId, string Name,
        int Kind, int AttributeCount, Dictionary<string, string> Attributes, List<(string TraceId, string SpanId)> Links);

    /// <summary>The spans the dashboard keeps of a trace, flattened; none when it knows no such trace.</summary>
    private async Task<List<FoundSpan>> SpansOfTraceAsync(string traceId)
    {
        using var dashboard = App.CreateHttpClient("apphost");
        using var response = await dashboard.GetAsync($"/api/telemetry/traces/{traceId}", Cancellation);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "not_found");
            return [];
        }
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        var found = Flatten(page);
        Assert.Equal(page.GetProperty("totalCount").GetInt32(), found.Count);
        return found;
    }

    /// <summary>The spans of an answer of the telemetry API, out of their resources and scopes.</summary>
    private static List<FoundSpan> Flatten(JsonElement page)
    {
        var found = new List<FoundSpan>();
        foreach (var resourceSpans in page.GetProperty("data").GetProperty("resourceSpans").EnumerateArray())
        {
            var resource = Attributes(resourceSpans.GetProperty("resource"));
            var service = resource["service.name"];
            foreach (var scopeSpans in resourceSpans.GetProperty("scopeSpans").EnumerateArray())
            {
                var scope = scopeSpans.GetProperty("scope").GetProperty("name").GetString()!;
                foreach (var span in scopeSpans.GetProperty("spans").EnumerateArray())
                {
                    found.Add(new FoundSpan(service, resource.GetValueOrDefault("service.instance.id"), scope, span.GetProperty("traceId").GetString()!,
                        span.GetProperty("spanId").GetString()!, span.GetProperty("parentSpanId").GetString(), span.GetProperty("name").GetString()!,
                        span.GetProperty("kind").GetInt32(), span.GetProperty("attributes").GetArrayLength(), Attributes(span),
                        [.. span.GetProperty("links").EnumerateArray().Select(l => (l.GetProperty("traceId").GetString()!, l.GetProperty("spanId").GetString()!))]));
                }
            }
        }
        return found;
    }

    /// <summary>An item's attributes, each value as text (OTLP JSON writes integers as strings already).</summary>
    private static Dictionary<string, string> Attributes(JsonElement item)
    {
        var attributes = new Dictionary<string, string>();
        foreach (var attribute in item.GetProperty("attributes").EnumerateArray())
        {
            var value = attribute.GetProperty("value").EnumerateObject().First().Value;
            attributes[attribute.GetProperty("key").GetString()!] = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
        }
        return attributes;
    }
}
