using System.Text.RegularExpressions;

namespace Q4.Tests.Contract;

/// <summary>Q4.ApiService/Q4.ApiService.http: an example request for every operation of the document.</summary>
public sealed partial class HttpExamplesTests
{
    [Fact]
    public void Every_operation_has_an_example_request_and_every_example_is_an_operation()
    {
        var file = Path.Combine(ApiDocument.RepositoryRoot, "Q4.ApiService", "Q4.ApiService.http");
        var examples = File.ReadLines(file).Select(line => RequestLine().Match(line)).Where(m => m.Success)
            .Select(m => (Method: m.Groups["method"].Value, Path: m.Groups["path"].Value.Split('?')[0], Line: m.Value))
            .ToList();
        var found = examples.Select(e => (e.Line, Operation: ApiDocument.Find(e.Method, e.Path))).ToList();
        Assert.Empty(found.Where(f => f.Operation is null).Select(f => f.Line));
        Assert.Empty(ApiDocument.Operations.Except(found.Select(f => f.Operation!)).Select(op => op.ToString()));
    }

    [GeneratedRegex(@"^(?<method>GET|POST|PUT|PATCH|DELETE) \{\{api\}\}(?<path>\S+)")]
    private static partial Regex RequestLine();
}
