using Microsoft.AspNetCore.Diagnostics;
using Npgsql;
using StackExchange.Redis;

namespace Q4.ApiService.Infrastructure;

/// <summary>
/// A store that does not answer (Redis timing out or unreachable, PostgreSQL down or restarting) is a 503
/// <c>unavailable</c> with <c>Retry-After</c>, not a 500: the request was fine and is worth sending again. A bid that
/// timed out may still have been accepted, so the answer says to retry with the same Idempotency-Key, which returns
/// the first decision.
/// </summary>
internal sealed class StoreOutageHandler(IProblemDetailsService problems, ILogger<StoreOutageHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsOutage(exception))
        {
            return false;
        }
        logger.LogWarning("{Method} {Path} failed because a store is unavailable: {Message}",
            context.Request.Method, context.Request.Path, exception.Message);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "1";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "A data store is not answering right now.",
                Detail = "Try again in a moment. A bid sent with an Idempotency-Key may have been accepted: send it again with the same key to learn its outcome.",
                Extensions = { [Problems.CodeKey] = "unavailable" },
            },
        });
    }

    private static bool IsOutage(Exception exception) => exception switch
    {
        RedisConnectionException or RedisTimeoutException => true,
        NpgsqlException npgsql => npgsql.IsTransient,
        TimeoutException => true,
        _ => exception.InnerException is { } inner && IsOutage(inner),
    };
}
