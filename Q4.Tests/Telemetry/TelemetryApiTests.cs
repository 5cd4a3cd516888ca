using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Google.Protobuf;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using Metric = Q4.Dashboard.Otlp.Proto.Metric;
using OpenTelemetry.Resources;
using Q4.Dashboard.Otlp;
using Q4.Dashboard.Otlp.Proto;
using Q4.Dashboard.Telemetry;
using Q4.Tests.Auctions;
using Q4.Tests.Hosting;
using Q4.Tests.Sync;
using Q4.Tests.Users;

namespace Q4.Tests.Telemetry;

/// <summary>
/// What the dashboard's telemetry API answers besides single traces: metrics (sent by the real exporter), the resources
/// that sent anything, lists of traces, and <c>follow=true</c> streams; and who may read it.
/// </summary>
public sealed class TelemetryApiTests(GraphFixture graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Arrival = TimeSpan.FromSeconds(30);

    private AppHostProcess App => graph.App;

    [Fact]
    public async Task Metrics_from_the_real_exporter_arrive_over_http_and_grpc_and_the_newest_point_of_a_counter_is_its_total()
    {
        var (http, grpc, key) = App.OtlpEndpoints();
        foreach (var (protocol, endpoint) in new[] { (OtlpExportProtocol.HttpProtobuf, $"{http}/v1/metrics"), (OtlpExportProtocol.Grpc, grpc) })
        {
            var service = $"metrics-test-{Guid.NewGuid():n}";
            using var meter = new Meter($"Q4.Tests.Metrics.{Guid.NewGuid():n}");
            var bids = meter.CreateCounter<long>("test.bids");
            var latency = meter.CreateHistogram<double>("test.latency", "ms");
            using (var provider = Sdk.CreateMeterProviderBuilder()
                .AddMeter(meter.Name)
                .ConfigureResource(resource => resource.AddService(service))
                .AddOtlpExporter((exporter, reader) =>
                {
                    exporter.Endpoint = new Uri(endpoint);
                    exporter.Protocol = protocol;
                    exporter.Headers = $"{OtlpApi.ApiKeyHeader}={key}";
                    reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 60_000;
                })
                .Build())
            {
                bids.Add(3, new KeyValuePair<string, object?>("outcome", "accepted"));
                bids.Add(1, new KeyValuePair<string, object?>("outcome", "too_low"));
                latency.Record(2.5);
                Assert.True(provider.ForceFlush(10_000));
                bids.Add(4, new KeyValuePair<string, object?>("outcome", "accepted"));
                latency.Record(7.5);
                Assert.True(provider.ForceFlush(10_000));
            }

            using var dashboard = App.CreateHttpClient("apphost");
            var all = await dashboard.GetFromJsonAsync<JsonElement>($"/api/telemetry/metrics?resource={service}&name=test.bids", Cancellation);
            // Two exports of two series each (cumulative: 3 then 7 accepted, 1 and 1 too low); a third on shutdown may follow.
            Assert.True(all.GetProperty("totalCount").GetInt32() >= 4, $"{protocol}: {all}");

            var latest = await dashboard.GetFromJsonAsync<JsonElement>($"/api/telemetry/metrics?resource={service}&latest=true", Cancellation);
            var metrics = Metrics(latest);
            var sum = metrics["test.bids"];
            Assert.True(sum.GetProperty("sum").GetProperty("isMonotonic").GetBoolean());
            Assert.Equal(2, sum.GetProperty("sum").GetProperty("aggregationTemporality").GetInt32()); // cumulative
            var points = sum.GetProperty("sum").GetProperty("dataPoints").EnumerateArray()
                .ToDictionary(p => Attribute(p, "outcome"), p => p.GetProperty("asInt").GetString());
            Assert.Equal(new Dictionary<string, string?> { ["accepted"] = "7", ["too_low"] = "1" }, points);
            var histogram = Assert.Single(metrics["test.latency"].GetProperty("histogram").GetProperty("dataPoints").EnumerateArray());
            Assert.Equal(("2", 10.0), (histogram.GetProperty("count").GetString(), histogram.GetProperty("sum").GetDouble()));
            Assert.Equal("ms", metrics["test.latency"].GetProperty("unit").GetString());
        }
    }

    [Fact]
    public async Task The_services_own_metrics_reach_the_dashboard_from_every_replica()
    {
        using var dashboard = App.CreateHttpClient("apphost");
        var instances = new HashSet<string>();
        Assert.True(await SyncStore.EventuallyAsync(async () =>
        {
            var page = await dashboard.GetFromJsonAsync<JsonElement>(
                "/api/telemetry/metrics?resource=apiservice&name=http.server.request.duration&latest=true", Cancellation);
            instances = [.. page.GetProperty("data").GetProperty("resourceMetrics").EnumerateArray()
                .Select(r => r.GetProperty("resource").GetProperty("instanceId").GetString()!)];
            return instances.Count == 2;
        }, Arrival), $"the API's request durations came from {instances.Count} replicas, not 2, within {Arrival}");

        var resources = await dashboard.GetFromJsonAsync<JsonElement>("/api/telemetry/resources", Cancellation);
        var names = resources.GetProperty("data").EnumerateArray()
            .Select(r => (r.GetProperty("name").GetString(), r.GetProperty("instanceId").GetString())).ToList();
        Assert.Equal(resources.GetProperty("totalCount").GetInt32(), names.Count);
        Assert.Equal(2, names.Count(n => n.Item1 == "apiservice"));
        Assert.Contains(names, n => n.Item1 == "syncservice");
        Assert.Contains(names, n => n.Item1 == "frontend");
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Fact]
    public async Task The_traces_list_gives_whole_traces_that_have_a_matching_span()
    {
        var (endpoint, _, key) = App.OtlpEndpoints();
        using var otlp = new HttpClient { BaseAddress = new Uri(endpoint) };
        var service = $"traces-test-{Guid.NewGuid():n}";
        var failed = RandomNumberGenerator.GetBytes(16);
        var fine = RandomNumberGenerator.GetBytes(16);
        await PostAsync(otlp, "/v1/traces", Export(service, Span(failed, "checkout"), Span(failed, "charge card", error: true)).ToByteArray(), key);
        await PostAsync(otlp, "/v1/traces", Export(service, Span(fine, "checkout"), Span(fine, "charge card")).ToByteArray(), key);

        using var dashboard = App.CreateHttpClient("apphost");
        var both = await dashboard.GetFromJsonAsync<JsonElement>($"/api/telemetry/traces?resource={service}", Cancellation);
        Assert.Equal((2, 2, 4), (both.GetProperty("totalCount").GetInt32(), both.GetProperty("returnedCount").GetInt32(), SpanNames(both).Count));

        var withError = await dashboard.GetFromJsonAsync<JsonElement>($"/api/telemetry/traces?resource={service}&hasError=true", Cancellation);
        Assert.Equal(1, withError.GetProperty("totalCount").GetInt32());
        // The whole trace, not only the span with the error.
        Assert.Equal(["charge card", "checkout"], SpanNames(withError).Order());
        Assert.All(TraceIds(withError), id => Assert.Equal(Convert.ToHexStringLower(failed), id));

        var newest = await dashboard.GetFromJsonAsync<JsonElement>($"/api/telemetry/traces?resource={service}&search=CHARGE&limit=1", Cancellation);
        Assert.Equal((2, 1), (newest.GetProperty("totalCount").GetInt32(), newest.GetProperty("returnedCount").GetInt32()));
        Assert.All(TraceIds(newest), id => Assert.Equal(Convert.ToHexStringLower(fine), id));

        using var badLimit = await dashboard.GetAsync("/api/telemetry/traces?limit=0", Cancellation);
        await ProblemAssert.IsProblemAsync(badLimit, HttpStatusCode.BadRequest, "invalid_query");
    }

    [Fact]
    public async Task Following_spans_streams_the_newest_that_match_and_then_each_as_it_arrives()
    {
        var (endpoint, _, key) = App.OtlpEndpoints();
        using var otlp = new HttpClient { BaseAddress = new Uri(endpoint) };
        var service = $"follow-test-{Guid.NewGuid():n}";
        await PostAsync(otlp, "/v1/traces", Export(service, Span(RandomNumberGenerator.GetBytes(16), "before")).ToByteArray(), key);

        using var dashboard = App.CreateHttpClient("apphost");
        using var response = await dashboard.GetAsync($"/api/telemetry/spans?resource={service}&follow=true", HttpCompletionOption.ResponseHeadersRead, Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Cancellation));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(Arrival);
        Assert.Equal(["before"], SpanNames(JsonDocument.Parse((await reader.ReadLineAsync(timeout.Token))!).RootElement));

        // Another resource's span does not match; two of this one's, in one export, are two lines.
        await PostAsync(otlp, "/v1/traces", Export($"{service}-other", Span(RandomNumberGenerator.GetBytes(16), "elsewhere")).ToByteArray(), key);
        var trace = RandomNumberGenerator.GetBytes(16);
        await PostAsync(otlp, "/v1/traces", Export(service, Span(trace, "after 1"), Span(trace, "after 2")).ToByteArray(), key);
        Assert.Equal(["after 1"], SpanNames(JsonDocument.Parse((await reader.ReadLineAsync(timeout.Token))!).RootElement));
        Assert.Equal(["after 2"], SpanNames(JsonDocument.Parse((await reader.ReadLineAsync(timeout.Token))!).RootElement));
    }

    [Fact]
    public async Task Following_logs_shows_a_refused_bid_as_it_happens()
    {
        using var dashboard = App.CreateHttpClient("apphost");
        using var response = await dashboard.GetAsync("/api/telemetry/logs?resource=apiservice&search=refused&limit=1&follow=true",
            HttpCompletionOption.ResponseHeadersRead, Cancellation);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Cancellation));

        // A service's exporter drops a batch it could not send in time (OpenTelemetry's do, and the whole suite loads
        // this machine), so one refusal's record may never come: another bid is refused every few seconds until the
        // record of one of them shows.
        using var bidder = TestUser.Fresh(App);
        var sent = new ConcurrentQueue<string>();
        using var shown = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        var refusing = RefuseBidsAsync(bidder, sent, shown.Token);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(2 * Arrival);
        try
        {
            // Earlier refusals (at most one: limit=1) may come first, and other tests' refusals at any time.
            while (true)
            {
                var line = await reader.ReadLineAsync(timeout.Token);
                var records = JsonDocument.Parse(line!).RootElement.GetProperty("resourceLogs").EnumerateArray()
                    .SelectMany(r => r.GetProperty("scopeLogs").EnumerateArray()).SelectMany(s => s.GetProperty("logRecords").EnumerateArray()).ToList();
                var record = Assert.Single(records);
                Assert.Contains("refused", record.GetProperty("body").GetProperty("stringValue").GetString(), StringComparison.OrdinalIgnoreCase);
                if (sent.Contains(record.GetProperty("traceId").GetString()))
                {
                    break;
                }
            }
        }
        finally
        {
            // A refusal that went wrong (not a 404) says so rather than the wait's end.
            await shown.CancelAsync();
            await refusing;
        }
    }

    /// <summary>Bids on an auction that does not exist, each under a trace of its own (kept in <paramref name="sent"/>).</summary>
    private static async Task RefuseBidsAsync(TestUser bidder, ConcurrentQueue<string> sent, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
                sent.Enqueue(traceId);
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/auctions/{Guid.NewGuid()}/bids") { Content = JsonContent.Create(new { amount = 100 }) };
                request.Headers.Add("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-01");
                using var refused = await bidder.Api(0).SendAsync(request, stop);
                Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
                await Task.Delay(TimeSpan.FromSeconds(5), stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // A record showed.
        }
    }

    [Fact]
    public async Task The_metrics_endpoint_keeps_out_a_wrong_key_and_a_metric_without_data()
    {
        var (endpoint, _, key) = App.OtlpEndpoints();
        using var otlp = new HttpClient { BaseAddress = new Uri(endpoint) };
        var service = $"bad-metrics-{Guid.NewGuid():n}";
        var export = new ExportMetricsServiceRequest
        {
            ResourceMetrics =
            {
                new ResourceMetrics
                {
                    Resource = Resource(service),
                    ScopeMetrics =
                    {
                        new ScopeMetrics
                        {
                            Metrics =
                            {
                                new Metric { Name = "fine", Gauge = new Gauge { DataPoints = { new NumberDataPoint { AsInt = 1, TimeUnixNano = 1 } } } },
                                new Metric { Name = "empty" },
                            },
                        },
                    },
                },
            },
        };
        using (var unauthorised = await PostAsync(otlp, "/v1/metrics", export.ToByteArray(), "wrong"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unauthorised.StatusCode);
        }
        using (var malformed = await PostAsync(otlp, "/v1/metrics", export.ToByteArray(), key))
        {
            await ProblemAssert.IsProblemAsync(malformed, HttpStatusCode.BadRequest, "malformed_export");
        }
        using var dashboard = App.CreateHttpClient("apphost");
        var kept = await dashboard.GetFromJsonAsync<JsonElement>($"/api/telemetry/metrics?resource={service}", Cancellation);
        Assert.Equal(0, kept.GetProperty("totalCount").GetInt32());
        Assert.DoesNotContain(service, (await dashboard.GetStringAsync("/api/telemetry/resources", Cancellation)));
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient otlp, string path, byte[] body, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        request.Headers.Add(OtlpApi.ApiKeyHeader, key);
        var response = await otlp.SendAsync(request, Cancellation);
        if (path == "/v1/traces")
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        return response;
    }

    private static Q4.Dashboard.Otlp.Proto.Resource Resource(string service) =>
        new() { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = service } } } };

    private static ExportTraceServiceRequest Export(string service, params Span[] spans) => new()
    {
        ResourceSpans = { new ResourceSpans { Resource = Resource(service), ScopeSpans = { new ScopeSpans { Scope = new() { Name = "Q4.Tests" }, Spans = { spans } } } } },
    };

    private static Span Span(byte[] traceId, string name, bool error = false)
    {
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        return new Span
        {
            TraceId = ByteString.CopyFrom(traceId),
            SpanId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(8)),
            Name = name,
            StartTimeUnixNano = now,
            EndTimeUnixNano = now + 1_000_000,
            Status = new Status { Code = error ? Status.Types.StatusCode.Error : Status.Types.StatusCode.Ok },
        };
    }

    private static IEnumerable<JsonElement> AllSpans(JsonElement otlp) =>
        (otlp.TryGetProperty("data", out var data) ? data : otlp).GetProperty("resourceSpans").EnumerateArray()
            .SelectMany(r => r.GetProperty("scopeSpans").EnumerateArray()).SelectMany(s => s.GetProperty("spans").EnumerateArray());

    private static List<string> SpanNames(JsonElement otlp) => [.. AllSpans(otlp).Select(s => s.GetProperty("name").GetString()!)];

    private static List<string> TraceIds(JsonElement otlp) => [.. AllSpans(otlp).Select(s => s.GetProperty("traceId").GetString()!)];

    /// <summary>The instruments of a metrics answer by name (one resource and scope expected).</summary>
    private static Dictionary<string, JsonElement> Metrics(JsonElement page) =>
        page.GetProperty("data").GetProperty("resourceMetrics").EnumerateArray()
            .SelectMany(r => r.GetProperty("scopeMetrics").EnumerateArray())
            .SelectMany(s => s.GetProperty("metrics").EnumerateArray())
            .ToDictionary(m => m.GetProperty("name").GetString()!);

    private static string Attribute(JsonElement point, string key) =>
        point.GetProperty("attributes").EnumerateArray().Single(a => a.GetProperty("key").GetString() == key)
            .GetProperty("value").GetProperty("stringValue").GetString()!;
}
