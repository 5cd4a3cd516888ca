using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Q4.Dashboard.Otlp.Proto;
using Status = Q4.Dashboard.Otlp.Proto.Status;

// OTLP ingest load against the dashboard: S senders export spans, each export E spans in traces of 5, as fast as the
// dashboard answers, for T seconds, over OTLP/HTTP (protobuf) or gRPC. Counts what was accepted and how long each
// export took. Prints one JSON line of results.
//
//   dotnet bench/OtlpLoad/bin/Release/net10.0/OtlpLoad.dll <http|grpc> <endpoint> <api key> [seconds] [senders] [spans per export]

var protocol = args[0];
var endpoint = new Uri(args[1]);
var key = args[2];
var seconds = args.Length > 3 ? int.Parse(args[3]) : 15;
var senders = args.Length > 4 ? int.Parse(args[4]) : 8;
var spansPerExport = args.Length > 5 ? int.Parse(args[5]) : 512;

// A few distinct exports, made ahead so the sender's own work stays small; each looks like a service's batch:
// server spans with a handful of attributes and children.
var exports = Enumerable.Range(0, 16).Select(_ => MakeExport(spansPerExport)).ToArray();
var bodies = exports.Select(e => e.ToByteArray()).ToArray();

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = senders }) { BaseAddress = endpoint };
using var channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions { MaxSendMessageSize = 16 * 1024 * 1024 });
var grpc = new TraceService.TraceServiceClient(channel);
var headers = new Metadata { { "x-otlp-api-key", key } };

var latencies = new List<double>[senders];
long accepted = 0, failed = 0;
var stop = Stopwatch.StartNew();
var until = TimeSpan.FromSeconds(seconds);
await Task.WhenAll(Enumerable.Range(0, senders).Select(async sender =>
{
    var mine = latencies[sender] = new List<double>(100_000);
    for (var i = sender; stop.Elapsed < until; i++)
    {
        var started = Stopwatch.GetTimestamp();
        var ok = protocol == "grpc" ? await SendGrpcAsync(exports[i % exports.Length]) : await SendHttpAsync(bodies[i % bodies.Length]);
        mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        Interlocked.Add(ref ok ? ref accepted : ref failed, ok ? spansPerExport : 1);
    }
}));
var elapsed = stop.Elapsed.TotalSeconds;
var all = latencies.SelectMany(l => l).Order().ToArray();
double Percentile(double q) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(all.Length * q))];
Console.WriteLine(
    $"{{\"protocol\":\"{protocol}\",\"senders\":{senders},\"spansPerExport\":{spansPerExport},\"seconds\":{elapsed:0.0}," +
    $"\"spansPerSecond\":{accepted / elapsed:0},\"exports\":{all.Length},\"failedExports\":{failed}," +
    $"\"p50Ms\":{Percentile(0.5):0.00},\"p99Ms\":{Percentile(0.99):0.00},\"maxMs\":{(all.Length == 0 ? 0 : all[^1]):0.00}}}");
return failed == 0 ? 0 : 1;

async Task<bool> SendHttpAsync(byte[] body)
{
    using var content = new ByteArrayContent(body);
    content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
    using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/traces") { Content = content };
    request.Headers.Add("x-otlp-api-key", key);
    using var response = await http.SendAsync(request);
    return response.IsSuccessStatusCode;
}

async Task<bool> SendGrpcAsync(ExportTraceServiceRequest export)
{
    try
    {
        await grpc.ExportAsync(export, headers);
        return true;
    }
    catch (RpcException)
    {
        return false;
    }
}

static ExportTraceServiceRequest MakeExport(int spans)
{
    var resource = new Resource();
    resource.Attributes.Add(Attribute("service.name", "otlp-load"));
    resource.Attributes.Add(Attribute("service.instance.id", Guid.NewGuid().ToString("n")));
    var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "OtlpLoad", Version = "1.0" } };
    var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
    for (var i = 0; i < spans; i++)
    {
        var first = i % 5 == 0;
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16)),
            SpanId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(8)),
            Name = first ? "POST /auctions/{id}/bids" : "EVALSHA bid.lua",
            Kind = first ? Span.Types.SpanKind.Server : Span.Types.SpanKind.Client,
            StartTimeUnixNano = now,
            EndTimeUnixNano = now + 1_500_000,
            Status = new Status { Code = Status.Types.StatusCode.Unset },
        };
        if (!first)
        {
            // Children share their trace with the server span before them.
            span.TraceId = scope.Spans[^1].TraceId;
            span.ParentSpanId = scope.Spans[^1].SpanId;
        }
        span.Attributes.Add(Attribute("http.request.method", "POST"));
        span.Attributes.Add(Attribute("url.path", "/auctions/0f8fad5b-d9cb-469f-a165-70867728950e/bids"));
        span.Attributes.Add(Attribute("q4.auction.id", "0f8fad5b-d9cb-469f-a165-70867728950e"));
        span.Attributes.Add(Attribute("q4.bid.outcome", "accepted"));
        span.Attributes.Add(new KeyValue { Key = "http.response.status_code", Value = new AnyValue { IntValue = 201 } });
        scope.Spans.Add(span);
    }
    return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { Resource = resource, ScopeSpans = { scope } } } };
}

static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };
