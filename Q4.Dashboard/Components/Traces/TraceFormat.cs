using System.Globalization;
using Google.Protobuf;
using Q4.Dashboard.Otlp.Proto;

namespace Q4.Dashboard.Components.Traces;

/// <summary>How the traces pages write times, durations, ids, values and resources' colours: one home for each.</summary>
public static class TraceFormat
{
    /// <summary>
    /// Bar colours, one per resource: dark enough that white text on them, and they beside white, stay readable.
    /// </summary>
    private static readonly string[] Palette =
        ["#0f6cbd", "#8a3707", "#107c10", "#8764b8", "#b4009e", "#005b70", "#6b6b00", "#c50f1f", "#4f6bed", "#5c2e91"];

    /// <summary>A duration as a person reads it: µs under a millisecond, ms under a second, else seconds.</summary>
    public static string Duration(TimeSpan duration) => duration.TotalMilliseconds switch
    {
        < 1 => $"{duration.TotalMicroseconds:0} µs",
        < 10 => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalMilliseconds:0.##} ms"),
        < 1000 => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalMilliseconds:0.#} ms"),
        < 60_000 => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.##} s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalMinutes:0.#} min"),
    };

    /// <summary>A point in time on the AppHost's clock (the developer's own), to the millisecond.</summary>
    public static string Time(DateTimeOffset time) => time.ToLocalTime().ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);

    /// <summary>The same, with the date: for a trace's own page.</summary>
    public static string DateTime(DateTimeOffset time) => time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);

    public static string Hex(ByteString bytes) => Convert.ToHexStringLower(bytes.Span);

    /// <summary>The first 8 digits of an id: enough to tell traces apart on one screen.</summary>
    public static string Short(string id) => id.Length > 8 ? id[..8] : id;

    /// <summary>A resource's colour: the same for the same name on every page and every run.</summary>
    public static string Colour(string resource)
    {
        var hash = 17u;
        foreach (var c in resource)
        {
            hash = hash * 31 + c;
        }
        return Palette[hash % Palette.Length];
    }

    public static string Kind(Span.Types.SpanKind kind) => kind switch
    {
        Span.Types.SpanKind.Internal => "Internal",
        Span.Types.SpanKind.Server => "Server",
        Span.Types.SpanKind.Client => "Client",
        Span.Types.SpanKind.Producer => "Producer",
        Span.Types.SpanKind.Consumer => "Consumer",
        _ => "Unspecified",
    };

    public static string Status(Status? status) => status?.Code switch
    {
        Otlp.Proto.Status.Types.StatusCode.Ok => "Ok",
        Otlp.Proto.Status.Types.StatusCode.Error => string.IsNullOrEmpty(status.Message) ? "Error" : $"Error: {status.Message}",
        _ => "Unset",
    };
}
