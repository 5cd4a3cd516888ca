using System.Globalization;
using Q4.Dashboard.Otlp.Proto;

namespace Q4.Dashboard.Telemetry;

/// <summary>How the dashboard reads OTLP values as text: for display, filters and search alike, so all three agree.</summary>
public static class TelemetryText
{
    /// <summary>An attribute's (or a log body's) value as text: strings as they are, numbers invariantly, arrays and lists in brackets.</summary>
    public static string Of(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.ArrayValue => $"[{string.Join(", ", value.ArrayValue.Values.Select(Of))}]",
        AnyValue.ValueOneofCase.KvlistValue => $"{{{string.Join(", ", value.KvlistValue.Values.Select(kv => $"{kv.Key}={Of(kv.Value)}"))}}}",
        AnyValue.ValueOneofCase.BytesValue => value.BytesValue.ToBase64(),
        _ => "",
    };

    /// <summary>Whether the text can be a trace id: 32 hexadecimal digits.</summary>
    public static bool IsTraceId(string? value) => value is { Length: 32 } && value.All(char.IsAsciiHexDigit);
}
