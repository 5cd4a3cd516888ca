using System.Security.Cryptography;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using Q4.Dashboard.Otlp.Proto;
using Q4.Dashboard.Telemetry;

namespace Q4.Tests.Telemetry;

/// <summary>The dashboard's store keeps what its limits allow, dropping the oldest traces first.</summary>
public sealed class TelemetryStoreTests
{
    [Fact]
    public void Past_its_limit_the_store_drops_the_oldest_traces_first()
    {
        var store = new TelemetryStore(Options.Create(new TelemetryLimits { MaxTraces = 3 }));
        var traces = Enumerable.Range(0, 5).Select(_ => RandomNumberGenerator.GetBytes(16)).ToList();
        foreach (var trace in traces)
        {
            store.Add(ExportOf(trace, spans: 2));
        }
        // A later span of a kept trace joins it; the trace keeps its place in the order.
        store.Add(ExportOf(traces[2], spans: 1));

        Assert.Equal(3, store.TraceCount);
        Assert.Empty(store.GetTrace(Convert.ToHexStringLower(traces[0])));
        Assert.Empty(store.GetTrace(Convert.ToHexStringLower(traces[1])));
        Assert.Equal(3, store.GetTrace(Convert.ToHexStringLower(traces[2])).Count);
        Assert.Equal(2, store.GetTrace(Convert.ToHexStringLower(traces[4])).Count);

        store.Add(ExportOf(RandomNumberGenerator.GetBytes(16), spans: 1));
        Assert.Empty(store.GetTrace(Convert.ToHexStringLower(traces[2])));
        var (newest, total) = store.GetSpans(resource: "store-test", hasError: null, linkedTo: null, limit: 2);
        Assert.Equal((2, 5), (newest.Count, total));
    }

    private static ExportTraceServiceRequest ExportOf(byte[] traceId, int spans)
    {
        var resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "store-test" } } } };
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "test" } };
        for (var i = 0; i < spans; i++)
        {
            scope.Spans.Add(new Span { TraceId = ByteString.CopyFrom(traceId), SpanId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(8)), Name = $"span {i}" });
        }
        return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { Resource = resource, ScopeSpans = { scope } } } };
    }
}
