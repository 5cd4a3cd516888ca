using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Q4.Hosting;
using Q4.Tests.Auctions;
using Q4.Tests.Hosting;
using Q4.Tests.Images;
using Q4.Tests.Sync;
using Q4.Tests.Users;

namespace Q4.Tests.Telemetry;

/// <summary>
/// The services' own metrics (<c>q4.*</c>) as Prometheus text at <c>/metrics</c>: served by a replica whose
/// <c>Prometheus:Enabled</c> is set, and by nothing else.
/// </summary>
public sealed partial class MetricsTests(GraphFixture graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(15);

    private AppHostProcess App => graph.App;

    [Fact]
    public async Task An_api_replica_with_prometheus_enabled_counts_the_bids_watchers_uploads_and_cache_lookups_it_served()
    {
        // A replica of its own, so that every bid, watcher and upload it counts is this test's; one upload an hour.
        var environment = ServiceProcess.ApiEnvironment(App);
        environment["Prometheus__Enabled"] = "true";
        environment["Images__UploadsPerHour"] = "1";
        // It exports to the graph's dashboard too, as a resource of its own name.
        var (_, otlp, key) = App.OtlpEndpoints();
        var resource = $"metrics-api-{Guid.NewGuid():n}"[..24];
        environment["OTEL_SERVICE_NAME"] = resource;
        environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp;
        environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc";
        environment["OTEL_EXPORTER_OTLP_HEADERS"] = $"{Q4.Dashboard.Otlp.OtlpApi.ApiKeyHeader}={key}";
        environment["OTEL_METRIC_EXPORT_INTERVAL"] = "1000";
        await using var api = await ServiceProcess.StartAsync(new Projects.Q4_ApiService(), environment, Cancellation);
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync(startingPrice: 100);
        using var scraper = api.CreateHttpClient();
        using var asBidder = Authenticated(api, bidder.Token);
        using var asSeller = Authenticated(api, seller.Token);

        var before = await ScrapeAsync(scraper);
        Assert.Equal(0, before.Count("q4_events_watchers"));
        using var feed = await AuctionClient.OpenFeedAsync(api.CreateHttpClient(), auction.Id);
        Assert.True(await SyncStore.EventuallyAsync(async () => (await ScrapeAsync(scraper)).Count("q4_events_watchers") == 1, Settle),
            "the replica did not count the open event stream as a watcher");

        // One bid accepted, the same one retried under its idempotency key (answered again, not a second bid), one too
        // low, and the seller's own.
        using (var accepted = await BidAsync(asBidder, auction.Id, 100, "metrics-first"))
        {
            Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        }
        using (var replayed = await BidAsync(asBidder, auction.Id, 100, "metrics-first"))
        {
            Assert.Equal(HttpStatusCode.Created, replayed.StatusCode);
        }
        using (var tooLow = await BidAsync(asBidder, auction.Id, 100))
        {
            await ProblemAssert.IsProblemAsync(tooLow, HttpStatusCode.Conflict, "bid_too_low");
        }
        using (var own = await BidAsync(asSeller, auction.Id, 500))
        {
            await ProblemAssert.IsProblemAsync(own, HttpStatusCode.Forbidden, "own_auction");
        }
        var bidEvent = Assert.Single(await feed.TakeAsync(1));
        Assert.Equal("bid", bidEvent.Type);

        // One upload stored, the next refused by the hourly limit; the stored image read twice.
        Guid imageId;
        using (var stored = await asBidder.PostAsync("/images", ImageClient.Form(ImageFiles.Png()), Cancellation))
        {
            Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
            imageId = (await stored.Content.ReadFromJsonAsync<UploadedImageResponse>(Cancellation))!.Id;
        }
        using (var limited = await asBidder.PostAsync("/images", ImageClient.Form(ImageFiles.Png()), Cancellation))
        {
            await ProblemAssert.IsProblemAsync(limited, HttpStatusCode.TooManyRequests, "rate_limited");
        }
        for (var read = 0; read < 2; read++)
        {
            using var image = await scraper.GetAsync($"/images/{imageId}", Cancellation);
            Assert.Equal(HttpStatusCode.OK, image.StatusCode);
        }

        // Counters are cumulative: what this test caused is the difference, and nothing else bid on this replica.
        var after = before;
        Assert.True(await SyncStore.EventuallyAsync(async () =>
            (after = await ScrapeAsync(scraper)).Count("q4_bids_duration_seconds_count") - before.Count("q4_bids_duration_seconds_count") >= 4
            && after.Count("q4_events_sent_total") > before.Count("q4_events_sent_total"), Settle),
            "the replica's /metrics did not show the test's bids");
        Assert.Equal(1, after.Count("q4_bids_accepted_total") - before.Count("q4_bids_accepted_total"));
        Assert.Equal(2, after.Count("q4_bids_refused_total") - before.Count("q4_bids_refused_total"));
        Assert.Equal(1, after.Count("q4_bids_refused_total", ("reason", "bid_too_low")) - before.Count("q4_bids_refused_total", ("reason", "bid_too_low")));
        Assert.Equal(1, after.Count("q4_bids_refused_total", ("reason", "own_auction")) - before.Count("q4_bids_refused_total", ("reason", "own_auction")));
        // Every decided bid is in the latency histogram, under its outcome.
        Assert.Equal(4, after.Count("q4_bids_duration_seconds_count") - before.Count("q4_bids_duration_seconds_count"));
        foreach (var (outcome, count) in new[] { ("accepted", 1), ("replayed", 1), ("refused", 2) })
        {
            Assert.Equal(count, after.Count("q4_bids_duration_seconds_count", ("outcome", outcome))
                - before.Count("q4_bids_duration_seconds_count", ("outcome", outcome)));
        }
        Assert.True(after.Sum("q4_bids_duration_seconds_sum") > before.Sum("q4_bids_duration_seconds_sum"));
        // One event written to the one watcher; nobody fell behind.
        Assert.Equal(1, after.Count("q4_events_sent_total") - before.Count("q4_events_sent_total"));
        Assert.Equal(0, after.Count("q4_events_dropped_total"));
        Assert.Equal(1, after.Count("q4_images_uploads_total") - before.Count("q4_images_uploads_total"));
        Assert.Equal(1, after.Count("q4_images_rate_limited_total") - before.Count("q4_images_rate_limited_total"));
        Assert.Equal((1, 1), (after.Count("q4_cache_misses_total", ("cache", "images")), after.Count("q4_cache_hits_total", ("cache", "images"))));
        // The replica read the auction once (for the event stream) and then answered from its cache, four bids' worth.
        Assert.Equal((1, 4), (after.Count("q4_cache_misses_total", ("cache", "auctions")), after.Count("q4_cache_hits_total", ("cache", "auctions"))));
        // Each user's row was read on their first request; the bidder's later ones found it (unless a change announced
        // for another user of the same stripe made the replica read it again: every lookup is one or the other).
        Assert.Equal(6, after.Count("q4_cache_misses_total", ("cache", "users")) + after.Count("q4_cache_hits_total", ("cache", "users")));
        Assert.True(after.Count("q4_cache_misses_total", ("cache", "users")) >= 2, "the two users' first reads were not counted as misses");

        feed.Dispose();
        Assert.True(await SyncStore.EventuallyAsync(async () => (await ScrapeAsync(scraper)).Count("q4_events_watchers") == 0, Settle),
            "the watcher that left is still counted");

        // The dashboard shows the same counts, from the replica's OTLP exports: the newest point of each series.
        using var dashboard = App.CreateHttpClient("apphost");
        var shown = new Dictionary<string, long>();
        Assert.True(await SyncStore.EventuallyAsync(async () =>
        {
            shown = await DashboardCountsAsync(dashboard, resource);
            return shown.GetValueOrDefault("q4.bids.accepted") == after.Count("q4_bids_accepted_total")
                && shown.GetValueOrDefault("q4.bids.refused reason=bid_too_low") == 1
                && shown.GetValueOrDefault("q4.bids.refused reason=own_auction") == 1;
        }, Settle), $"the dashboard showed {string.Join(", ", shown.Select(p => $"{p.Key}: {p.Value}"))}");
        Assert.Equal(1, shown["q4.bids.accepted"]);
    }

    /// <summary>The newest value of each of a resource's <c>q4.bids.*</c> counters on the dashboard, by name and tags.</summary>
    private static async Task<Dictionary<string, long>> DashboardCountsAsync(HttpClient dashboard, string resource)
    {
        var counts = new Dictionary<string, long>();
        foreach (var name in (string[])["q4.bids.accepted", "q4.bids.refused"])
        {
            var page = await dashboard.GetFromJsonAsync<System.Text.Json.JsonElement>(
                $"/api/telemetry/metrics?resource={resource}&name={name}&latest=true", Cancellation);
            var points = page.GetProperty("data").GetProperty("resourceMetrics").EnumerateArray()
                .SelectMany(r => r.GetProperty("scopeMetrics").EnumerateArray())
                .SelectMany(s => s.GetProperty("metrics").EnumerateArray())
                .SelectMany(m => m.GetProperty("sum").GetProperty("dataPoints").EnumerateArray());
            foreach (var point in points)
            {
                var tags = string.Concat(point.GetProperty("attributes").EnumerateArray()
                    .Select(a => $" {a.GetProperty("key").GetString()}={a.GetProperty("value").GetProperty("stringValue").GetString()}"));
                counts[name + tags] = long.Parse(point.GetProperty("asInt").GetString()!, CultureInfo.InvariantCulture);
            }
        }
        return counts;
    }

    [Fact]
    public async Task A_front_end_replica_with_prometheus_enabled_counts_the_browsers_it_relays_to()
    {
        var environment = ServiceProcess.FrontendEnvironment(App);
        environment["Prometheus__Enabled"] = "true";
        await using var frontend = await ServiceProcess.StartAsync(new Projects.Q4_Frontend(), environment, Cancellation);
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync();
        using var scraper = frontend.CreateHttpClient();
        var before = await ScrapeAsync(scraper);
        Assert.Equal(0, before.Count("q4_events_watchers"));

        using (var first = await AuctionClient.OpenFeedAsync(frontend.CreateHttpClient(), auction.Id))
        using (var second = await AuctionClient.OpenFeedAsync(frontend.CreateHttpClient(), auction.Id))
        {
            Assert.True(await SyncStore.EventuallyAsync(async () => (await ScrapeAsync(scraper)).Count("q4_events_watchers") == 2, Settle),
                "the front end did not count both browsers as watchers");
            await bidder.PlaceBidAsync(auction.Id, 100);
            Assert.Equal("bid", Assert.Single(await first.TakeAsync(1)).Type);
            Assert.Equal("bid", Assert.Single(await second.TakeAsync(1)).Type);
            var after = before;
            Assert.True(await SyncStore.EventuallyAsync(async () =>
                (after = await ScrapeAsync(scraper)).Count("q4_events_sent_total") - before.Count("q4_events_sent_total") >= 2, Settle),
                "the front end did not count the events it relayed");
            // One event to each of the two browsers; heartbeats are no events.
            Assert.Equal(2, after.Count("q4_events_sent_total") - before.Count("q4_events_sent_total"));
            Assert.Equal(0, after.Count("q4_events_dropped_total"));
        }
        Assert.True(await SyncStore.EventuallyAsync(async () => (await ScrapeAsync(scraper)).Count("q4_events_watchers") == 0, Settle),
            "the browsers that left are still counted");
    }

    [Fact]
    public async Task Metrics_are_not_served_unless_enabled()
    {
        // The shared graph leaves Prometheus:Enabled unset.
        foreach (var (resource, replica) in new[] { ("apiservice", 0), ("apiservice", 1), ("syncservice", 0), ("frontend", 0) })
        {
            using var client = App.CreateHttpClient(resource, replica);
            using var response = await client.GetAsync("/metrics", Cancellation);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{resource} {replica} answered {(int)response.StatusCode} at /metrics");
        }
    }

    private static HttpClient Authenticated(ServiceProcess api, string token)
    {
        var client = api.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static Task<HttpResponseMessage> BidAsync(HttpClient client, Guid auctionId, long amount, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/auctions/{auctionId}/bids") { Content = JsonContent.Create(new { amount }) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        return client.SendAsync(request, Cancellation);
    }

    private static async Task<Scrape> ScrapeAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/metrics", Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return Scrape.Parse(await response.Content.ReadAsStringAsync(Cancellation));
    }

    /// <summary>The samples of one Prometheus text exposition: name, labels, value.</summary>
    private sealed record Scrape(List<(string Name, Dictionary<string, string> Labels, double Value)> Samples)
    {
        public static Scrape Parse(string text)
        {
            var samples = new List<(string, Dictionary<string, string>, double)>();
            foreach (var line in text.Split('\n'))
            {
                if (line.Length == 0 || line[0] == '#')
                {
                    continue;
                }
                var match = SampleLine().Match(line);
                Assert.True(match.Success, $"not a Prometheus sample line: {line}");
                var labels = LabelPair().Matches(match.Groups["labels"].Value)
                    .ToDictionary(pair => pair.Groups["key"].Value, pair => Regex.Unescape(pair.Groups["value"].Value));
                samples.Add((match.Groups["name"].Value, labels, ParseValue(match.Groups["value"].Value)));
            }
            return new Scrape(samples);
        }

        private static double ParseValue(string value) => value switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            _ => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture),
        };

        /// <summary>As <see cref="Sum"/>, for samples that count things.</summary>
        public long Count(string name, params (string Key, string Value)[] labels) => (long)Math.Round(Sum(name, labels));

        /// <summary>The sum of the samples named <paramref name="name"/> that carry every one of <paramref name="labels"/>; 0 if none.</summary>
        public double Sum(string name, params (string Key, string Value)[] labels) =>
            Samples.Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value)).Sum(s => s.Value);
    }

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\S+)?\s*$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex(""""(?<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(?:[^"\\]|\\.)*)"""")]
    private static partial Regex LabelPair();
}
