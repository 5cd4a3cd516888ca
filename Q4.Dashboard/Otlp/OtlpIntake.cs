using Q4.Dashboard.Otlp.Proto;
using Q4.Dashboard.Telemetry;

namespace Q4.Dashboard.Otlp;

/// <summary>
/// Where an accepted export goes, whichever protocol brought it: into the store, and (with
/// <c>AppHost:KeepTelemetry</c>) to the archive on disk.
/// </summary>
public sealed class OtlpIntake(TelemetryStore store, TelemetryArchive? archive = null)
{
    public void Keep(ExportTraceServiceRequest export)
    {
        store.Add(export);
        archive?.Append(export);
    }

    public void Keep(ExportLogsServiceRequest export)
    {
        store.Add(export);
        archive?.Append(export);
    }

    public void Keep(ExportMetricsServiceRequest export)
    {
        store.Add(export);
        archive?.Append(export);
    }
}
