using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

// Live-event load against a running graph: W watchers spread over A auctions read the auctions' event streams (as
// the browser's EventSource does) through one base URL, while bids arrive at R per second through the API. For every
// accepted bid the time from its 201 to each watcher's receipt is recorded; every watcher must see every bid of its
// auction exactly once. Prints one JSON line of results.
//
//   dotnet run -c Release --project bench/LiveLoad -- <watch base URL> <API URL> <identity URL> [watchers] [auctions] [bids/s] [seconds] [pid]
//
// The pid (of the process serving the watch URL) is sampled for its resident memory before and after the watchers
// connect, which gives the memory one watcher costs.

var watchBase = new Uri(args[0]);
var api = new Uri(args[1]);
var identity = args[2].TrimEnd('/');
var watchers = args.Length > 3 ? int.Parse(args[3]) : 2000;
var auctionCount = args.Length > 4 ? int.Parse(args[4]) : 20;
var rate = args.Length > 5 ? int.Parse(args[5]) : 200;
var seconds = args.Length > 6 ? int.Parse(args[6]) : 30;
int? pid = args.Length > 7 ? int.Parse(args[7]) : null;

var json = JsonSerializerOptions.Web;
using var http = new HttpClient(new SocketsHttpHandler
{
    MaxConnectionsPerServer = int.MaxValue,
    PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
}) { Timeout = Timeout.InfiniteTimeSpan };

async Task<string> Token(string user)
{
    var form = new FormUrlEncodedContent(new Dictionary<string, string>
    {
        ["grant_type"] = "password", ["client_id"] = "q4-cli", ["username"] = user, ["password"] = "dev-password",
    });
    using var response = await http.PostAsync($"{identity}/realms/q4/protocol/openid-connect/token", form);
    response.EnsureSuccessStatusCode();
    return (await response.Content.ReadFromJsonAsync<JsonElement>(json)).GetProperty("access_token").GetString()!;
}

// Sellers and bidders: one seller, ten bidders taking turns so that no bidder outbids itself.
var seller = await Token("alice");
var bidders = await Task.WhenAll(Enumerable.Range(1, 10).Select(i => Token($"bidder{i:000}")));

var auctions = new List<Guid>();
for (var i = 0; i < auctionCount; i++)
{
    using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(api, "auctions"))
    {
        Content = JsonContent.Create(new
        {
            title = $"Live load lot {i}", description = "", startingPrice = 100, minIncrement = 1,
            endsAt = DateTimeOffset.UtcNow.AddHours(2),
        }),
    };
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", seller);
    using var response = await http.SendAsync(request);
    response.EnsureSuccessStatusCode();
    auctions.Add((await response.Content.ReadFromJsonAsync<JsonElement>(json)).GetProperty("id").GetGuid());
}

long Rss() => pid is { } p
    ? long.Parse(File.ReadLines($"/proc/{p}/status").First(l => l.StartsWith("VmRSS:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024
    : 0;

// Bid id -> when its 201 arrived (Stopwatch ticks); watcher receipts wait for it if they come first.
var accepted = new ConcurrentDictionary<string, long>();
var acceptedPerAuction = new ConcurrentDictionary<Guid, int>();
var latencies = new ConcurrentBag<double>();
var pending = new ConcurrentBag<(string BidId, long At)>();
long duplicates = 0, received = 0, failedConnections = 0;

GC.Collect();
await Task.Delay(2000);
var rssBefore = Rss();

using var stop = new CancellationTokenSource();
var connected = new CountdownEvent(watchers);
var watcherTasks = Enumerable.Range(0, watchers).Select(w => Task.Run(async () =>
{
    var auction = auctions[w % auctions.Count];
    var seen = new HashSet<string>();
    var signalled = false;
    try
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(watchBase, $"auctions/{auction}/events"));
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop.Token);
        response.EnsureSuccessStatusCode();
        connected.Signal();
        signalled = true;
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
        string? type = null;
        while (await reader.ReadLineAsync(stop.Token) is { } line)
        {
            if (line.StartsWith("event:"))
            {
                type = line[6..].Trim();
            }
            else if (line.StartsWith("data:") && type == "bid")
            {
                var at = Stopwatch.GetTimestamp();
                var bidId = JsonDocument.Parse(line[5..]).RootElement.GetProperty("id").GetString()!;
                Interlocked.Increment(ref received);
                if (!seen.Add(bidId))
                {
                    Interlocked.Increment(ref duplicates);
                }
                else if (accepted.TryGetValue(bidId, out var acceptedAt))
                {
                    latencies.Add(Math.Max(0, Stopwatch.GetElapsedTime(acceptedAt, at).TotalMilliseconds));
                }
                else
                {
                    pending.Add((bidId, at));
                }
            }
            else if (line.Length == 0)
            {
                type = null;
            }
        }
    }
    catch (OperationCanceledException) when (stop.IsCancellationRequested)
    {
    }
    catch (Exception)
    {
        Interlocked.Increment(ref failedConnections);
        if (!signalled)
        {
            connected.Signal();
        }
    }
})).ToList();

connected.Wait(TimeSpan.FromMinutes(3));
await Task.Delay(3000);
GC.Collect();
var rssAfter = Rss();

// Bids: a steady rate, one auction after another, each bid the auction's minimum (the last amount + 1).
var next = auctions.ToDictionary(a => a, _ => 100L);
var refused = 0;
var bidTasks = new List<Task>();
var started = Stopwatch.GetTimestamp();
var total = rate * seconds;
for (var n = 0; n < total; n++)
{
    var due = TimeSpan.FromSeconds((double)n / rate);
    var wait = due - Stopwatch.GetElapsedTime(started);
    if (wait > TimeSpan.Zero)
    {
        await Task.Delay(wait);
    }
    var auction = auctions[n % auctions.Count];
    var amount = next[auction]++;
    var bidder = bidders[(n / auctions.Count) % bidders.Length];
    bidTasks.Add(Task.Run(async () =>
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(api, $"auctions/{auction}/bids"))
        {
            Content = JsonContent.Create(new { amount }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bidder);
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var response = await http.SendAsync(request);
        var at = Stopwatch.GetTimestamp();
        if (!response.IsSuccessStatusCode)
        {
            Interlocked.Increment(ref refused);
            return;
        }
        var bidId = (await response.Content.ReadFromJsonAsync<JsonElement>(json)).GetProperty("id").GetString()!;
        accepted[bidId] = at;
        acceptedPerAuction.AddOrUpdate(auction, 1, (_, c) => c + 1);
    }));
}
await Task.WhenAll(bidTasks);
var bidSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

// Let the last events arrive, then stop watching.
var expected = auctions.Select((a, i) => (long)acceptedPerAuction.GetValueOrDefault(a) * Enumerable.Range(0, watchers).Count(w => w % auctions.Count == i)).Sum();
var deadline = Stopwatch.GetTimestamp();
while (Interlocked.Read(ref received) < expected && Stopwatch.GetElapsedTime(deadline) < TimeSpan.FromSeconds(30))
{
    await Task.Delay(200);
}
stop.Cancel();
await Task.WhenAll(watcherTasks);

// Receipts that came before their bid's 201: delivered at once.
foreach (var (bidId, _) in pending)
{
    if (accepted.ContainsKey(bidId))
    {
        latencies.Add(0);
    }
}

var sorted = latencies.Order().ToArray();
// How many deliveries took up to each bound (milliseconds), for the report's histogram; the last bucket is open.
double[] bounds = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
var histogram = bounds.Select((bound, i) => new
{
    upToMs = bound,
    count = sorted.Count(ms => ms <= bound && (i == 0 || ms > bounds[i - 1])),
}).Append(new { upToMs = double.PositiveInfinity, count = sorted.Count(ms => ms > bounds[^1]) }).ToArray();
double Percentile(double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
Console.WriteLine(JsonSerializer.Serialize(new
{
    watchBase = watchBase.ToString(),
    watchers,
    auctions = auctionCount,
    bidsPerSecondAsked = rate,
    bidsPerSecond = Math.Round(accepted.Count / bidSeconds, 1),
    accepted = accepted.Count,
    refused,
    failedConnections,
    expectedDeliveries = expected,
    delivered = Interlocked.Read(ref received) - duplicates,
    lost = expected - (Interlocked.Read(ref received) - duplicates),
    duplicates,
    p50Ms = Math.Round(Percentile(50), 1),
    p90Ms = Math.Round(Percentile(90), 1),
    p99Ms = Math.Round(Percentile(99), 1),
    p999Ms = Math.Round(Percentile(99.9), 1),
    maxMs = Math.Round(sorted.LastOrDefault(), 1),
    bytesPerWatcher = pid is null ? 0 : (rssAfter - rssBefore) / watchers,
    histogram,
}, new JsonSerializerOptions(json) { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
