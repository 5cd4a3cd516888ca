using System.Text.Json;
using System.Text.Json.Serialization;

namespace Q4.Hosting;

/// <summary>Where one resource can be reached: one URL and pid per replica; stores also give a connection string.</summary>
public sealed record ResourceEndpoints(
    IReadOnlyList<string> Urls,
    IReadOnlyList<int> Pids,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ConnectionString);

/// <summary><c>.q4/endpoints.json</c>, written once the whole graph is healthy and deleted when it stops.</summary>
public sealed record EndpointsFile(IReadOnlyDictionary<string, ResourceEndpoints> Resources)
{
    public const string FileName = "endpoints.json";

    public static EndpointsFile Read(string path) =>
        new(JsonSerializer.Deserialize<Dictionary<string, ResourceEndpoints>>(
            File.ReadAllText(path), JsonSerializerOptions.Web) ?? []);
}
