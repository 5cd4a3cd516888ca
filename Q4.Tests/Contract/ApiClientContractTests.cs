using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Q4.Frontend.Api;
using Q4.Tests.Images;

namespace Q4.Tests.Contract;

/// <summary>
/// The front end's API client (Q4.Frontend/Api) against the API's committed document: every request it can send is a
/// documented operation with documented parameters and body, and its models have the schemas' properties, types and
/// nullability. No graph: the client's requests are recorded as it sends them.
/// </summary>
public sealed class ApiClientContractTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>Client types with another name in the document.</summary>
    private static readonly Dictionary<Type, string> Renamed = new() { [typeof(CreateAuction)] = "CreateAuctionRequest" };

    /// <summary>The client's own types, which the API knows nothing of.</summary>
    private static readonly HashSet<Type> ClientOnly = [typeof(SearchQuery), typeof(ApiProblem)];

    [Fact]
    public async Task Every_request_of_the_api_client_is_a_documented_operation_with_documented_parameters_and_body()
    {
        var recorder = new Recorder();
        var client = new ApiClient(new HttpClient(recorder) { BaseAddress = new Uri("http://api.invalid/") });
        var methods = typeof(ApiClient).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => typeof(Task).IsAssignableFrom(m.ReturnType)).ToList();
        Assert.NotEmpty(methods);
        var problems = new List<string>();
        foreach (var method in methods)
        {
            foreach (var flag in new[] { true, false })
            {
                var before = recorder.Requests.Count;
                var arguments = method.GetParameters().Select(p => Sample(p.ParameterType, flag, p)).ToArray();
                try
                {
                    await (Task)method.Invoke(client, arguments)!;
                }
                catch (ApiProblem)
                {
                    // The recorder refuses everything; the request is what counts.
                }
                if (recorder.Requests.Count == before)
                {
                    problems.Add($"{method.Name} sent no request");
                }
            }
        }
        foreach (var request in recorder.Requests)
        {
            problems.AddRange(Check(request).Select(problem => $"{request.Method} {request.Uri}: {problem}"));
        }
        Assert.Empty(problems);
    }

    [Fact]
    public void The_api_clients_models_have_the_schemas_properties_types_and_nullability()
    {
        var models = typeof(ApiClient).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(ApiClient).Namespace && t.IsPublic && t.GetMethod("<Clone>$") is not null && !ClientOnly.Contains(t))
            .ToList();
        Assert.Contains(typeof(AuctionDetails), models);
        var problems = new List<string>();
        foreach (var model in models)
        {
            var closed = model.IsGenericTypeDefinition ? model.MakeGenericType(typeof(AuctionSummary)) : model;
            var schemaName = SchemaName(closed);
            if (ApiDocument.Read()["components"]!["schemas"]![schemaName] is not JsonObject schema)
            {
                problems.Add($"{closed.Name}: the document has no schema {schemaName}");
                continue;
            }
            problems.AddRange(Compare(closed, schema, isRequest: Renamed.ContainsKey(model)).Select(problem => $"{closed.Name} ({schemaName}): {problem}"));
        }
        Assert.Empty(problems);
    }

    private static string SchemaName(Type type) =>
        Renamed.TryGetValue(type, out var renamed) ? renamed
        : type.IsGenericType ? $"{type.Name[..type.Name.IndexOf('`')]}Of{string.Join("", type.GetGenericArguments().Select(SchemaName))}"
        : type.Name;

    /// <summary>Names both ways, and each property's type and nullability (a request's may be looser: the API answers a missing value in words).</summary>
    private static IEnumerable<string> Compare(Type model, JsonObject schema, bool isRequest)
    {
        var nullability = new NullabilityInfoContext();
        var properties = model.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.Name != "EqualityContract")
            .ToDictionary(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name));
        var documented = schema["properties"]!.AsObject();
        var required = (schema["required"]?.AsArray() ?? []).Select(n => (string)n!).ToHashSet();
        foreach (var name in documented.Select(p => p.Key).Except(properties.Keys))
        {
            yield return $"{name} is in the document, not in the client";
        }
        foreach (var (name, property) in properties)
        {
            if (documented[name] is not JsonObject propertySchema)
            {
                yield return $"{name} is in the client, not in the document";
                continue;
            }
            var documentedNullable = !required.Contains(name) || Types(propertySchema).Contains("null");
            var clientNullable = Nullable.GetUnderlyingType(property.PropertyType) is not null
                || nullability.Create(property).ReadState == NullabilityState.Nullable;
            if (!isRequest && documentedNullable != clientNullable)
            {
                yield return $"{name} is {(clientNullable ? "nullable" : "not nullable")} in the client, {(documentedNullable ? "nullable or optional" : "required and never null")} in the document";
            }
            if (TypeMismatch(Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType, propertySchema) is { } mismatch)
            {
                yield return $"{name}: {mismatch}";
            }
        }
    }

    /// <summary>The JSON types a schema allows; a nullable reference is <c>oneOf</c> null and the reference.</summary>
    private static string[] Types(JsonObject schema) => schema["type"] switch
    {
        JsonArray many => [.. many.Select(t => (string)t!)],
        JsonValue one => [(string)one!],
        _ => [.. (schema["oneOf"]?.AsArray() ?? []).SelectMany(option => Types(option!.AsObject()))],
    };

    /// <summary>A schema without its <c>oneOf</c> null: the reference it makes nullable.</summary>
    private static JsonObject NonNull(JsonObject schema) =>
        schema["oneOf"]?.AsArray().Select(option => option!.AsObject()).Where(option => !Types(option).SequenceEqual(["null"])).ToList() is [var only]
            ? only
            : schema;

    private static string? TypeMismatch(Type type, JsonObject schema)
    {
        schema = NonNull(schema);
        if (schema["$ref"] is { } reference)
        {
            var target = ((string)reference!).Split('/')[^1];
            return SchemaName(type) == target ? null : $"{type.Name} in the client, {target} in the document";
        }
        var types = Types(schema).Where(t => t != "null").ToArray();
        var format = (string?)schema["format"];
        var expected = type switch
        {
            _ when type == typeof(string) => ("string", null),
            _ when type == typeof(Guid) => ("string", "uuid"),
            _ when type == typeof(DateTimeOffset) => ("string", "date-time"),
            _ when type == typeof(long) => ("integer", "int64"),
            _ when type == typeof(int) => ("integer", "int32"),
            _ when type == typeof(bool) => ("boolean", null),
            _ when type.IsArray || (type.IsGenericType && type.GetInterfaces().Append(type).Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))) =>
                ("array", null),
            _ => ((string, string?)?)null,
        };
        if (expected is not { } want)
        {
            return $"the client's {type.Name} has no counterpart in JSON Schema";
        }
        if (types is not [var got] || got != want.Item1 || (want.Item2 is not null && format != want.Item2))
        {
            return $"{type.Name} in the client, {string.Join("|", types)}{(format is null ? "" : $" ({format})")} in the document";
        }
        if (want.Item1 == "array")
        {
            var item = type.IsArray ? type.GetElementType()! : type.GetGenericArguments()[0];
            return TypeMismatch(item, schema["items"]!.AsObject());
        }
        return null;
    }

    /// <summary>What a documented operation accepts: its query parameters, and its body's properties or fields.</summary>
    private static IEnumerable<string> Check(Recorded request)
    {
        var operation = ApiDocument.Find(request.Method, request.Uri.AbsolutePath);
        if (operation is null)
        {
            yield return "no operation of the document has this method and path";
            yield break;
        }
        foreach (var name in request.Query.Except(operation.QueryParameters))
        {
            yield return $"query parameter {name} is not one of {operation}";
        }
        if (request.ContentType is null)
        {
            if (operation.Node["requestBody"]?["required"]?.GetValue<bool>() == true)
            {
                yield return $"{operation} requires a body";
            }
            yield break;
        }
        if (operation.Node["requestBody"]?["content"]?[request.ContentType] is not { } content)
        {
            yield return $"{operation} takes no {request.ContentType} body";
            yield break;
        }
        var schema = content["schema"]!["$ref"] is { } reference
            ? ApiDocument.Schema(((string)reference!).Split('/')[^1])
            : content["schema"]!.AsObject();
        var accepted = schema["properties"]!.AsObject().Select(p => p.Key).ToHashSet();
        foreach (var field in request.Fields.Except(accepted))
        {
            yield return $"{field} is not a property of {operation}'s body";
        }
        foreach (var field in (schema["required"]?.AsArray() ?? []).Select(n => (string)n!).Except(request.Fields))
        {
            yield return $"{operation}'s body requires {field}";
        }
    }

    /// <summary>A value of <paramref name="type"/> for a call: every optional value present, so its parameter is sent too.</summary>
    private static object? Sample(Type type, bool flag, ParameterInfo? parameter = null)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        return underlying switch
        {
            _ when underlying == typeof(CancellationToken) => CancellationToken.None,
            _ when underlying == typeof(string) => parameter?.Name?.Contains("type", StringComparison.OrdinalIgnoreCase) == true ? "image/png" : "x",
            _ when underlying == typeof(Guid) => Guid.NewGuid(),
            _ when underlying == typeof(long) => 1L,
            _ when underlying == typeof(int) => 1,
            _ when underlying == typeof(bool) => flag,
            _ when underlying == typeof(DateTimeOffset) => DateTimeOffset.UtcNow.AddHours(1),
            _ when underlying == typeof(Stream) => new MemoryStream(ImageFiles.Png()),
            _ when underlying.IsGenericType && underlying.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) =>
                Array.CreateInstance(underlying.GetGenericArguments()[0], 1) is var array && array.Length == 1
                    ? SetFirst(array, Sample(underlying.GetGenericArguments()[0], flag)) : array,
            _ when underlying.GetConstructors().MaxBy(c => c.GetParameters().Length) is { } constructor =>
                constructor.Invoke([.. constructor.GetParameters().Select(p => Sample(p.ParameterType, flag, p))]),
            _ => throw new InvalidOperationException($"No sample of {type} for the API client's parameter {parameter?.Name}."),
        };
    }

    private static Array SetFirst(Array array, object? value)
    {
        array.SetValue(value, 0);
        return array;
    }

    private sealed record Recorded(string Method, Uri Uri, IReadOnlyList<string> Query, string? ContentType, IReadOnlyList<string> Fields);

    /// <summary>Keeps every request and refuses it as the API would refuse an unknown auction.</summary>
    private sealed class Recorder : HttpMessageHandler
    {
        public List<Recorded> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var query = request.RequestUri!.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
                .Select(pair => Uri.UnescapeDataString(pair.Split('=')[0])).ToList();
            var contentType = request.Content?.Headers.ContentType?.MediaType;
            List<string> fields = [];
            if (contentType == "application/json")
            {
                fields = [.. JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!.AsObject().Select(p => p.Key)];
            }
            else if (request.Content is MultipartFormDataContent multipart)
            {
                fields = [.. multipart.Select(part => part.Headers.ContentDisposition!.Name!.Trim('"'))];
            }
            Requests.Add(new Recorded(request.Method.Method, request.RequestUri, query, contentType, fields));
            return new HttpResponseMessage(HttpStatusCode.NotFound)
            {
                Content = new StringContent("""{"status":404,"title":"Not here.","code":"not_found"}""", Encoding.UTF8, "application/problem+json"),
            };
        }
    }
}
