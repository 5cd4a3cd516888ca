using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Microsoft.Playwright;
using Q4.Dashboard.Otlp;
using Q4.Dashboard.Otlp.Proto;
using Q4.Tests.Auctions;
using Q4.Tests.Browser;
using Q4.Tests.Telemetry;
using Q4.Tests.Users;

namespace Q4.Tests.Dashboard;

/// <summary>
/// The traces pages over the real graph's telemetry: a bid placed through the API is found in the list, its waterfall
/// shows the API's spans, one click leads to the sync service's batch that persisted it and one click back, and its
/// journey lays both traces on one time line; the list filters by resource and by errors.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class TracesPageTests(DashboardGraph graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>Services export every second, and the batch follows the bid within a second or two.</summary>
    private static readonly LocatorAssertionsToBeVisibleOptions Arrival = new() { Timeout = 30_000 };

    [Fact]
    public async Task A_bids_trace_is_found_in_the_list_and_one_click_leads_to_the_batch_that_persisted_it_and_back()
    {
        var traceId = await BidInOwnTraceAsync();
        var page = await graph.SignedInPageAsync("/traces");

        // The list is live: the trace appears once the API exported it.
        await page.GetByLabel("Span name").FillAsync("bid.place");
        var listed = page.Locator($"a[data-trace-id='{traceId}']");
        await Assertions.Expect(listed).ToBeVisibleAsync(Arrival);
        await page.ScreenshotAsync("dashboard-traces");

        await listed.ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/traces/{traceId}(\\?|$)"));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("/bids");
        var apiSpans = page.Locator("[data-resource='apiservice']");
        await Assertions.Expect(apiSpans.GetByRole(AriaRole.Button, new() { Name = "EVALSHA bid.lua" })).ToBeVisibleAsync(Arrival);
        await Assertions.Expect(apiSpans.GetByRole(AriaRole.Button, new() { Name = "bid.place" })).ToBeVisibleAsync();

        // A span's details: its kind, attributes and resource.
        await apiSpans.GetByRole(AriaRole.Button, new() { Name = "EVALSHA bid.lua" }).ClickAsync();
        var details = page.GetByRole(AriaRole.Region, new() { Name = "EVALSHA bid.lua" });
        await Assertions.Expect(details).ToContainTextAsync("Client");
        await Assertions.Expect(details.GetByRole(AriaRole.Table, new() { Name = "Attributes of the span" })).ToContainTextAsync("db.system.name");
        await Assertions.Expect(details.GetByRole(AriaRole.Table, new() { Name = "Attributes of the resource" })).ToContainTextAsync("service.instance.id");

        // The batch that persisted the bid links to it: shown here as soon as it arrives, one click away.
        var persistedBy = page.Locator("li", new() { HasText = "Persisted by" }).GetByRole(AriaRole.Link, new() { Name = "sync.batch" });
        await Assertions.Expect(persistedBy).ToBeVisibleAsync(Arrival);
        await page.ScreenshotAsync("dashboard-trace");
        var batchTrace = await persistedBy.GetAttributeAsync("data-linked-trace");
        await persistedBy.ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/traces/{batchTrace}(\\?|$)"));
        var syncSpans = page.Locator("[data-resource='syncservice']");
        await Assertions.Expect(syncSpans.GetByRole(AriaRole.Button, new() { Name = "sync.batch" })).ToBeVisibleAsync();
        // The PostgreSQL commands nest inside the batch (more syncservice spans than the batch itself).
        await Assertions.Expect(syncSpans.Nth(1)).ToBeVisibleAsync(Arrival);

        // And back: the batch's span link to the bid's trace is one click too.
        await page.Locator($"li a[data-linked-trace='{traceId}']").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/traces/{traceId}(\\?|$)"));

        // The journey: the API's request, the script, the wait in the stream, the batch and its PostgreSQL commands.
        await page.GetByRole(AriaRole.Link, new() { Name = "Show the bid's journey" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/traces/{traceId}/journey(\\?|$)"));
        var steps = page.GetByRole(AriaRole.List, new() { Name = "Steps of the bid" });
        foreach (var step in new[] { "API request", "In the API", "Redis script", "Waiting in the bid stream", "Sync batch", "PostgreSQL" })
        {
            await Assertions.Expect(steps.Locator($"[data-step='{step}']").First).ToBeVisibleAsync(Arrival);
        }
        await Assertions.Expect(steps.Locator("[data-step='Waiting in the bid stream']")).ToContainTextAsync("waited");
        await page.ScreenshotAsync("dashboard-bid-journey");
    }

    [Fact]
    public async Task The_list_filters_by_resource_and_by_errors()
    {
        var bidTrace = await BidInOwnTraceAsync();
        // The site's page of an auction that does not exist: the API answers 404, and the site's client span of that
        // call ends in error (the API's own request span does not: a 404 is the caller's mistake, not the server's).
        var failedTrace = NewTraceId();
        using var site = graph.App.CreateHttpClient("frontend");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/auctions/{Guid.NewGuid()}");
        request.Headers.Add("traceparent", $"00-{failedTrace}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-01");
        using (var response = await site.SendAsync(request, Cancellation))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        var page = await graph.SignedInPageAsync("/traces");
        var bid = page.Locator($"a[data-trace-id='{bidTrace}']");
        var failed = page.Locator($"a[data-trace-id='{failedTrace}']");
        var resource = page.GetByLabel("Resource");
        var onlyErrors = page.GetByLabel("Only traces with errors");

        await onlyErrors.CheckAsync();
        await Assertions.Expect(failed).ToBeVisibleAsync(Arrival);
        await Assertions.Expect(bid).ToHaveCountAsync(0);
        var row = page.Locator("tr", new() { Has = failed });
        await Assertions.Expect(row).ToContainTextAsync("frontend");

        // The error is the site's: among the API's spans it has none.
        await resource.SelectOptionAsync("frontend");
        await Assertions.Expect(failed).ToBeVisibleAsync();
        await resource.SelectOptionAsync("apiservice");
        await Assertions.Expect(failed).ToHaveCountAsync(0);

        await onlyErrors.UncheckAsync();
        await page.GetByLabel("Span name").FillAsync("bid.place");
        await Assertions.Expect(bid).ToBeVisibleAsync(Arrival);
        await resource.SelectOptionAsync("syncservice");
        await Assertions.Expect(bid).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByText("No trace matches the filters.")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_list_a_trace_and_a_journey_pass_the_accessibility_scan_and_an_unknown_trace_says_so()
    {
        var traceId = await BidInOwnTraceAsync();
        var page = await graph.SignedInPageAsync("/traces");
        await Assertions.Expect(page.Locator("a[data-trace-id]").First).ToBeVisibleAsync(Arrival);
        await page.AssertAccessibleAsync();

        await page.GotoAsync($"/traces/{traceId}");
        await page.WaitForLiveAsync();
        await Assertions.Expect(page.Locator("li", new() { HasText = "Persisted by" })).ToBeVisibleAsync(Arrival);
        await page.Locator("[data-resource='apiservice']").GetByRole(AriaRole.Button, new() { Name = "bid.place" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = "bid.place" })).ToBeVisibleAsync();
        await page.AssertAccessibleAsync();

        await page.GotoAsync($"/traces/{traceId}/journey");
        await page.WaitForLiveAsync();
        await Assertions.Expect(page.Locator("[data-step='Sync batch']")).ToBeVisibleAsync(Arrival);
        await page.AssertAccessibleAsync();

        await page.GotoAsync("/traces/not-a-trace");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("is not a trace id");
        var unknown = NewTraceId();
        await page.GotoAsync($"/traces/{unknown}");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync($"No trace {unknown} is kept");
        await page.AssertAccessibleAsync();
        await page.GotoAsync($"/traces/{unknown}/journey");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync($"No trace {unknown} is kept");
    }

    /// <summary>
    /// Measures (asserts nothing of the time) how long the list takes to show with 50 000 more spans in the store: 5 000
    /// traces of 10 spans, sent over OTLP/HTTP as the services send theirs. Half the store's room is left to the traces
    /// other tests look for.
    /// </summary>
    [Fact]
    public async Task With_fifty_thousand_more_spans_the_list_still_opens_and_its_time_is_reported()
    {
        var (endpoint, _, key) = graph.App.OtlpEndpoints();
        using var otlp = new HttpClient { BaseAddress = new Uri(endpoint) };
        var service = $"load-{Guid.NewGuid():n}"[..13];
        const int Traces = 5_000, SpansPerTrace = 10, TracesPerExport = 500;
        for (var sent = 0; sent < Traces; sent += TracesPerExport)
        {
            var export = LoadExport(service, TracesPerExport, SpansPerTrace);
            using var body = new ByteArrayContent(export.ToByteArray());
            body.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
            using var post = new HttpRequestMessage(HttpMethod.Post, "/v1/traces") { Content = body };
            post.Headers.Add(OtlpApi.ApiKeyHeader, key);
            using var response = await otlp.SendAsync(post, Cancellation);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var page = await graph.SignedInPageAsync("/");
        var clock = Stopwatch.StartNew();
        await page.GotoAsync("/traces");
        await Assertions.Expect(page.Locator("a[data-trace-id]").First).ToBeVisibleAsync();
        var firstRows = clock.Elapsed;
        await page.WaitForLiveAsync();
        var live = clock.Elapsed;

        clock.Restart();
        await page.GetByLabel("Resource").SelectOptionAsync(service);
        await page.GetByLabel("Span name").FillAsync("step 9");
        await Assertions.Expect(page.Locator("span.count")).ToHaveTextAsync($"{Traces:N0} traces");
        var filtered = clock.Elapsed;

        clock.Restart();
        await page.GetByRole(AriaRole.Button, new() { Name = "Go to last page" }).ClickAsync();
        await Assertions.Expect(page.Locator("a[data-trace-id]")).ToHaveCountAsync(Traces % 50 == 0 ? 50 : Traces % 50);
        var lastPage = clock.Elapsed;

        var report = $"/traces with {Traces * SpansPerTrace:N0} more spans: first rows {firstRows.TotalMilliseconds:0} ms, live {live.TotalMilliseconds:0} ms; " +
            $"filtered to the load's resource and a span name {filtered.TotalMilliseconds:0} ms; last page {lastPage.TotalMilliseconds:0} ms";
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        TestContext.Current.SendDiagnosticMessage(report);
        await File.WriteAllTextAsync(Path.Combine(Pages.ScreenshotDirectory, "dashboard-traces-timing.txt"), report, Cancellation);
    }

    /// <summary>Places an accepted bid on a fresh auction with a <c>traceparent</c> of a new trace, and returns that trace's id.</summary>
    private async Task<string> BidInOwnTraceAsync()
    {
        using var seller = TestUser.Fresh(graph.App);
        using var bidder = TestUser.Fresh(graph.App);
        var auction = await seller.CreateAuctionAsync();
        var traceId = NewTraceId();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/auctions/{auction.Id}/bids") { Content = JsonContent.Create(new { amount = 100 }) };
        request.Headers.Add("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-01");
        using var response = await bidder.Api(1).SendAsync(request, Cancellation);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Cancellation));
        return traceId;
    }

    private static string NewTraceId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Traces of one root and a chain of children under it ("step 1" … ), a millisecond each, ending now.</summary>
    private static ExportTraceServiceRequest LoadExport(string service, int traces, int spansPerTrace)
    {
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "Q4.Tests.Load" } };
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        for (var t = 0; t < traces; t++)
        {
            var traceId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16));
            var parent = ByteString.Empty;
            for (var s = 0; s < spansPerTrace; s++)
            {
                var spanId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(8));
                scope.Spans.Add(new Span
                {
                    TraceId = traceId,
                    SpanId = spanId,
                    ParentSpanId = parent,
                    Name = s == 0 ? "load request" : $"step {s}",
                    Kind = s == 0 ? Span.Types.SpanKind.Server : Span.Types.SpanKind.Internal,
                    StartTimeUnixNano = now + (ulong)s * 100_000,
                    EndTimeUnixNano = now + 1_000_000,
                    Attributes = { new KeyValue { Key = "load.index", Value = new AnyValue { IntValue = s } } },
                });
                parent = spanId;
            }
        }
        var resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = service } } } };
        return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { Resource = resource, ScopeSpans = { scope } } } };
    }
}
