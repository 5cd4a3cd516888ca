using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ScottPlot;

// bench/run's last step. Reads what the run wrote in its results folder (meta.tsv, figures.tsv, lag.tsv and
// live-*.json) and writes beside them results.json (every figure and every ratio), report.md (the tables, each figure
// with the baseline it is measured against) and the plots it links to.
//
//   dotnet bench/Report/bin/Release/net10.0/Report.dll <results folder>

var folder = args.Length == 1 && Directory.Exists(args[0])
    ? args[0]
    : throw new ArgumentException("usage: Report <results folder written by bench/run>");
var meta = ReadTable(Path.Combine(folder, "meta.tsv")).ToDictionary(r => r[0], r => r[1]);
var figures = ReadTable(Path.Combine(folder, "figures.tsv")).ToDictionary(r => $"{r[0]}.{r[1]}", r => r[2]);
var lag = ReadTable(Path.Combine(folder, "lag.tsv")).Select(r => (Seconds: Number(r[0]), Ms: Number(r[1]))).ToArray();
var live = new[] { "api", "frontend" }.Where(l => File.Exists(Path.Combine(folder, $"live-{l}.json")))
    .ToDictionary(l => l, l => JsonNode.Parse(File.ReadAllText(Path.Combine(folder, $"live-{l}.json")))!);

string Threads(string load) => $"{S($"{load}.thread_pool_threads_before")} → {S($"{load}.thread_pool_threads")}";
double F(string key) => figures.TryGetValue(key, out var value) ? Number(value) : double.NaN;
string S(string key) => figures.GetValueOrDefault(key, "?");

var ratios = new List<Ratio>();
Ratio Of(string name, double value, string baseline, double of)
{
    var ratio = new Ratio(name, value, baseline, of);
    ratios.Add(ratio);
    return ratio;
}

var md = new StringBuilder();
md.AppendLine("# Q4 benchmark report").AppendLine();
md.AppendLine("Every figure here was measured in this one run, beside the baseline it is compared with; on a shared machine only the");
md.AppendLine("ratios carry from one run to another. Written by `bench/run`.").AppendLine();
md.AppendLine("| | |").AppendLine("|---|---|");
foreach (var (key, value) in meta)
{
    md.AppendLine($"| {key} | {value} |");
}

// 1. Bids over HTTP.
md.AppendLine().AppendLine("## 1. Bids over HTTP").AppendLine();
md.AppendLine($"{meta.GetValueOrDefault("connections")} connections over both API replicas, {meta.GetValueOrDefault("duration")} each, the sync service persisting. " +
              $"Spread: bids over {meta["auctions"]} live auctions, each 10 above the last sent there. Hot: every connection on one auction, each " +
              "bid's amount from the clock, so those overtaken in flight are refused (409) as a crowd's are. Percentiles are the " +
              "slower replica's. The raw loads run `redis-benchmark` (50 connections) against the same Redis right after: " +
              "`bid.lua` on live auctions, and `bench/cas.lua`, the least a bid could cost (read a number, compare, set).").AppendLine();
md.AppendLine("| load | accepted/s | refused/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | p99 / p50 | GC ms/s | lock contentions/s | pool threads | of raw bid.lua | of raw cas |");
md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
var rawBid = F("bids.raw_bid_lua.calls_per_s");
var rawCas = F("bids.raw_cas.calls_per_s");
foreach (var (label, name) in new[] { ("spread", "HTTP, spread"), ("hot", "HTTP, one hot auction") })
{
    var accepted = F($"bids.{label}.accepted_per_s");
    var toBid = Of($"bids {label}: accepted/s", accepted, "raw EVALSHA bid.lua", rawBid);
    var toCas = Of($"bids {label}: accepted/s", accepted, "raw EVALSHA cas.lua", rawCas);
    md.AppendLine($"| {name} | {N(accepted)} | {N(F($"bids.{label}.refused_per_s"))} | {S($"bids.{label}.p50_ms")} | {S($"bids.{label}.p90_ms")} | " +
                  $"{S($"bids.{label}.p99_ms")} | {S($"bids.{label}.p999_ms")} | {S($"bids.{label}.max_ms")} | " +
                  $"{F($"bids.{label}.p99_ms") / F($"bids.{label}.p50_ms"):0.0} × | {S($"bids.{label}.gc_ms_per_s")} | {S($"bids.{label}.lock_contentions_per_s")} | " +
                  $"{Threads($"bids.{label}")} | {P(toBid.Value)} | {P(toCas.Value)} |");
}
md.AppendLine($"| raw EVALSHA `bid.lua` | {N(rawBid)} | | {S("bids.raw_bid_lua.p50_ms")} | | {S("bids.raw_bid_lua.p99_ms")} | | | | | | | | {P(Of("raw bid.lua: calls/s", rawBid, "raw EVALSHA cas.lua", rawCas).Value)} |");
md.AppendLine($"| raw EVALSHA `cas.lua` | {N(rawCas)} | | {S("bids.raw_cas.p50_ms")} | | {S("bids.raw_cas.p99_ms")} | | | | | | | | |");
md.AppendLine().AppendLine("GC ms/s: the garbage collector's pauses in both API replicas together, per second of load. Lock contentions: " +
                           "both replicas' .NET monitor contentions per second. Pool threads: both replicas' thread-pool threads before " +
                           "→ after the load; a pool that grows under load is one whose work items waited for a thread.");
var errors = F("bids.spread.errors") + F("bids.hot.errors");
md.AppendLine().AppendLine($"Answers other than 201 and 409: {N(errors)}. Goal for the spread load's tail: p99 ≤ 50 ms and ≤ 5 × p50 " +
                           $"({(F("bids.spread.p99_ms") <= 50 && F("bids.spread.p99_ms") <= 5 * F("bids.spread.p50_ms") ? "met" : "not met")}).");

// 2. PostgreSQL alone.
md.AppendLine().AppendLine("## 2. What a user would pick instead: the bid as one PostgreSQL transaction").AppendLine();
md.AppendLine($"`bench/pg-bid.sql` under `pgbench` ({meta.GetValueOrDefault("connections")} clients) on the graph's own PostgreSQL " +
              $"(fsync {S("postgres.fsync")}, synchronous_commit {S("postgres.synchronous_commit")}): read the price, then " +
              "`UPDATE auctions SET price = $2 WHERE id = $1 AND price < $2` and the `INSERT INTO bids` in one statement, the bid " +
              "row only when the update took. Accepted = bid rows written per second.").AppendLine();
md.AppendLine("| shape | PostgreSQL accepted/s | transactions/s | mean ms | Q4 accepted/s over HTTP | Q4 as a multiple |");
md.AppendLine("|---|---|---|---|---|---|");
foreach (var label in new[] { "spread", "hot" })
{
    var pg = F($"postgres.{label}.accepted_per_s");
    var q4 = F($"bids.{label}.accepted_per_s");
    md.AppendLine($"| {label} | {N(pg)} | {N(F($"postgres.{label}.transactions_per_s"))} | {S($"postgres.{label}.mean_ms")} | {N(q4)} | " +
                  $"{Of($"bids {label}: accepted/s", q4, $"PostgreSQL alone, {label}", pg).Value:0.00} × |");
}

// 3. Reads.
md.AppendLine().AppendLine("## 3. Reads").AppendLine();
md.AppendLine($"wrk over both API replicas, {meta.GetValueOrDefault("connections")} connections, {meta.GetValueOrDefault("duration")} each. " +
              "`/alive` has no store behind it: the ceiling this machine and load generator set.").AppendLine();
md.AppendLine("| request | requests/s | p50 ms | p90 ms | p99 ms | of /alive | errors |");
md.AppendLine("|---|---|---|---|---|---|---|");
var alive = F("reads.alive.requests_per_s");
foreach (var (label, name) in new[] { ("alive", "`GET /alive`"), ("list", "`GET /auctions?status=live&sort=endsAt&limit=20`"), ("auction", $"`GET /auctions/{{id}}`, {meta["auctions"]} in turn") })
{
    var rate = F($"reads.{label}.requests_per_s");
    var share = label == "alive" ? "" : P(Of($"reads {label}: requests/s", rate, "GET /alive", alive).Value);
    md.AppendLine($"| {name} | {N(rate)} | {S($"reads.{label}.p50_ms")} | {S($"reads.{label}.p90_ms")} | {S($"reads.{label}.p99_ms")} | {share} | {S($"reads.{label}.errors")} |");
}

// 4. Live events.
md.AppendLine().AppendLine("## 4. Live events").AppendLine();
if (live.TryGetValue("api", out var first))
{
    md.AppendLine($"{first["watchers"]} watchers over {first["auctions"]} auctions read the auctions' event streams as a browser's " +
                  $"EventSource does while {first["bidsPerSecondAsked"]} bids/s arrive; delivery is timed from the bid's 201 to " +
                  "each watcher. Straight on one API replica first (the baseline), then through the front end's relay.").AppendLine();
}
md.AppendLine("| through | bids/s | delivered | lost | doubled | failed connections | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | KB per watcher |");
md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
foreach (var (label, result) in live)
{
    md.AppendLine($"| {(label == "api" ? "one API replica" : "the front end")} | {result["bidsPerSecond"]} | {N(Number(result["delivered"]!))} | " +
                  $"{result["lost"]} | {result["duplicates"]} | {result["failedConnections"]} | {result["p50Ms"]} | {result["p90Ms"]} | " +
                  $"{result["p99Ms"]} | {result["p999Ms"]} | {result["maxMs"]} | {Number(result["bytesPerWatcher"]!) / 1024:0} |");
}
if (live.Count == 2)
{
    Of("live p99 through the front end", Number(live["frontend"]["p99Ms"]!), "live p99 straight on the API", Number(live["api"]["p99Ms"]!));
}
md.AppendLine().AppendLine("Events lost must be 0.");

// 5. Sync.
md.AppendLine().AppendLine("## 5. Sync").AppendLine();
md.AppendLine($"Lag (the age, by Redis's clock, of the oldest accepted bid not yet in PostgreSQL), sampled five times a second during " +
              $"the spread load above ({N(F("bids.spread.accepted_per_s"))} accepted bids/s): p50 {S("sync.lag_p50_ms")} ms, " +
              $"p99 {S("sync.lag_p99_ms")} ms, max {S("sync.lag_max_ms")} ms.").AppendLine();
md.AppendLine($"Drain: with the sync service paused, {N(F("sync.backlog"))} bids were written to the stream; resumed, it persisted " +
              $"{N(F("sync.drained_rows"))} rows in {S("sync.drain_seconds")} s: **{N(F("sync.drain_rows_per_s"))} rows/s**, " +
              $"{Of("sync drain: rows/s", F("sync.drain_rows_per_s"), "HTTP spread accepted/s", F("bids.spread.accepted_per_s")).Value:0.0} × the rate bids were accepted at.");

// 6. Durability.
md.AppendLine().AppendLine("## 6. Durability: Redis's appendfsync").AppendLine();
md.AppendLine($"The spread load again, {meta.GetValueOrDefault("duration")} per phase on the same warm graph, switching with `CONFIG SET`; " +
              $"`always` twice, before and after, so the drift between phases shows. The AppHost ships `{S("durability.shipped")}`.").AppendLine();
md.AppendLine("| appendfsync | accepted/s | p50 ms | p99 ms | p99.9 ms | GC ms/s | lock contentions/s | pool threads |");
md.AppendLine("|---|---|---|---|---|---|---|---|");
foreach (var label in new[] { "always-1", "everysec", "always-2" })
{
    md.AppendLine($"| {label} | {N(F($"durability.{label}.accepted_per_s"))} | {S($"durability.{label}.p50_ms")} | {S($"durability.{label}.p99_ms")} | " +
                  $"{S($"durability.{label}.p999_ms")} | {S($"durability.{label}.gc_ms_per_s")} | " +
                  $"{S($"durability.{label}.lock_contentions_per_s")} | {Threads($"durability.{label}")} |");
}
var always = (F("durability.always-1.accepted_per_s") + F("durability.always-2.accepted_per_s")) / 2;
md.AppendLine().AppendLine($"`always` (the mean of its two phases) / `everysec`: " +
                           $"{P(Of("appendfsync always: accepted/s", always, "appendfsync everysec", F("durability.everysec.accepted_per_s")).Value)}.");

// Plots.
md.AppendLine().AppendLine("## Plots").AppendLine();
foreach (var (file, title) in Plots.Write(folder, figures, lag, live))
{
    md.AppendLine($"![{title}]({file})").AppendLine();
}
File.WriteAllText(Path.Combine(folder, "report.md"), md.ToString());

var results = new JsonObject
{
    ["meta"] = new JsonObject(meta.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value))),
    ["figures"] = new JsonObject(figures.Select(f => KeyValuePair.Create(f.Key,
        double.TryParse(f.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? (JsonNode?)n : f.Value))),
    ["ratios"] = new JsonArray([.. ratios.Select(r => (JsonNode?)new JsonObject
    {
        ["figure"] = r.Name, ["value"] = r.Figure, ["baseline"] = r.Baseline, ["of"] = r.Of, ["ratio"] = Math.Round(r.Value, 4),
    })]),
    ["live"] = new JsonObject(live.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value.DeepClone()))),
};
File.WriteAllText(Path.Combine(folder, "results.json"), results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"{Path.Combine(folder, "report.md")}, results.json and {Directory.GetFiles(folder, "*.png").Length} plots");

static string[][] ReadTable(string path) => File.Exists(path)
    ? [.. File.ReadLines(path).Where(l => l.Length > 0).Select(l => l.Split('\t'))]
    : [];

static double Number(object value) => value switch
{
    JsonNode node => node.GetValueKind() == JsonValueKind.Number ? node.GetValue<double>() : Number(node.GetValue<string>()),
    string text => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : double.NaN,
    _ => double.NaN,
};

static string N(double value) => double.IsNaN(value) ? "?" : value.ToString("#,0", CultureInfo.InvariantCulture).Replace(",", " ");

static string P(double ratio) => double.IsNaN(ratio) ? "?" : (100 * ratio).ToString("0.0", CultureInfo.InvariantCulture) + " %";

/// <summary>A figure over the baseline it was measured against in the same run.</summary>
internal sealed record Ratio(string Name, double Figure, string Baseline, double Of)
{
    public double Value => Figure / Of;
}
