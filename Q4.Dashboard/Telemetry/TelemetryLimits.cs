namespace Q4.Dashboard.Telemetry;

/// <summary>How much telemetry the dashboard keeps in memory (the same limits as Aspire's dashboard).</summary>
public sealed class TelemetryLimits
{
    /// <summary>Traces kept; past that, the oldest goes.</summary>
    public int MaxTraces { get; set; } = 10_000;

    /// <summary>Log records kept; past that, the oldest goes.</summary>
    public int MaxLogs { get; set; } = 10_000;

    /// <summary>Metric points kept per resource (each replica is one); past that, the oldest goes.</summary>
    public int MaxMetricPointsPerResource { get; set; } = 50_000;

    /// <summary>Attributes kept per resource, span, span event, log record and metric point; the rest are dropped.</summary>
    public int MaxAttributes { get; set; } = 128;

    /// <summary>The largest export accepted, in bytes; a larger one is refused with 413.</summary>
    public long MaxExportBytes { get; set; } = 4 * 1024 * 1024;
}
