using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Q4.Tests.Contract;

/// <summary>One operation of the API's committed OpenAPI document.</summary>
public sealed record ApiOperation(string Method, string Path, string OperationId, JsonObject Node)
{
    public IReadOnlySet<int> Statuses { get; } = Node["responses"]!.AsObject().Select(r => int.Parse(r.Key)).ToHashSet();

    public IReadOnlySet<string> QueryParameters { get; } = (Node["parameters"]?.AsArray() ?? [])
        .Where(p => (string?)p!["in"] == "query").Select(p => (string)p!["name"]!).ToHashSet();

    public override string ToString() => $"{Method} {Path} ({OperationId})";
}

/// <summary>
/// Q4.ApiService/Q4.ApiService.json, the API's contract as committed: written by <c>dotnet build Q4.ApiService</c>.
/// </summary>
public static partial class ApiDocument
{
    public static string RepositoryRoot { get; } = Path.GetFullPath(Path.Combine(
        Path.GetDirectoryName(new Projects.Q4_DevIdentity().ProjectPath)!, ".."));

    public static string FilePath { get; } = Path.Combine(RepositoryRoot, "Q4.ApiService", "Q4.ApiService.json");

    public static JsonObject Read() => JsonNode.Parse(File.ReadAllText(FilePath))!.AsObject();

    public static IReadOnlyList<ApiOperation> Operations { get; } =
    [
        .. Read()["paths"]!.AsObject().SelectMany(path => path.Value!.AsObject()
            .Select(op => new ApiOperation(op.Key.ToUpperInvariant(), path.Key, (string)op.Value!["operationId"]!, op.Value.AsObject()))),
    ];

    public static JsonObject Schema(string name) => Read()["components"]!["schemas"]![name]!.AsObject();

    /// <summary>
    /// The operation a request for <paramref name="path"/> (no query) reaches: a literal segment wins over a
    /// parameter, as the API's routes have it (<c>/auctions/events</c> is not <c>/auctions/{id}</c>).
    /// </summary>
    public static ApiOperation? Find(string method, string path) =>
        Operations.Where(op => op.Method == method.ToUpperInvariant() && Pattern(op.Path).IsMatch(path))
            .OrderBy(op => op.Path.Count(c => c == '{'))
            .FirstOrDefault();

    private static Regex Pattern(string template) =>
        new("^" + Parameter().Replace(Regex.Escape(template).Replace(@"\{", "{"), "[^/]+") + "/?$");

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex Parameter();
}
