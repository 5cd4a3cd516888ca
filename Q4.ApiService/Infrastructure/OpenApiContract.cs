using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.OpenApi;

namespace Q4.ApiService.Infrastructure;

/// <summary>
/// The API's OpenAPI document (<c>/openapi/v1.json</c>, and <c>Q4.ApiService.json</c> written at build): it says what
/// the API does, not only what its handlers' types suggest. Endpoints name their refusals with
/// <see cref="Refuses{TBuilder}"/>; every refusal is a <c>Problem</c> with its <c>code</c>; operations that need a
/// signed-in user carry the bearer scheme and their 401 (and 403 for a role) by themselves.
/// </summary>
public static partial class OpenApiContract
{
    public const string DocumentName = "v1";
    public const string BearerScheme = "bearer";
    public const string ProblemSchema = "Problem";
    public const string ProblemContentType = "application/problem+json";

    /// <summary>
    /// True while the build runs the API to write its document: then nothing reaches a store, so placeholder
    /// connection strings stand in for the graph's.
    /// </summary>
    public static bool IsWritingDocument => Assembly.GetEntryAssembly()?.GetName().Name == "GetDocument.Insider";

    private static readonly Dictionary<string, string?> Placeholders = new()
    {
        ["ConnectionStrings:redis"] = "localhost:1,abortConnect=false,connectTimeout=1",
        ["ConnectionStrings:q4db"] = "Host=localhost;Port=1;Database=none;Username=none",
        ["ConnectionStrings:storage"] = "Endpoint=http://localhost:1;AccessKey=none;SecretKey=none",
        ["Identity:Issuers:0"] = "http://localhost:1/realms/q4",
    };

    /// <summary>Numbers are numbers: a request that sends one as a string is refused, and the document says integer.</summary>
    public static IHostApplicationBuilder AddApiContract(this IHostApplicationBuilder builder)
    {
        if (IsWritingDocument)
        {
            builder.Configuration.AddInMemoryCollection(Placeholders);
        }
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        builder.Services.AddOpenApi(DocumentName, options =>
        {
            options.AddDocumentTransformer((document, _, _) => DescribeDocument(document));
            options.AddOperationTransformer((operation, context, _) => DescribeOperation(operation, context));
            options.AddSchemaTransformer((schema, context, _) => DescribeSchema(schema, context));
        });
        return builder;
    }

    /// <summary>
    /// While the build writes the document, the API runs without its background work (subscriptions, listeners), which
    /// would only try to reach the placeholder stores. Call it last, once everything is registered.
    /// </summary>
    public static IHostApplicationBuilder WithoutBackgroundWorkWhileWritingDocument(this IHostApplicationBuilder builder)
    {
        if (IsWritingDocument)
        {
            builder.Services.RemoveAll<IHostedService>();
        }
        return builder;
    }

    /// <summary>An answer other than success the endpoint gives, with the <c>code</c>s it may carry.</summary>
    public sealed record Refusal(int Status, IReadOnlyList<string> Codes);

    /// <summary>Declares that the endpoint answers <paramref name="status"/> with a Problem of one of <paramref name="codes"/>.</summary>
    public static TBuilder Refuses<TBuilder>(this TBuilder builder, int status, params string[] codes)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new Refusal(status, codes));

    /// <summary>The operation's id (for generated clients) and one-line summary.</summary>
    public static TBuilder Describe<TBuilder>(this TBuilder builder, string operationId, string summary, string? description = null)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.WithName(operationId).WithSummary(summary);
        return description is null ? builder : builder.WithDescription(description);
    }

    /// <summary>What a parameter the handler reads as text (to answer a bad value in words) must be to be valid.</summary>
    public sealed record ParameterSchema(string Name, Func<OpenApiSchema>? Schema, bool Required = false, string? Description = null);

    /// <summary>What the parameter means, and optionally what it must be.</summary>
    public static TBuilder Explains<TBuilder>(this TBuilder builder, string parameter, string description, int? maxLength = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ParameterSchema(parameter,
            maxLength is { } max ? () => new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = max } : null,
            Description: description));

    /// <summary>The parameter takes one of <paramref name="values"/>.</summary>
    public static TBuilder AllowsValues<TBuilder>(this TBuilder builder, string parameter, IEnumerable<string> values)
        where TBuilder : IEndpointConventionBuilder
    {
        var allowed = values.ToList();
        return builder.WithMetadata(new ParameterSchema(parameter, () => Strings(allowed)));
    }

    /// <summary>The endpoint answers a page at a time (<see cref="Pagination"/>): its <c>limit</c> and <c>cursor</c>.</summary>
    public static TBuilder Paged<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder => builder
        .WithMetadata(new ParameterSchema("limit",
            () => new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Minimum = "1", Maximum = Pagination.MaxLimit.ToString() },
            Description: $"Items a page (default {Pagination.DefaultLimit})."))
        .WithMetadata(new ParameterSchema("cursor", null, Description: "The previous page's nextCursor, for the page after it."));

    /// <summary>The parameters are whole numbers (64-bit).</summary>
    public static TBuilder TakesInt64<TBuilder>(this TBuilder builder, params string[] parameters)
        where TBuilder : IEndpointConventionBuilder
    {
        foreach (var parameter in parameters)
        {
            builder.WithMetadata(new ParameterSchema(parameter, Int64));
        }
        return builder;
    }

    /// <summary>The parameter is a list of up to <paramref name="max"/> UUIDs, separated by commas or repeated.</summary>
    public static TBuilder TakesIds<TBuilder>(this TBuilder builder, string parameter, int max)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ParameterSchema(parameter, () => new OpenApiSchema
        {
            Type = JsonSchemaType.Array,
            MinItems = 1,
            MaxItems = max,
            Items = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" },
        }, Required: true));

    private static OpenApiSchema Int64() => new() { Type = JsonSchemaType.Integer, Format = "int64" };

    private static OpenApiSchema Strings(IEnumerable<string> values) => new()
    {
        Type = JsonSchemaType.String,
        Enum = [.. values.Select(value => (JsonNode)JsonValue.Create(value))],
    };

    /// <summary>A request body the handler reads itself, described by its media type and schema.</summary>
    public sealed record RawBody(string ContentType, Func<OpenApiSchema> Schema);

    /// <summary>The endpoint reads a <c>multipart/form-data</c> body with one file in <paramref name="field"/>.</summary>
    public static TBuilder AcceptsFile<TBuilder>(this TBuilder builder, string field, string description)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RawBody("multipart/form-data", () => new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { field },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                [field] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", Description = description },
            },
        }));

    /// <summary>A JSON property the handler reads leniently (to answer a bad value in words) but that must be an int64.</summary>
    [AttributeUsage(AttributeTargets.Property)]
    public sealed class Int64Attribute : Attribute;

    /// <summary>A string property that is always one of <see cref="Values"/>.</summary>
    [AttributeUsage(AttributeTargets.Property)]
    public sealed class OneOfAttribute(params string[] values) : Attribute
    {
        public IReadOnlyList<string> Values { get; } = values;
    }

    /// <summary>
    /// The properties of a request a valid one must have. The type's properties stay nullable in C# so that a missing one
    /// is answered as a validation error by name; the document says what is required and that none of them is null.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class)]
    public sealed class RequiredPropertiesAttribute(params string[] names) : Attribute
    {
        public IReadOnlyList<string> Names { get; } = names;
    }

    private static Task DescribeDocument(OpenApiDocument document)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Q4 auctions API",
            Version = DocumentName,
            Description = "Auctions, bids, live events, images and accounts. Every refusal is `application/problem+json` " +
                "with a machine-readable `code` (and `errors` by field for `validation`). Amounts are 64-bit integer " +
                "counts of the smallest currency unit (cents); times are ISO-8601 UTC.",
        };
        // The API is reached through whatever origin serves it (a load balancer, the front end): never one replica's
        // own address.
        document.Servers = [new OpenApiServer { Url = "/", Description = "The origin that serves this document." }];
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "An access token of the Q4 realm's OpenID Connect provider (audience `q4-api`).",
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ProblemSchema] = Problem();
        document.Components.Schemas.Remove("ProblemDetails");
        document.Components.Schemas.Remove("HttpValidationProblemDetails");
        RemoveUnusedSchemas(document);
        document.Tags = new HashSet<OpenApiTag>
        {
            new() { Name = "Auctions", Description = "Listing, search, bids and live events." },
            new() { Name = "Images", Description = "Photos of auctions." },
            new() { Name = "Me", Description = "The signed-in user's account, bids and auctions." },
            new() { Name = "Admin", Description = "Users, for administrators." },
        };
        return Task.CompletedTask;
    }

    /// <summary>Drops the component schemas nothing refers to any more (those the descriptions above replaced).</summary>
    private static void RemoveUnusedSchemas(OpenApiDocument document)
    {
        var schemas = document.Components!.Schemas!;
        var used = new HashSet<string>();
        var pending = new Queue<string>([Json(document.Paths)]);
        while (pending.TryDequeue(out var json))
        {
            foreach (System.Text.RegularExpressions.Match reference in SchemaReference().Matches(json))
            {
                var name = reference.Groups[1].Value;
                if (used.Add(name) && schemas.TryGetValue(name, out var schema))
                {
                    pending.Enqueue(Json(schema));
                }
            }
        }
        foreach (var name in schemas.Keys.Where(name => !used.Contains(name)).ToList())
        {
            schemas.Remove(name);
        }
    }

    private static string Json(IOpenApiSerializable element)
    {
        using var text = new StringWriter();
        element.SerializeAsV31(new OpenApiJsonWriter(text));
        return text.ToString();
    }

    [System.Text.RegularExpressions.GeneratedRegex("#/components/schemas/([^\"/]+)")]
    private static partial System.Text.RegularExpressions.Regex SchemaReference();

    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "RFC 9457 problem details, with the refusal's `code`.",
        Required = new HashSet<string> { "code", "status", "title" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What went wrong, in words." },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Machine-readable: what the client can act on." },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "For `validation`: the messages for each failing field.",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
        },
        AdditionalProperties = new OpenApiSchema { Description = "Facts of the refusal, such as `minimumBid` of `bid_too_low`." },
    };

    private static Task DescribeOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        operation.Responses ??= new OpenApiResponses();
        // What the handlers' types suggest for errors is replaced by what they are documented to answer.
        foreach (var status in operation.Responses.Keys.Where(status => status.StartsWith('4') || status.StartsWith('5')).ToList())
        {
            operation.Responses.Remove(status);
        }
        var refusals = metadata.OfType<Refusal>().ToList();
        var authorize = metadata.OfType<IAuthorizeData>().ToList();
        if (authorize.Count > 0 && !metadata.OfType<IAllowAnonymous>().Any())
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] }];
            refusals.Add(new Refusal(StatusCodes.Status401Unauthorized, ["unauthorized"]));
            if (authorize.Any(a => a.Policy is not null || a.Roles is not null))
            {
                refusals.Add(new Refusal(StatusCodes.Status403Forbidden, ["forbidden"]));
            }
        }
        else
        {
            // Said outright: anyone may call it, signed in or not.
            operation.Security = [new OpenApiSecurityRequirement()];
        }
        // Any endpoint may find a store away for a moment (StoreOutageHandler).
        refusals.Add(new Refusal(StatusCodes.Status503ServiceUnavailable, ["unavailable"]));
        foreach (var group in refusals.GroupBy(r => r.Status).OrderBy(g => g.Key))
        {
            var codes = group.SelectMany(r => r.Codes).Distinct().ToList();
            operation.Responses[group.Key.ToString()] = new OpenApiResponse
            {
                Description = $"{ReasonPhrase(group.Key)}: `code` {string.Join(", ", codes.Select(code => $"`{code}`"))}.",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    [ProblemContentType] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, context.Document) },
                },
                Headers = group.Key is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable
                    ? new Dictionary<string, IOpenApiHeader>
                    {
                        ["Retry-After"] = new OpenApiHeader
                        {
                            Description = "Seconds to wait before trying again.",
                            Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Minimum = "1" },
                        },
                    }
                    : null,
            };
        }
        if (operation.Responses.TryGetValue("201", out var created) && created is OpenApiResponse createdResponse)
        {
            createdResponse.Headers ??= new Dictionary<string, IOpenApiHeader>();
            createdResponse.Headers["Location"] = new OpenApiHeader
            {
                Description = "Where the created resource is.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri-reference" },
            };
        }
        foreach (var described in metadata.OfType<ParameterSchema>())
        {
            if (operation.Parameters?.FirstOrDefault(p => p.Name == described.Name) is OpenApiParameter parameter)
            {
                parameter.Schema = described.Schema?.Invoke() ?? parameter.Schema;
                parameter.Required |= described.Required;
                parameter.Description = described.Description ?? parameter.Description;
            }
        }
        if (operation.Responses.TryGetValue("200", out var ok) && ok is OpenApiResponse { Content: { } content }
            && content.ContainsKey("text/event-stream"))
        {
            ok.Description = "Server-sent events, for as long as the client stays.";
        }
        if (metadata.OfType<RawBody>().LastOrDefault() is { } body)
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType> { [body.ContentType] = new() { Schema = body.Schema() } },
            };
        }
        return Task.CompletedTask;
    }

    private static Task DescribeSchema(OpenApiSchema schema, OpenApiSchemaTransformerContext context)
    {
        if (context.JsonPropertyInfo is null && schema.Properties is not null)
        {
            // Described here, on the type, so that a shared schema (JsonElement's, string's) is left alone.
            foreach (var property in context.JsonTypeInfo.Properties)
            {
                if (property.AttributeProvider?.IsDefined(typeof(Int64Attribute), true) == true)
                {
                    schema.Properties[property.Name] = Int64();
                }
                else if (property.AttributeProvider?.GetCustomAttributes(typeof(OneOfAttribute), true) is [OneOfAttribute oneOf, ..])
                {
                    schema.Properties[property.Name] = Strings(oneOf.Values);
                }
            }
        }
        if (context.JsonTypeInfo.Type.GetCustomAttribute<RequiredPropertiesAttribute>() is { } required && schema.Properties is not null)
        {
            schema.Required = new HashSet<string>(required.Names);
            foreach (var (name, property) in schema.Properties)
            {
                if (property is OpenApiSchema { Type: { } type } concrete)
                {
                    concrete.Type = type & ~JsonSchemaType.Null;
                }
            }
        }
        return Task.CompletedTask;
    }

    private static string ReasonPhrase(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : status.ToString();
}
