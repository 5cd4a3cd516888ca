using Q4.Dashboard.Telemetry;

namespace Q4.Dashboard.Components.Logs;

/// <summary>How the log pages write a record's time and level.</summary>
public static class LogFormat
{
    /// <summary>When the record was written (when it was observed, if it carries no time of its own), in UTC.</summary>
    public static string Time(StoredLog log, string format = "HH:mm:ss.fff")
    {
        var nanoseconds = log.Record.TimeUnixNano != 0 ? log.Record.TimeUnixNano : log.Record.ObservedTimeUnixNano;
        return DateTimeOffset.UnixEpoch.AddTicks((long)(nanoseconds / 100)).ToString(format, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The record's level: its severity number's name, or the text it sent when it has no number.</summary>
    public static string Level(StoredLog log) =>
        TelemetryStore.SeverityName((int)log.Record.SeverityNumber) is { Length: > 0 } name ? Capitalised(name) : log.Record.SeverityText;

    private static string Capitalised(string name) => char.ToUpperInvariant(name[0]) + name[1..];
}
