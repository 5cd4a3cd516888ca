using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Q4.Dashboard.Telemetry;

/// <summary>
/// A telemetry answer that goes on (<c>follow=true</c>): NDJSON, one OTLP JSON document of one item a line; first the
/// page already read, then, each time the store takes something newer, what of it matches. It ends when the caller
/// goes away.
/// </summary>
public sealed class Follow<T>(Matches<T> first, Func<long, Matches<T>> newer, Func<IEnumerable<T>, object> toJson) : IResult
{
    public const string ContentType = "application/x-ndjson";

    /// <summary>What ends each item's line: one buffer for every item of every reader.</summary>
    private static readonly ReadOnlyMemory<byte> NewLine = "\n"u8.ToArray();

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var stopping = httpContext.RequestAborted;
        var store = httpContext.RequestServices.GetRequiredService<TelemetryStore>();
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-cache";
        var page = first;
        try
        {
            while (true)
            {
                foreach (var item in page.Items)
                {
                    await JsonSerializer.SerializeAsync(response.Body, toJson([item]), JsonSerializerOptions.Web, stopping);
                    await response.Body.WriteAsync(NewLine, stopping);
                }
                await response.Body.FlushAsync(stopping);
                await store.WaitForNewerAsync(page.Position, stopping);
                page = newer(page.Position);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The caller stopped following.
        }
    }
}
