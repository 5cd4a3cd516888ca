using System.Net;
using System.Text.Json;

namespace Q4.Frontend.Api;

/// <summary>
/// An answer of the API other than success, as its ProblemDetails says it: the machine-readable <see cref="Code"/>
/// pages turn into words, the field errors of a validation problem, and the members some problems add
/// (<c>minimumBid</c>, <c>currentPrice</c>) in <see cref="Extensions"/>.
/// </summary>
public sealed class ApiProblem(HttpStatusCode status, string code, string? detail,
    IReadOnlyDictionary<string, string[]> errors, IReadOnlyDictionary<string, JsonElement> extensions, TimeSpan? retryAfter)
    : Exception($"The API answered {(int)status} {code}: {detail}")
{
    public HttpStatusCode Status { get; } = status;

    public string Code { get; } = code;

    public string? Detail { get; } = detail;

    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;

    public IReadOnlyDictionary<string, JsonElement> Extensions { get; } = extensions;

    /// <summary>From <c>Retry-After</c> (429 and 503).</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;

    public long? LongExtension(string name) =>
        Extensions.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : null;

    public static async Task<ApiProblem> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var code = $"http_{(int)response.StatusCode}";
        string? detail = null;
        var errors = new Dictionary<string, string[]>();
        var extensions = new Dictionary<string, JsonElement>();
        var retryAfter = response.Headers.RetryAfter is { } header
            ? header.Delta ?? (header.Date is { } date ? date - DateTimeOffset.UtcNow : null)
            : null;
        if (response.Content.Headers.ContentType?.MediaType is "application/problem+json" or "application/json")
        {
            try
            {
                using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
                foreach (var member in document.RootElement.EnumerateObject())
                {
                    switch (member.Name)
                    {
                        case "code" when member.Value.ValueKind == JsonValueKind.String:
                            code = member.Value.GetString()!;
                            break;
                        case "detail" when member.Value.ValueKind == JsonValueKind.String:
                            detail = member.Value.GetString();
                            break;
                        case "errors" when member.Value.ValueKind == JsonValueKind.Object:
                            foreach (var field in member.Value.EnumerateObject())
                            {
                                errors[field.Name] = [.. field.Value.EnumerateArray().Select(e => e.GetString() ?? "")];
                            }
                            break;
                        default:
                            extensions[member.Name] = member.Value.Clone();
                            break;
                    }
                }
            }
            catch (JsonException)
            {
                // Not a problem document after all: the status code says what there is to say.
            }
        }
        return new ApiProblem(response.StatusCode, code, detail, errors, extensions, retryAfter);
    }
}
