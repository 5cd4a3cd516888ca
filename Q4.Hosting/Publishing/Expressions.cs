using System.Text.RegularExpressions;

namespace Q4.Hosting.Publishing;

/// <summary>
/// References between published resources, in the Aspire manifest's syntax: <c>{redis.connectionString}</c>,
/// <c>{redis-password.value}</c>, <c>{api.bindings.http.url}</c>. The platform fills them in at deployment.
/// </summary>
public static partial class Expressions
{
    public static string ConnectionString(string resource) => $"{{{resource}.connectionString}}";

    public static string Value(string parameter) => $"{{{parameter}.value}}";

    /// <summary><paramref name="property"/>: host, port, targetPort, url or scheme.</summary>
    public static string Binding(string resource, string binding, string property) => $"{{{resource}.bindings.{binding}.{property}}}";

    /// <summary>Every reference in <paramref name="text"/>, in order.</summary>
    public static IEnumerable<Reference> In(string text) => Pattern().Matches(text).Select(match => new Reference(
        match.Value, match.Groups["resource"].Value, match.Groups["binding"].Success ? match.Groups["binding"].Value : null,
        match.Groups["property"].Value));

    [GeneratedRegex(@"\{(?<resource>[a-z0-9-]+)\.(?:bindings\.(?<binding>[a-z0-9-]+)\.)?(?<property>[A-Za-z]+)\}")]
    private static partial Regex Pattern();

    /// <summary>One reference: <c>{resource.property}</c> or <c>{resource.bindings.binding.property}</c>.</summary>
    public sealed record Reference(string Text, string Resource, string? Binding, string Property);
}
