using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Q4.Dashboard.Otlp.Proto;
using Q4.Dashboard.Resources;

namespace Q4.Dashboard.Telemetry;

/// <summary>What an import added to the store.</summary>
public sealed record ImportedTelemetry(int Spans, int Traces, int Logs, int MetricPoints);

/// <summary>An import refused: its problem code and what is wrong. Nothing of it was kept.</summary>
public sealed record ImportRefusal(string Code, string Detail);

/// <summary>
/// Everything the dashboard holds, as one zip to keep or to hand to someone: <c>traces.json</c>, <c>logs.json</c> and
/// <c>metrics.json</c> in OTLP JSON (as the telemetry API writes it: ids in hex) and <c>console/&lt;process&gt;.txt</c>
/// for each process's console output. Such a zip imports back into a dashboard (its console files are not read):
/// checked whole first (a zip, JSON, OTLP, ids of the right length), so a bad one is refused and changes nothing.
/// </summary>
public static class TelemetryExport
{
    /// <summary>The largest zip an import takes.</summary>
    public const long MaxImportBytes = 32 * 1024 * 1024;

    /// <summary>The largest JSON file inside it, unpacked (a small zip may unpack to a great deal).</summary>
    public const long MaxEntryBytes = 256 * 1024 * 1024;

    public const string Traces = "traces.json", Logs = "logs.json", Metrics = "metrics.json";

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>Id fields that OTLP JSON writes in hex and protobuf's JSON reads in base64.</summary>
    private static readonly HashSet<string> IdFields = ["traceId", "spanId", "parentSpanId"];

    /// <summary><c>GET /export</c> (the zip, to download) and <c>POST /import</c> (a zip as the body) in the telemetry API's group.</summary>
    public static RouteGroupBuilder MapTelemetryExport(this RouteGroupBuilder telemetry)
    {
        telemetry.MapGet("/export", Export);
        telemetry.MapPost("/import", ImportAsync);
        return telemetry;
    }

    private static FileStreamHttpResult Export(TelemetryStore store, IResourceService resources)
    {
        // Written to a temporary file (deleted once sent): a zip is written synchronously, and the store may be large.
        var file = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
        Write(store, resources, file);
        file.Position = 0;
        return TypedResults.File(file, "application/zip", $"q4-telemetry-{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss}.zip");
    }

    /// <summary>Writes the zip of everything the store holds now, and each process's console output, to <paramref name="output"/>.</summary>
    public static void Write(TelemetryStore store, IResourceService resources, Stream output)
    {
        using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        WriteJson(zip, Traces, OtlpJson.ResourceSpans(store.GetSpans(new SpanQuery(), int.MaxValue).Items));
        WriteJson(zip, Logs, OtlpJson.ResourceLogs(store.GetLogs(new LogQuery(), int.MaxValue).Items));
        WriteJson(zip, Metrics, OtlpJson.ResourceMetrics(store.GetMetrics(new MetricQuery(), int.MaxValue).Items));
        foreach (var process in resources.GetResources().SelectMany(r => r.Processes).Select(p => p.Name).Distinct())
        {
            if (resources.ConsoleLogPath(process) is not { } path)
            {
                continue;
            }
            using var log = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var entry = zip.CreateEntry($"console/{process}.txt", CompressionLevel.Fastest).Open();
            log.CopyTo(entry);
        }
    }

    private static void WriteJson(ZipArchive zip, string name, object otlp)
    {
        using var entry = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
        JsonSerializer.Serialize(entry, otlp, JsonSerializerOptions.Web);
    }

    /// <summary>
    /// Imports a zip sent as the body (<c>application/zip</c>): 200 with what was added, or a ProblemDetails (413 too
    /// large, 415 not a zip's media type, 400 a bad zip or bad telemetry) and nothing added.
    /// </summary>
    private static async Task<Results<Ok<ImportedTelemetry>, ProblemHttpResult>> ImportAsync(HttpContext context, TelemetryStore store)
    {
        var request = context.Request;
        var mediaType = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType is not ("application/zip" or "application/x-zip-compressed" or "application/octet-stream"))
        {
            return TelemetryApi.Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type",
                "Send the zip as the body, with Content-Type: application/zip.");
        }
        if (request.ContentLength > MaxImportBytes)
        {
            return TooLarge();
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxImportBytes + 1;
        }
        using var body = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            if (body.Length + read > MaxImportBytes)
            {
                return TooLarge();
            }
            body.Write(buffer, 0, read);
        }
        body.Position = 0;
        var (imported, refusal) = Import(body, store);
        return imported is not null
            ? TypedResults.Ok(imported)
            : TelemetryApi.Problem(StatusCodes.Status400BadRequest, refusal!.Code, refusal.Detail);
    }

    private static ProblemHttpResult TooLarge() =>
        TelemetryApi.Problem(StatusCodes.Status413PayloadTooLarge, "import_too_large", $"An import is a zip of at most {MaxImportBytes / (1024 * 1024)} MiB.");

    /// <summary>
    /// Reads an exported zip whole and, when every part of it is good, adds its spans, logs and metrics to the store;
    /// otherwise refuses it and adds nothing. Its <c>console/</c> files and anything else are ignored.
    /// </summary>
    public static (ImportedTelemetry? Imported, ImportRefusal? Refusal) Import(Stream zipFile, TelemetryStore store)
    {
        ExportTraceServiceRequest traces;
        ExportLogsServiceRequest logs;
        ExportMetricsServiceRequest metrics;
        try
        {
            using var zip = new ZipArchive(zipFile, ZipArchiveMode.Read, leaveOpen: true);
            if (!zip.Entries.Any(e => e.FullName is Traces or Logs or Metrics))
            {
                return Refuse("nothing_to_import", $"The zip holds none of {Traces}, {Logs} and {Metrics}.");
            }
            traces = Read<ExportTraceServiceRequest>(zip, Traces);
            logs = Read<ExportLogsServiceRequest>(zip, Logs);
            metrics = Read<ExportMetricsServiceRequest>(zip, Metrics);
        }
        catch (InvalidDataException e)
        {
            return Refuse("invalid_zip", $"The file is not a readable zip: {e.Message}");
        }
        catch (ImportException e)
        {
            return Refuse(e.Code, e.Message);
        }
        if ((TelemetryStore.Check(traces) ?? TelemetryStore.Check(logs) ?? TelemetryStore.Check(metrics)) is { } problem)
        {
            return Refuse("invalid_telemetry", problem);
        }
        store.Add(traces);
        store.Add(logs);
        store.Add(metrics);
        var spans = traces.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).ToList();
        return (new ImportedTelemetry(spans.Count, spans.Select(s => s.TraceId).Distinct().Count(),
            logs.ResourceLogs.SelectMany(r => r.ScopeLogs).Sum(s => s.LogRecords.Count),
            metrics.ResourceMetrics.SelectMany(r => r.ScopeMetrics).SelectMany(s => s.Metrics).Sum(PointCount)), null);
    }

    private static (ImportedTelemetry?, ImportRefusal?) Refuse(string code, string detail) => (null, new ImportRefusal(code, detail));

    /// <summary>One JSON file of the zip as an OTLP export; an empty export when the zip has no such file.</summary>
    private static T Read<T>(ZipArchive zip, string name) where T : IMessage<T>, new()
    {
        if (zip.GetEntry(name) is not { } entry)
        {
            return new T();
        }
        if (entry.Length > MaxEntryBytes)
        {
            throw new ImportException("import_too_large", $"{name} unpacks to more than {MaxEntryBytes / (1024 * 1024)} MiB.");
        }
        JsonNode? json;
        try
        {
            using var stream = entry.Open();
            json = JsonNode.Parse(stream);
        }
        catch (JsonException e)
        {
            throw new ImportException("invalid_json", $"{name} is not JSON: {e.Message}");
        }
        if (json is not JsonObject)
        {
            throw new ImportException("invalid_json", $"{name} is not a JSON object.");
        }
        try
        {
            ToProtobufJson(json, name);
            return Parser.Parse<T>(json.ToJsonString());
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ImportException("invalid_telemetry", $"{name} is not OTLP JSON: {e.Message}");
        }
        catch (InvalidJsonException e)
        {
            throw new ImportException("invalid_telemetry", $"{name} is not OTLP JSON: {e.Message}");
        }
    }

    /// <summary>
    /// Rewrites OTLP JSON, in place, as protobuf's JSON mapping reads it: ids from hex to base64, and nulls (which the
    /// telemetry API writes for absent values, and which protobuf would take as a second value of a oneof) left out.
    /// </summary>
    private static void ToProtobufJson(JsonNode node, string file)
    {
        switch (node)
        {
            case JsonObject json:
                foreach (var (key, value) in json.ToList())
                {
                    if (value is null)
                    {
                        json.Remove(key);
                    }
                    else if (IdFields.Contains(key) && value is JsonValue id && id.TryGetValue(out string? hex))
                    {
                        json[key] = Base64OfHex(hex, key, file);
                    }
                    else
                    {
                        ToProtobufJson(value, file);
                    }
                }
                break;
            case JsonArray array:
                foreach (var item in array.OfType<JsonNode>())
                {
                    ToProtobufJson(item, file);
                }
                break;
        }
    }

    private static string Base64OfHex(string hex, string key, string file)
    {
        try
        {
            return Convert.ToBase64String(Convert.FromHexString(hex));
        }
        catch (FormatException)
        {
            throw new ImportException("invalid_telemetry", $"{file}: {key} \"{hex}\" is not hexadecimal (OTLP JSON writes ids in hex).");
        }
    }

    private static int PointCount(Metric metric) => metric.DataCase switch
    {
        Metric.DataOneofCase.Gauge => metric.Gauge.DataPoints.Count,
        Metric.DataOneofCase.Sum => metric.Sum.DataPoints.Count,
        Metric.DataOneofCase.Histogram => metric.Histogram.DataPoints.Count,
        Metric.DataOneofCase.ExponentialHistogram => metric.ExponentialHistogram.DataPoints.Count,
        Metric.DataOneofCase.Summary => metric.Summary.DataPoints.Count,
        _ => 0,
    };

    private sealed class ImportException(string code, string message) : Exception(message)
    {
        public string Code { get; } = code;
    }
}
