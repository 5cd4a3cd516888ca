using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Q4.ApiService.Auctions;
using Q4.ApiService.Identity;
using Q4.ApiService.Infrastructure;
using Q4.Data;
using Q4.Data.Entities;
using Q4.Data.Options;

namespace Q4.ApiService.Images;

public sealed record UploadedImage(Guid Id, string Url);

public static class ImagesApi
{
    public const string FileField = "file";

    /// <summary>Room for the multipart boundaries and part headers around the file.</summary>
    private const int MultipartOverhead = 64 * 1024;

    /// <summary>An image's bytes never change under its id, so any cache may keep it for good.</summary>
    private const string ImmutableCaching = "public, max-age=31536000, immutable";

    public static IHostApplicationBuilder AddImages(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<ImagesOptions>(ImagesOptions.Section);
        builder.AddValidatedOptions<HousekeepingOptions>(HousekeepingOptions.Section);
        builder.Services.AddSingleton<ImageStore>();
        builder.Services.AddSingleton<ImageCatalog>();
        builder.Services.AddSingleton<UploadLimit>();
        builder.Services.AddSingleton<ImagesMetrics>();
        return builder;
    }

    public static RouteGroupBuilder MapImagesApi(this IEndpointRouteBuilder app)
    {
        var images = app.MapGroup("/images").WithTags("Images");
        images.MapPost("/", Upload).RequireAuthorization().RequireActiveUser()
            .Describe("uploadImage", "Upload a photo (JPEG, PNG, WebP or GIF) to attach to an auction by its id.")
            .AcceptsFile(FileField, "The image.")
            .Refuses(StatusCodes.Status400BadRequest, "validation", "invalid_request")
            .Refuses(StatusCodes.Status413PayloadTooLarge, "too_large")
            .Refuses(StatusCodes.Status415UnsupportedMediaType, "unsupported_type")
            .Refuses(StatusCodes.Status429TooManyRequests, "rate_limited");
        images.MapGet("/{id:guid}", GetImage)
            .Describe("getImage", "A photo's bytes; they never change under its id, so any cache may keep them.")
            .Produces<Stream>(StatusCodes.Status200OK, ImageFormats.Jpeg, ImageFormats.Png, ImageFormats.WebP, ImageFormats.Gif)
            .Produces(StatusCodes.Status304NotModified)
            .Refuses(StatusCodes.Status404NotFound, "not_found");
        return images;
    }

    /// <summary>
    /// The checks that need no body come first (type, declared length, the user's quota), then the file is read
    /// and judged by its bytes. The row is written before the object: should this process die in between, the
    /// row (whose id the client never learned) is swept with its missing object by housekeeping, whereas an object
    /// without a row would be found by nobody.
    /// </summary>
    private static async Task<Results<Created<UploadedImage>, ProblemHttpResult, ValidationProblem>> Upload(
        CurrentUser user, HttpContext context, UploadLimit limit, ImageStore store, Q4DbContext db, TimeProvider clock,
        IOptions<ImagesOptions> options, ImagesMetrics metrics, ILogger<ImageStore> logger, CancellationToken ct)
    {
        var settings = options.Value;
        if (MultipartFile.BoundaryOf(context.Request) is not { } boundary)
        {
            return UnsupportedType($"Send the image as multipart/form-data, in the field '{FileField}'.");
        }
        var maxBody = (long)settings.MaxBytes + MultipartOverhead;
        if (context.Request.ContentLength > maxBody)
        {
            return TooLarge(settings);
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = maxBody;
        }

        var (slot, retryAfter) = await limit.TryReserveAsync(user.Id);
        if (slot is null)
        {
            metrics.RateLimited();
            var seconds = (long)Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString();
            return Problems.Problem(StatusCodes.Status429TooManyRequests, "rate_limited", "Too many uploads.",
                $"At most {settings.UploadsPerHour} uploads an hour; the next one is possible in {seconds} s.");
        }

        var stored = false;
        try
        {
            var file = await MultipartFile.ReadAsync(context.Request, boundary, FileField, settings.MaxBytes, ct);
            switch (file.Failure)
            {
                case MultipartFile.Failure.TooLarge:
                    return TooLarge(settings);
                case MultipartFile.Failure.Missing:
                    return Problems.Validation(FileField, "Attach the image in the multipart field 'file'.");
                case MultipartFile.Failure.Malformed:
                    return Problems.Problem(StatusCodes.Status400BadRequest, "invalid_request", "The multipart body is malformed.");
            }
            var content = file.Content;
            if (content.Count == 0)
            {
                return Problems.Validation(FileField, "The file is empty.");
            }
            if (ImageFormats.Detect(content) is not { } contentType)
            {
                return UnsupportedType("Only JPEG, PNG, WebP and GIF images are accepted; the file's bytes are none of these.");
            }
            if (!ImageFormats.IsComplete(contentType, content))
            {
                return UnsupportedType($"The file starts like {contentType} but is truncated or damaged.");
            }

            var id = Guid.CreateVersion7();
            var image = new Image
            {
                Id = id,
                UploaderId = user.Id,
                ObjectKey = ImageStore.ObjectKey(user.Id, id),
                ContentType = contentType,
                Size = content.Count,
                CreatedAt = clock.GetUtcNow(),
            };
            db.Images.Add(image);
            await db.SaveChangesAsync(ct);
            try
            {
                await store.PutAsync(image.ObjectKey, content, contentType, ct);
            }
            catch (Exception e)
            {
                await ForgetAsync(db, image, logger, e);
                throw;
            }
            stored = true;
            metrics.Uploaded();
            return TypedResults.Created(ImageUrls.For(id), new UploadedImage(id, ImageUrls.For(id)));
        }
        finally
        {
            if (!stored)
            {
                // Only stored images use up the quota.
                await limit.ReleaseAsync(slot);
            }
        }
    }

    /// <summary>Takes back the row of an upload whose object could not be stored; if even that fails, housekeeping will.</summary>
    private static async Task ForgetAsync(Q4DbContext db, Image image, ILogger logger, Exception cause)
    {
        try
        {
            db.Images.Remove(image);
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Image {ImageId} was not stored ({Cause}) and its row could not be removed; housekeeping will.",
                image.Id, cause.Message);
        }
    }

    /// <summary>
    /// Served by the API, not by presigned URLs: the URL stays the same for good (auctions store it), the bucket stays
    /// private, the S3 server needs no public address, and the answer may be cached by any CDN.
    /// </summary>
    private static async Task<Results<ImageObjectResult, StatusCodeHttpResult, ProblemHttpResult>> GetImage(
        Guid id, HttpContext context, ImageCatalog catalog, ImageStore store, CancellationToken ct)
    {
        if (await catalog.FindAsync(id, ct) is not { } image)
        {
            return Problems.NotFound("The image");
        }
        var etag = new EntityTagHeaderValue($"\"{id:N}\"");
        var headers = context.Response.GetTypedHeaders();
        headers.ETag = etag;
        context.Response.Headers.CacheControl = ImmutableCaching;
        var ifNoneMatch = context.Request.GetTypedHeaders().IfNoneMatch;
        if (ifNoneMatch.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(etag, useStrongComparison: false)))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }
        return new ImageObjectResult(image, store);
    }

    private static ProblemHttpResult UnsupportedType(string detail) =>
        Problems.Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported_type", "This is not an accepted image.", detail);

    private static ProblemHttpResult TooLarge(ImagesOptions settings) =>
        Problems.Problem(StatusCodes.Status413PayloadTooLarge, "too_large", "The image is too large.",
            $"Images may have at most {settings.MaxBytes} bytes.");
}

/// <summary>Streams the image's object from S3; a row whose object is missing answers 404 like an unknown id.</summary>
public sealed class ImageObjectResult(StoredImage image, ImageStore store) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var found = await store.TryReadAsync(image.ObjectKey, async (content, ct) =>
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = image.ContentType;
            response.ContentLength = image.Size;
            await content.CopyToAsync(response.Body, ct);
        }, httpContext.RequestAborted);
        if (!found)
        {
            response.Headers.CacheControl = "no-store";
            response.Headers.ETag = default;
            await Problems.NotFound("The image").ExecuteAsync(httpContext);
        }
    }
}
