using System.Diagnostics;
using System.Net;
using Npgsql;
using Q4.Tests.Auctions;
using Q4.Tests.Hosting;
using Q4.Tests.Images;
using Q4.Tests.Sync;
using Q4.Tests.Users;

namespace Q4.Tests.Caching;

/// <summary>
/// Floods an API replica with requests for rows it has never seen and watches its resident memory (VmRSS), in a graph
/// of its own: PostgreSQL is paused to show what is still served from the cache, and a hundred thousand requests would
/// slow the shared graph's tests down.
/// </summary>
public sealed class CacheFloodTests(CacheFloodGraph flood) : IClassFixture<CacheFloodGraph>
{
    /// <summary>
    /// How far the replica's resident memory may rise, in the second half of a flood, above its highest point during the
    /// warm-up flood before it (the same kind of requests: JIT, pools, caches filled). Between full garbage collections
    /// the heap swings by some 40 MB here, and the collector takes a full collection or two under a new load before its
    /// swings settle; the first half of the flood leaves it that time, and the warm-up's peak includes a swing. What is
    /// left is noise: -27 to +29 MB after the fix, the most while the rest of the suite ran. What a leak keeps is not:
    /// it is highest at the end, and before the fix it was 67 to 93 MB above the warm-up's peak after 150 000 unknown
    /// ids, 83 to 85 MB after 30 000 auctions. The bound sits halfway between the worst noise and the least leak.
    /// </summary>
    private const long AllowedGrowth = 48 * 1024 * 1024;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => flood.App;

    [Fact]
    public async Task Unknown_ids_at_full_speed_leave_memory_flat_and_real_rows_served_from_the_cache()
    {
        using var seller = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync();
        var image = await seller.UploadImageAsync(ImageFiles.Png());
        using var client = AnonymousClient(App.GetUrls("apiservice")[0]);
        // Read once, so this replica caches both rows.
        await AssertAnswersAsync(client, $"/auctions/{auction.Id}", HttpStatusCode.OK);
        await AssertAnswersAsync(client, image.Url, HttpStatusCode.OK);

        // Half of them auctions, half images: every one a new id, so only a cache that forgets misses stays flat.
        var pid = App.GetPids("apiservice")[0];
        string UnknownId(int i) => i % 2 == 0 ? $"/auctions/{Guid.NewGuid()}" : $"/images/{Guid.NewGuid()}";
        var warmUp = await FloodAsync(client, pid, 30_000, UnknownId, HttpStatusCode.NotFound);
        var flooded = await FloodAsync(client, pid, 150_000, UnknownId, HttpStatusCode.NotFound);
        Log($"unknown ids: warm-up {warmUp}; then {flooded}; grew {Mb(flooded.LatePeak - warmUp.Peak)} MB over the warm-up's peak");
        Assert.True(flooded.LatePeak - warmUp.Peak <= AllowedGrowth,
            $"resident memory grew from {Mb(warmUp.Peak)} MB to {Mb(flooded.LatePeak)} MB over 150 000 unknown ids " +
            $"(allowed: {Mb(AllowedGrowth)} MB)");

        // Both rows are still cached: they are served while PostgreSQL cannot answer, and an unknown id is not.
        using (PostgresPause.Start(App))
        {
            await AssertAnswersAsync(client, $"/auctions/{auction.Id}", HttpStatusCode.OK).WaitAsync(TimeSpan.FromSeconds(5), Cancellation);
            await AssertAnswersAsync(client, image.Url, HttpStatusCode.OK).WaitAsync(TimeSpan.FromSeconds(5), Cancellation);
            var unknown = client.GetAsync($"/auctions/{Guid.NewGuid()}", Cancellation);
            var first = await Task.WhenAny(unknown, Task.Delay(TimeSpan.FromSeconds(2), Cancellation));
            Assert.True(first != unknown, "an unknown id was answered while PostgreSQL was paused: the pause stopped nothing");
        }
    }

    [Fact]
    public async Task Distinct_real_auctions_at_full_speed_fill_the_cache_to_its_limit_and_no_further()
    {
        // A replica of its own with a small cache, so that a few thousand auctions fill it.
        await using var api = await ServiceProcess.StartAsync(new Projects.Q4_ApiService(), new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = App.GetConnectionString("redis"),
            ["ConnectionStrings__q4db"] = App.GetConnectionString("q4db"),
            ["ConnectionStrings__storage"] = App.GetConnectionString("storage"),
            ["services__identity__http__0"] = App.GetUrls("identity")[0],
            ["Cache__SizeLimit"] = SmallCacheLimit.ToString(),
        }, Cancellation);
        var ids = await SeedAuctionsAsync(50_000);
        using var client = AnonymousClient(api.Url);

        var warmUp = await FloodAsync(client, api.Pid, 20_000, i => $"/auctions/{ids[i]}", HttpStatusCode.OK);
        var flooded = await FloodAsync(client, api.Pid, 30_000, i => $"/auctions/{ids[20_000 + i]}", HttpStatusCode.OK);
        Log($"distinct auctions: warm-up {warmUp}; then {flooded}; grew {Mb(flooded.LatePeak - warmUp.Peak)} MB over the warm-up's peak");
        Assert.True(flooded.LatePeak - warmUp.Peak <= AllowedGrowth,
            $"resident memory grew from {Mb(warmUp.Peak)} MB to {Mb(flooded.LatePeak)} MB over 30 000 more auctions " +
            $"with a cache limit of {Mb(SmallCacheLimit)} MB (allowed: {Mb(AllowedGrowth)} MB)");
    }

    /// <summary>Filled by some 1 600 auctions with a thousand characters of description each.</summary>
    private const long SmallCacheLimit = 4 * 1024 * 1024;

    private static HttpClient AnonymousClient(string baseUrl) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = Concurrency })
        {
            BaseAddress = new Uri(baseUrl),
            Timeout = TimeSpan.FromSeconds(30),
        };

    private const int Concurrency = 32;

    /// <summary>The highest resident memory seen during a flood, and in its second half (by requests sent).</summary>
    private sealed record FloodResult(int Requests, TimeSpan Took, long Peak, long LatePeak, long End)
    {
        public override string ToString() =>
            $"{Requests} requests in {Took.TotalSeconds:0.0} s ({Requests / Took.TotalSeconds:0}/s), resident memory " +
            $"peak {Mb(Peak)} MB, in the second half {Mb(LatePeak)} MB, at the end {Mb(End)} MB";
    }

    /// <summary>
    /// Sends <paramref name="requests"/> GETs over <see cref="Concurrency"/> connections, each expected to answer
    /// <paramref name="expected"/>, while sampling the resident memory of <paramref name="pid"/>.
    /// </summary>
    private static async Task<FloodResult> FloodAsync(HttpClient client, int pid, int requests, Func<int, string> path, HttpStatusCode expected)
    {
        var next = -1;
        var unexpected = 0;
        string? firstUnexpected = null;
        var peak = ResidentBytes(pid);
        var latePeak = 0L;
        var started = Stopwatch.GetTimestamp();
        using var done = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        var sampling = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                var resident = ResidentBytes(pid);
                peak = Math.Max(peak, resident);
                if (Volatile.Read(ref next) >= requests / 2)
                {
                    latePeak = Math.Max(latePeak, resident);
                }
                await Task.Delay(200, CancellationToken.None);
            }
        }, CancellationToken.None);
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < requests; i = Interlocked.Increment(ref next))
            {
                using var response = await client.GetAsync(path(i), Cancellation);
                await response.Content.LoadIntoBufferAsync(Cancellation);
                if (response.StatusCode != expected && Interlocked.Increment(ref unexpected) == 1)
                {
                    firstUnexpected = $"{path(i)}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Cancellation)}";
                }
            }
        }, Cancellation)));
        var took = Stopwatch.GetElapsedTime(started);
        await done.CancelAsync();
        await sampling;
        Assert.True(unexpected == 0, $"{unexpected} of {requests} requests did not answer {(int)expected}; the first: {firstUnexpected}");
        var end = ResidentBytes(pid);
        return new FloodResult(requests, took, Math.Max(peak, end), Math.Max(latePeak, end), end);
    }

    /// <summary>The process's resident set, from /proc: what it really holds in memory.</summary>
    private static long ResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    /// <summary>
    /// Inserts <paramref name="count"/> live auctions of one fresh seller, each with a thousand characters of
    /// description, straight into PostgreSQL; their ids.
    /// </summary>
    private async Task<List<Guid>> SeedAuctionsAsync(int count)
    {
        using var seller = TestUser.Fresh(App);
        var sellerId = await seller.IdAsync();
        await using var connection = await SyncStore.OpenAsync(App);
        await using var command = new NpgsqlCommand("""
            INSERT INTO auctions (id, seller_id, title, description, starting_price, min_increment, current_price, bid_count,
                                  starts_at, ends_at, status)
            SELECT gen_random_uuid(), $1, 'Seeded lot ' || n, repeat('A long description. ', 50), 100, 10, 0, 0,
                   now(), now() + interval '1 day', 'open'
            FROM generate_series(1, $2) AS n
            RETURNING id
            """, connection)
        {
            CommandTimeout = 120,
            Parameters = { new() { Value = sellerId }, new() { Value = count } },
        };
        var ids = new List<Guid>(count);
        await using var reader = await command.ExecuteReaderAsync(Cancellation);
        while (await reader.ReadAsync(Cancellation))
        {
            ids.Add(reader.GetGuid(0));
        }
        return ids;
    }

    private static async Task AssertAnswersAsync(HttpClient client, string path, HttpStatusCode expected)
    {
        using var response = await client.GetAsync(path, Cancellation);
        Assert.True(response.StatusCode == expected,
            $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Cancellation)}");
    }

    private static string Mb(long bytes) => $"{bytes / (1024.0 * 1024):0.0}";

    private static void Log(string message) => TestContext.Current.TestOutputHelper?.WriteLine(message);
}

/// <summary>The graph of <see cref="CacheFloodTests"/>, of its own.</summary>
public sealed class CacheFloodGraph : IAsyncLifetime
{
    private AppHostProcess? _app;

    public AppHostProcess App => _app ?? throw new InvalidOperationException("The graph did not start.");

    public async ValueTask InitializeAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Q4_AppHost>(TestContext.Current.CancellationToken);
        _app = await builder.BuildAsync(TestContext.Current.CancellationToken);
        await _app.StartAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
