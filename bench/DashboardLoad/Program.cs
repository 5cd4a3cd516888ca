using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.Playwright;
using Q4.Dashboard.Otlp.Proto;

// The dashboard with a full store: opens the traces and the structured logs pages in Debian's chromium and times each
// from navigation to its first row of data, several times, first with one trace and one log record stored (the
// baseline, in the same run), then after sending 50 000 spans (10 000 traces of 5, over two resources) and 10 000 log
// records more over OTLP/HTTP; reads the AppHost's memory (RSS) at each step. Prints one JSON line.
//
//   dotnet bench/DashboardLoad/bin/Release/net10.0/DashboardLoad.dll <login url> <otlp http endpoint> <api key> <apphost pid> [rounds]

var loginUrl = new Uri(args[0]);
var dashboard = new Uri(loginUrl.GetLeftPart(UriPartial.Authority));
var otlp = new Uri(args[1]);
var key = args[2];
var appHostPid = int.Parse(args[3]);
var rounds = args.Length > 4 ? int.Parse(args[4]) : 5;
const int Traces = 10_000, SpansPerTrace = 5, Logs = 10_000;

using var http = new HttpClient { BaseAddress = otlp };
await PostAsync("/v1/traces", MakeSpans(1).ToByteArray());
await PostAsync("/v1/logs", MakeLogs(1).ToByteArray());
var rssBaseline = Rss("VmRSS");

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Args = ["--no-sandbox", "--disable-gpu"] });
var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 } });
var page = await context.NewPageAsync();
await page.GotoAsync(loginUrl.ToString());
var baseline = await TimePagesAsync();

var loading = Stopwatch.StartNew();
for (var sent = 0; sent < Traces; sent += 200)
{
    await PostAsync("/v1/traces", MakeSpans(200).ToByteArray());
}
for (var sent = 0; sent < Logs; sent += 500)
{
    await PostAsync("/v1/logs", MakeLogs(500).ToByteArray());
}
var loadSeconds = loading.Elapsed.TotalSeconds;

using var reader = new HttpClient { BaseAddress = dashboard };
reader.DefaultRequestHeaders.Add("x-otlp-api-key", key);
var storedTraces = (await reader.GetFromJsonAsync<JsonElement>("/api/telemetry/traces?limit=1")).GetProperty("totalCount").GetInt32();
var storedLogs = (await reader.GetFromJsonAsync<JsonElement>("/api/telemetry/logs?limit=1")).GetProperty("totalCount").GetInt32();
var rssLoaded = Rss("VmRSS");
var full = await TimePagesAsync();
var rssAfter = Rss("VmRSS");
var rssPeak = Rss("VmHWM");

var result = new Dictionary<string, object>
{
    ["storedTraces"] = storedTraces,
    ["storedLogs"] = storedLogs,
    ["loadSeconds"] = Math.Round(loadSeconds, 1),
    ["rssBaselineMb"] = rssBaseline,
    ["rssLoadedMb"] = rssLoaded,
    ["rssAfterPagesMb"] = rssAfter,
    ["rssPeakMb"] = rssPeak,
};
foreach (var (path, times) in full)
{
    var name = path.Trim('/');
    result[$"{name}FirstMs"] = Math.Round(times[0]);
    result[$"{name}MedianMs"] = Math.Round(Median(times));
    result[$"{name}MaxMs"] = Math.Round(times.Max());
    result[$"{name}BaselineMedianMs"] = Math.Round(Median(baseline[path]));
}
Console.WriteLine(JsonSerializer.Serialize(result));

static double Median(List<double> times) => times.Order().ElementAt(times.Count / 2);

// Opens each page `rounds` times, timing each from navigation to its first row of the load's data.
async Task<Dictionary<string, List<double>>> TimePagesAsync()
{
    var pages = new Dictionary<string, List<double>> { ["/traces"] = [], ["/structured"] = [] };
    for (var round = 0; round < rounds; round++)
    {
        foreach (var (path, times) in pages)
        {
            var text = path == "/traces" ? "dashboard-load request" : "dashboard-load record";
            var clock = Stopwatch.StartNew();
            await page.GotoAsync(new Uri(dashboard, path).ToString(), new() { WaitUntil = WaitUntilState.Commit });
            await page.GetByText(text).First.WaitForAsync(new() { Timeout = 60_000 });
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
    }
    return pages;
}

async Task PostAsync(string path, byte[] body)
{
    using var content = new ByteArrayContent(body);
    content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
    using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
    request.Headers.Add("x-otlp-api-key", key);
    using var response = await http.SendAsync(request);
    response.EnsureSuccessStatusCode();
}

// The AppHost's resident memory in MB, from /proc (VmRSS now, VmHWM its peak).
long Rss(string field) =>
    long.Parse(File.ReadLines($"/proc/{appHostPid}/status").First(l => l.StartsWith(field + ":")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;

static ExportTraceServiceRequest MakeSpans(int traces)
{
    var export = new ExportTraceServiceRequest();
    var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
    foreach (var service in new[] { "bench-api", "bench-sync" })
    {
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "DashboardLoad" } };
        export.ResourceSpans.Add(new ResourceSpans { Resource = Resource(service), ScopeSpans = { scope } });
    }
    for (var t = 0; t < traces; t++)
    {
        var traceId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16));
        ByteString? parent = null;
        for (var s = 0; s < SpansPerTrace; s++)
        {
            var span = new Span
            {
                TraceId = traceId,
                SpanId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(8)),
                ParentSpanId = parent ?? ByteString.Empty,
                Name = s == 0 ? "dashboard-load request" : $"dashboard-load step {s}",
                Kind = s == 0 ? Span.Types.SpanKind.Server : Span.Types.SpanKind.Internal,
                StartTimeUnixNano = now + (ulong)s * 100_000,
                EndTimeUnixNano = now + 2_000_000,
                Status = new Status { Code = t % 50 == 0 && s == 0 ? Status.Types.StatusCode.Error : Status.Types.StatusCode.Unset },
            };
            span.Attributes.Add(Attribute("q4.auction.id", Guid.NewGuid().ToString()));
            span.Attributes.Add(Attribute("http.request.method", "POST"));
            parent ??= span.SpanId;
            export.ResourceSpans[s < 3 ? 0 : 1].ScopeSpans[0].Spans.Add(span);
        }
    }
    return export;
}

static ExportLogsServiceRequest MakeLogs(int records)
{
    var scope = new ScopeLogs { Scope = new InstrumentationScope { Name = "DashboardLoad" } };
    var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
    for (var i = 0; i < records; i++)
    {
        var record = new LogRecord
        {
            TimeUnixNano = now,
            ObservedTimeUnixNano = now,
            SeverityNumber = i % 10 == 0 ? SeverityNumber.Warn : SeverityNumber.Info,
            SeverityText = i % 10 == 0 ? "Warning" : "Information",
            Body = new AnyValue { StringValue = $"dashboard-load record {i} of a full store" },
            TraceId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16)),
            SpanId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(8)),
        };
        record.Attributes.Add(Attribute("q4.auction.id", Guid.NewGuid().ToString()));
        scope.LogRecords.Add(record);
    }
    return new ExportLogsServiceRequest { ResourceLogs = { new ResourceLogs { Resource = Resource("bench-api"), ScopeLogs = { scope } } } };
}

static Resource Resource(string service) => new()
{
    Attributes = { Attribute("service.name", service), Attribute("service.instance.id", service + "-0") },
};

static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };
