using Q4.Dashboard.Otlp.Proto;

namespace Q4.Dashboard.Telemetry;

public sealed partial class TelemetryStore
{
    /// <summary>
    /// How many log records of severity error or worse each replica sent (keyed by <c>service.instance.id</c>, the
    /// replica's name, or the service's name when it sent none), among the records kept: the resources page's badges.
    /// </summary>
    public IReadOnlyDictionary<string, int> ErrorCountsByInstance()
    {
        lock (_gate)
        {
            return _logs
                .Where(l => (int)l.Record.SeverityNumber >= (int)SeverityNumber.Error)
                .GroupBy(l => l.Source.InstanceId is { Length: > 0 } instance ? instance : l.ServiceName)
                .ToDictionary(g => g.Key, g => g.Count());
        }
    }
}
