using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Q4.Tests.Auctions;
using Q4.Tests.Browser;
using Q4.Tests.Sync;
using Q4.Tests.Users;

namespace Q4.Tests.Dashboard;

/// <summary>
/// Export and import: the dashboard's telemetry and console output as one zip (OTLP JSON, ids in hex), which imports
/// back into a dashboard; a bad zip is refused with a code and adds nothing.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class ExportTests(DashboardGraph graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Arrival = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_export_holds_every_signal_and_the_console_output_and_a_trace_from_it_imports_back_under_a_new_id()
    {
        using var dashboard = graph.App.CreateHttpClient("apphost");
        var traceId = await BidTraceAsync(dashboard);
        // Metrics arrive every few seconds, apart from the bid's trace: the export is taken once the bid was counted.
        Assert.True(await SyncStore.EventuallyAsync(async () =>
            (await dashboard.GetFromJsonAsync<JsonElement>("/api/telemetry/metrics?name=q4.bids.accepted&limit=1", Cancellation))
                .GetProperty("totalCount").GetInt32() > 0, Arrival), "q4.bids.accepted did not reach the dashboard");

        using var response = await dashboard.GetAsync("/api/telemetry/export", Cancellation);
        Assert.True(response.StatusCode == HttpStatusCode.OK,
            $"export answered {(int)response.StatusCode}; the AppHost's output ends:\n{graph.App.Output[^Math.Min(graph.App.Output.Length, 6000)..]}");
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith(".zip", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync(Cancellation)));
        var names = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Contains("traces.json", names);
        Assert.Contains("logs.json", names);
        Assert.Contains("metrics.json", names);
        Assert.Contains("console/apiservice-0.txt", names);
        Assert.Contains("console/syncservice-0.txt", names);
        Assert.True(zip.GetEntry("console/apiservice-0.txt")!.Length > 0, "the API's console output is empty");

        var traces = Json(zip, "traces.json");
        var known = SpansOf(traces, traceId);
        Assert.Contains(known, s => s["name"]!.GetValue<string>() == "bid.place");
        Assert.Contains(Json(zip, "metrics.json")["resourceMetrics"]!.AsArray()
            .SelectMany(r => r!["scopeMetrics"]!.AsArray()).SelectMany(s => s!["metrics"]!.AsArray()),
            m => m!["name"]!.GetValue<string>() == "q4.bids.accepted");
        Assert.NotEmpty(Json(zip, "logs.json")["resourceLogs"]!.AsArray());

        // The known trace alone, as exported, under an id never seen; with a log record in it and a metric of its own.
        var newTraceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var resource = $"import-{Guid.NewGuid():n}"[..20];
        var onlyThatTrace = Encoding.UTF8.GetString(ExportedTrace(traces, traceId)).Replace(traceId, newTraceId);
        var import = Zip(("traces.json", onlyThatTrace), ("logs.json", LogJson(resource, newTraceId, "imported record")),
            ("metrics.json", MetricJson(resource)), ("console/apiservice-0.txt", "not read"));
        using (var imported = await PostZipAsync(dashboard, import))
        {
            Assert.Equal(HttpStatusCode.OK, imported.StatusCode);
            var counts = await imported.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
            Assert.Equal((known.Count, 1, 1, 1), (counts.GetProperty("spans").GetInt32(), counts.GetProperty("traces").GetInt32(),
                counts.GetProperty("logs").GetInt32(), counts.GetProperty("metricPoints").GetInt32()));
        }

        var copy = await dashboard.GetFromJsonAsync<JsonElement>($"/api/telemetry/traces/{newTraceId}", Cancellation);
        var copied = JsonNode.Parse(copy.GetProperty("data").GetRawText())!;
        Assert.Equal(Describe(known, traceId), Describe(SpansOf(copied, newTraceId), newTraceId));
        var logs = await dashboard.GetFromJsonAsync<JsonElement>($"/api/telemetry/logs?traceId={newTraceId}", Cancellation);
        Assert.Contains("imported record", logs.GetRawText());
        var metrics = await dashboard.GetFromJsonAsync<JsonElement>($"/api/telemetry/metrics?resource={resource}", Cancellation);
        Assert.Equal(1, metrics.GetProperty("totalCount").GetInt32());
    }

    [Fact]
    public async Task A_bad_import_is_refused_with_a_code_and_adds_nothing_not_even_its_good_parts()
    {
        using var dashboard = graph.App.CreateHttpClient("apphost");
        var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var goodTraces = ("traces.json", SpanJson(traceId, "never kept"));
        var cases = new (byte[] Body, string Code)[]
        {
            (Encoding.UTF8.GetBytes("PK not really a zip"), "invalid_zip"),
            (Zip(goodTraces, ("logs.json", "{ not json")), "invalid_json"),
            (Zip(goodTraces, ("logs.json", LogJson("import-bad", "zz" + new string('0', 30), "bad id"))), "invalid_telemetry"),
            (Zip(goodTraces, ("logs.json", LogJson("import-bad", "abcd", "short id"))), "invalid_telemetry"),
            (Zip(goodTraces, ("metrics.json", """{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"no.data"}]}]}]}""")), "invalid_telemetry"),
            (Zip(goodTraces, ("metrics.json", """{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","gauge":{"dataPoints":"many"}}]}]}]}""")), "invalid_telemetry"),
            (Zip(("readme.txt", "nothing here")), "nothing_to_import"),
        };
        var tracesBefore = await TraceCountAsync(dashboard);
        foreach (var (body, code) in cases)
        {
            using var refused = await PostZipAsync(dashboard, body);
            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, code);
        }
        using (var notZip = await dashboard.PostAsync("/api/telemetry/import", new StringContent(SpanJson(traceId, "x"), Encoding.UTF8, "application/json"), Cancellation))
        {
            await ProblemAssert.IsProblemAsync(notZip, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        }
        // Refused from its Content-Length alone: with Expect: 100-continue the client waits for that answer before sending it.
        using (var tooLarge = await PostZipAsync(dashboard, new byte[33 * 1024 * 1024], expectContinue: true))
        {
            await ProblemAssert.IsProblemAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge, "import_too_large");
        }
        using (var stranger = new HttpClient { BaseAddress = new Uri(graph.DashboardUrl) })
        using (var unsigned = await PostZipAsync(stranger, Zip(goodTraces)))
        {
            await ProblemAssert.IsProblemAsync(unsigned, HttpStatusCode.Unauthorized, "sign_in_required");
        }

        // The good trace that came with every bad part was not kept. (The graph's own traces go on arriving, so the
        // count may only have grown by those: none of the refused imports' spans is among them.)
        using (var missing = await dashboard.GetAsync($"/api/telemetry/traces/{traceId}", Cancellation))
        {
            await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.NotFound, "not_found");
        }
        Assert.True(await TraceCountAsync(dashboard) >= tracesBefore);
        var refusedLogs = await dashboard.GetFromJsonAsync<JsonElement>("/api/telemetry/logs?resource=import-bad", Cancellation);
        Assert.Equal(0, refusedLogs.GetProperty("totalCount").GetInt32());

        // The same trace alone imports.
        using (var accepted = await PostZipAsync(dashboard, Zip(goodTraces)))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }
        var kept = await dashboard.GetFromJsonAsync<JsonElement>($"/api/telemetry/traces/{traceId}", Cancellation);
        Assert.Contains("never kept", kept.GetRawText());
    }

    [Fact]
    public async Task A_double_json_has_no_number_for_is_answered_and_exported_as_the_string_otlp_json_writes()
    {
        using var dashboard = graph.App.CreateHttpClient("apphost");
        var resource = $"nan-{Guid.NewGuid():n}"[..20];
        using (var imported = await PostZipAsync(dashboard, Zip(("metrics.json", GaugeJson(resource, "NaN", "Infinity", "-Infinity")))))
        {
            Assert.Equal(HttpStatusCode.OK, imported.StatusCode);
        }

        using (var metrics = await dashboard.GetAsync($"/api/telemetry/metrics?resource={resource}", Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
            Assert.Equal(["NaN", "Infinity", "-Infinity"], AsDoubles(JsonNode.Parse(await metrics.Content.ReadAsStringAsync(Cancellation))!["data"]!));
        }
        using var export = await dashboard.GetAsync("/api/telemetry/export", Cancellation);
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        using var zip = new ZipArchive(new MemoryStream(await export.Content.ReadAsByteArrayAsync(Cancellation)));
        var exported = Json(zip, "metrics.json")["resourceMetrics"]!.AsArray()
            .Single(r => r!["resource"]!["name"]!.GetValue<string>() == resource)!;
        Assert.Equal(["NaN", "Infinity", "-Infinity"], AsDoubles(exported));
    }

    [Fact]
    public async Task The_export_page_downloads_the_zip_and_imports_a_file_saying_what_it_added_or_why_not()
    {
        var page = await graph.SignedInPageAsync("/export");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Export and import", Level = 1 })).ToBeVisibleAsync();

        var download = await page.RunAndWaitForDownloadAsync(() =>
            page.GetByRole(AriaRole.Link, new() { Name = "Download telemetry (zip)" }).ClickAsync());
        var saved = Path.Combine(Path.GetTempPath(), $"q4-export-{Guid.NewGuid():n}.zip");
        await download.SaveAsAsync(saved);
        try
        {
            using var zip = ZipFile.OpenRead(saved);
            Assert.Contains(zip.Entries, e => e.FullName == "traces.json");
            Assert.Contains(zip.Entries, e => e.FullName.StartsWith("console/", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(saved);
        }

        var picker = page.GetByLabel("Zip to import");
        await picker.SetInputFilesAsync(new FilePayload { Name = "broken.zip", MimeType = "application/zip", Buffer = Encoding.UTF8.GetBytes("not a zip") });
        var result = page.GetByRole(AriaRole.Status);
        await Assertions.Expect(result).ToContainTextAsync("broken.zip was not imported (invalid_zip)");
        await Assertions.Expect(result).ToContainTextAsync("Nothing was added.");

        var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await picker.SetInputFilesAsync(new FilePayload { Name = "one-trace.zip", MimeType = "application/zip", Buffer = Zip(("traces.json", SpanJson(traceId, "from the page"))) });
        await Assertions.Expect(result).ToHaveTextAsync("Imported one-trace.zip: 1 spans in 1 traces, 0 log records and 0 metric points.");
        using var dashboard = graph.App.CreateHttpClient("apphost");
        using (var trace = await dashboard.GetAsync($"/api/telemetry/traces/{traceId}", Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, trace.StatusCode);
        }
        await page.AssertAccessibleAsync();
        await page.ScreenshotAsync("dashboard-export");
    }

    /// <summary>Places an accepted bid in a trace of the test's own and waits until its bid.place span is on the dashboard.</summary>
    private async Task<string> BidTraceAsync(HttpClient dashboard)
    {
        using var seller = TestUser.Fresh(graph.App);
        using var bidder = TestUser.Fresh(graph.App);
        var auction = await seller.CreateAuctionAsync(title: "Export test kettle");
        var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/auctions/{auction.Id}/bids") { Content = JsonContent.Create(new { amount = 100 }) };
        request.Headers.Add("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-01");
        using (var bid = await bidder.Api().SendAsync(request, Cancellation))
        {
            Assert.Equal(HttpStatusCode.Created, bid.StatusCode);
        }
        Assert.True(await SyncStore.EventuallyAsync(async () =>
        {
            using var trace = await dashboard.GetAsync($"/api/telemetry/traces/{traceId}", Cancellation);
            return trace.IsSuccessStatusCode && (await trace.Content.ReadAsStringAsync(Cancellation)).Contains("\"bid.place\"");
        }, Arrival), $"the bid's trace {traceId} did not reach the dashboard");
        return traceId;
    }

    private static async Task<int> TraceCountAsync(HttpClient dashboard) =>
        (await dashboard.GetFromJsonAsync<JsonElement>("/api/telemetry/traces?limit=1", Cancellation)).GetProperty("totalCount").GetInt32();

    private static Task<HttpResponseMessage> PostZipAsync(HttpClient client, byte[] zip, bool expectContinue = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/telemetry/import") { Content = new ByteArrayContent(zip) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        request.Headers.ExpectContinue = expectContinue;
        return client.SendAsync(request, Cancellation);
    }

    private static byte[] Zip(params (string Name, string Content)[] files)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in files)
            {
                using var entry = new StreamWriter(zip.CreateEntry(name).Open());
                entry.Write(content);
            }
        }
        return buffer.ToArray();
    }

    private static JsonNode Json(ZipArchive zip, string name)
    {
        using var entry = zip.GetEntry(name)!.Open();
        return JsonNode.Parse(entry)!;
    }

    private static List<JsonNode> SpansOf(JsonNode resourceSpans, string traceId) =>
        [.. resourceSpans["resourceSpans"]!.AsArray().SelectMany(r => r!["scopeSpans"]!.AsArray()).SelectMany(s => s!["spans"]!.AsArray())
            .Where(s => s!["traceId"]!.GetValue<string>() == traceId).Select(s => s!)];

    /// <summary>The exported traces.json cut down to one trace (its resources and scopes, only that trace's spans).</summary>
    private static byte[] ExportedTrace(JsonNode traces, string traceId)
    {
        var copy = JsonNode.Parse(traces.ToJsonString())!;
        var resources = copy["resourceSpans"]!.AsArray();
        foreach (var resource in resources.ToList())
        {
            var scopes = resource!["scopeSpans"]!.AsArray();
            foreach (var scope in scopes.ToList())
            {
                var spans = scope!["spans"]!.AsArray();
                foreach (var span in spans.ToList().Where(s => s!["traceId"]!.GetValue<string>() != traceId))
                {
                    spans.Remove(span);
                }
                if (spans.Count == 0)
                {
                    scopes.Remove(scope);
                }
            }
            if (scopes.Count == 0)
            {
                resources.Remove(resource);
            }
        }
        return Encoding.UTF8.GetBytes(copy.ToJsonString());
    }

    /// <summary>Each span's name, ids (its trace's id left out), times, kind and attributes: what a copy must keep.</summary>
    private static List<string> Describe(List<JsonNode> spans, string traceId) =>
        [.. spans.Select(s => s.ToJsonString().Replace(traceId, "TRACE")).Order(StringComparer.Ordinal)];

    /// <summary>A traces.json of one span, in OTLP JSON as the dashboard writes it (ids in hex, a null for an absent parent).</summary>
    private static string SpanJson(string traceId, string name) => Otlp("resourceSpans", "import-test", "scopeSpans", "spans", new
    {
        traceId,
        spanId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
        parentSpanId = (string?)null,
        name,
        kind = 1,
        startTimeUnixNano = Now().ToString(),
        endTimeUnixNano = (Now() + 1_000_000).ToString(),
        attributes = new[] { new { key = "q4.test", value = new { intValue = "7" } } },
        status = new { code = 0, message = "" },
    });

    private static string LogJson(string resource, string traceId, string body) => Otlp("resourceLogs", resource, "scopeLogs", "logRecords", new
    {
        timeUnixNano = Now().ToString(),
        severityNumber = 9,
        severityText = "Information",
        body = new { stringValue = body },
        traceId,
        spanId = (string?)null,
    });

    /// <summary>A metrics.json of one counter's point (sent as an integer, so its double is null).</summary>
    private static string MetricJson(string resource) => Otlp("resourceMetrics", resource, "scopeMetrics", "metrics", new
    {
        name = "test.imported",
        unit = "{thing}",
        sum = new
        {
            aggregationTemporality = 2,
            isMonotonic = true,
            dataPoints = new[] { new { attributes = Array.Empty<object>(), startTimeUnixNano = Now().ToString(), timeUnixNano = Now().ToString(), asInt = "5", asDouble = (double?)null } },
        },
    });

    /// <summary>A metrics.json of one gauge with a point for each of <paramref name="values"/> (OTLP JSON's doubles, as strings).</summary>
    private static string GaugeJson(string resource, params string[] values) => Otlp("resourceMetrics", resource, "scopeMetrics", "metrics", new
    {
        name = "test.not_a_number",
        gauge = new
        {
            dataPoints = values.Select((value, i) => new { timeUnixNano = (Now() + (ulong)i).ToString(), asDouble = value }).ToArray(),
        },
    });

    /// <summary>Every <c>asDouble</c> under <paramref name="node"/>, as its JSON text would read (a string's value, or a number).</summary>
    private static List<string> AsDoubles(JsonNode node) => node switch
    {
        JsonObject json => [.. json.SelectMany(p => p.Key == "asDouble" && p.Value is JsonValue value
            ? [value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString()]
            : p.Value is null ? [] : AsDoubles(p.Value))],
        JsonArray array => [.. array.OfType<JsonNode>().SelectMany(AsDoubles)],
        _ => [],
    };

    /// <summary>OTLP JSON's nesting around one item: a resource named <paramref name="service"/>, a scope, the item.</summary>
    private static string Otlp(string resources, string service, string scopes, string items, object item) => JsonSerializer.Serialize(
        new Dictionary<string, object>
        {
            [resources] = new[]
            {
                new Dictionary<string, object>
                {
                    ["resource"] = new { attributes = new[] { new { key = "service.name", value = new { stringValue = service } } } },
                    [scopes] = new[] { new Dictionary<string, object> { ["scope"] = new { name = "tests" }, [items] = new[] { item } } },
                },
            },
        });

    private static ulong Now() => (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
}
