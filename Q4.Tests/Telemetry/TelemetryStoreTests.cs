using System.Security.Cryptography;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using Q4.Dashboard.Otlp.Proto;
using Q4.Dashboard.Telemetry;

namespace Q4.Tests.Telemetry;

/// <summary>The dashboard's store keeps what its limits allow, dropping the oldest first.</summary>
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
        var newest = store.GetSpans(new SpanQuery(Resource: "store-test"), limit: 2);
        Assert.Equal((2, 5), (newest.Items.Count, newest.TotalCount));
    }

    [Fact]
    public void Past_its_limit_a_resource_drops_its_oldest_metric_points_and_the_newest_of_each_series_is_kept()
    {
        var store = new TelemetryStore(Options.Create(new TelemetryLimits { MaxMetricPointsPerResource = 4 }));
        for (var i = 1; i <= 3; i++)
        {
            // Each export: the counter's running total in two series (outcome a, b), as a cumulative exporter sends it.
            store.Add(MetricsOf("replica-1", ("a", 10 * i), ("b", i)));
        }
        store.Add(MetricsOf("replica-2", ("a", 100)));

        var all = store.GetMetrics(new MetricQuery(Resource: "store-test"), limit: 100);
        // replica-1 kept its 4 newest of 6 points; replica-2 its one: another resource's points do not push them out.
        Assert.Equal(5, all.TotalCount);
        Assert.Equal([20L, 2, 30, 3, 100], all.Items.Select(p => ((NumberDataPoint)p.Point).AsInt));

        var latest = store.GetMetrics(new MetricQuery(Resource: "store-test", Name: "bids", Latest: true), limit: 100);
        Assert.Equal([30L, 3, 100], latest.Items.Select(p => ((NumberDataPoint)p.Point).AsInt));
        Assert.Empty(store.GetMetrics(new MetricQuery(Name: "other"), limit: 100).Items);

        // A reader that follows asks for what came after the position it read at.
        var after = store.GetMetrics(new MetricQuery(After: all.Position), limit: 100);
        Assert.Empty(after.Items);
        store.Add(MetricsOf("replica-2", ("a", 101)));
        Assert.Equal([101L], store.GetMetrics(new MetricQuery(After: all.Position), limit: 100).Items.Select(p => ((NumberDataPoint)p.Point).AsInt));
        Assert.True(store.WaitForNewerAsync(all.Position, TestContext.Current.CancellationToken).IsCompleted);
        Assert.False(store.WaitForNewerAsync(all.Position + 1, TestContext.Current.CancellationToken).IsCompleted);
    }

    private static ExportMetricsServiceRequest MetricsOf(string instance, params (string Outcome, long Total)[] series)
    {
        var resource = new Resource
        {
            Attributes =
            {
                new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "store-test" } },
                new KeyValue { Key = "service.instance.id", Value = new AnyValue { StringValue = instance } },
            },
        };
        var sum = new Sum { AggregationTemporality = AggregationTemporality.Cumulative, IsMonotonic = true };
        foreach (var (outcome, total) in series)
        {
            sum.DataPoints.Add(new NumberDataPoint
            {
                AsInt = total,
                TimeUnixNano = 1,
                Attributes = { new KeyValue { Key = "outcome", Value = new AnyValue { StringValue = outcome } } },
            });
        }
        return new ExportMetricsServiceRequest
        {
            ResourceMetrics = { new ResourceMetrics { Resource = resource, ScopeMetrics = { new ScopeMetrics { Metrics = { new Metric { Name = "bids", Sum = sum } } } } } },
        };
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
