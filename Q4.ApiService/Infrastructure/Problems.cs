using Microsoft.AspNetCore.Http.HttpResults;

namespace Q4.ApiService.Infrastructure;

/// <summary>
/// Every error Q4 answers is RFC 7807 ProblemDetails with a machine-readable <c>code</c>. Errors the endpoints
/// raise name their own code; the ones ASP.NET Core raises itself (401, 403, 404 of an unknown route, a query
/// value that does not parse) get one from their status here.
/// </summary>
public static class Problems
{
    public const string CodeKey = "code";

    public static IServiceCollection AddQ4ProblemDetails(this IServiceCollection services) => services
        // A body or query value that does not bind is a 400 answered like any other, in every environment.
        .Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = false)
        .AddExceptionHandler<StoreOutageHandler>()
        .AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var status = context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode;
            context.ProblemDetails.Extensions.TryAdd(CodeKey, status switch
            {
                StatusCodes.Status400BadRequest => "invalid_request",
                StatusCodes.Status401Unauthorized => "unauthorized",
                StatusCodes.Status403Forbidden => "forbidden",
                StatusCodes.Status404NotFound => "not_found",
                StatusCodes.Status405MethodNotAllowed => "method_not_allowed",
                StatusCodes.Status413PayloadTooLarge => "too_large",
                StatusCodes.Status415UnsupportedMediaType => "unsupported_type",
                StatusCodes.Status429TooManyRequests => "rate_limited",
                StatusCodes.Status503ServiceUnavailable => "unavailable",
                _ => "server_error",
            });
        });

    public static ProblemHttpResult Problem(int status, string code, string title, string? detail = null,
        IEnumerable<KeyValuePair<string, object?>>? extensions = null) =>
        TypedResults.Problem(detail, statusCode: status, title: title,
            extensions: new Dictionary<string, object?>(extensions ?? []) { [CodeKey] = code });

    public static ProblemHttpResult NotFound(string what) =>
        Problem(StatusCodes.Status404NotFound, "not_found", $"{what} does not exist.");

    /// <summary>400 <c>validation</c>, with the failing fields in <c>errors</c>.</summary>
    public static ValidationProblem Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "The request is not valid.",
            extensions: new Dictionary<string, object?> { [CodeKey] = "validation" });

    public static ValidationProblem Validation(string field, string error) =>
        Validation(new Dictionary<string, string[]> { [field] = [error] });

    public static ProblemHttpResult InvalidQuery(string detail) =>
        Problem(StatusCodes.Status400BadRequest, "invalid_query", "The query is not valid.", detail);
}
