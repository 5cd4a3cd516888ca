using System.Buffers;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Q4.ApiService.Images;

/// <summary>
/// One file field of a multipart/form-data body, read straight from the request stream. Form binding
/// (<c>IFormFile</c>, <c>ReadFormAsync</c>) would first buffer the whole body, whatever its size; this stops as soon
/// as the file is one byte over the limit, and holds at most that much of it.
/// </summary>
public static class MultipartFile
{
    public enum Failure { None, Missing, TooLarge, Malformed }

    /// <summary>The file's bytes (in <c>Content</c>), or why there are none.</summary>
    public readonly record struct Result(ArraySegment<byte> Content, Failure Failure);

    /// <summary>The boundary of a multipart/form-data request, or null when the request is anything else.</summary>
    public static string? BoundaryOf(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
        && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
        && HeaderUtilities.RemoveQuotes(type.Boundary) is { Length: > 0 and <= 70 } boundary
            ? boundary.Value
            : null;

    public static async Task<Result> ReadAsync(HttpRequest request, string boundary, string field, int maxBytes, CancellationToken ct)
    {
        var reader = new MultipartReader(boundary, request.Body);
        try
        {
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                if (ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    && HeaderUtilities.RemoveQuotes(disposition.Name).Equals(field, StringComparison.Ordinal))
                {
                    return await ReadLimitedAsync(section.Body, maxBytes, ct);
                }
                // Other fields are skipped; the request's body size limit still bounds them.
                await section.Body.DrainAsync(ct);
            }
            return new Result(default, Failure.Missing);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new Result(default, Failure.TooLarge);
        }
        catch (Exception e) when (e is IOException or InvalidDataException && !ct.IsCancellationRequested)
        {
            return new Result(default, Failure.Malformed);
        }
    }

    private static async Task<Result> ReadLimitedAsync(Stream body, int maxBytes, CancellationToken ct)
    {
        var content = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = await body.ReadAsync(chunk, ct)) > 0)
            {
                content.Write(chunk, 0, read);
                if (content.Length > maxBytes)
                {
                    return new Result(default, Failure.TooLarge);
                }
            }
            return new Result(new ArraySegment<byte>(content.GetBuffer(), 0, (int)content.Length), Failure.None);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}
