using Microsoft.Extensions.Options;
using Minio;
using Minio.DataModel.Args;
using Minio.Exceptions;
using Q4.Data.Options;

namespace Q4.ApiService.Images;

/// <summary>The images' objects in the S3 bucket <c>Images:Bucket</c>, which is created on first use if missing.</summary>
public sealed class ImageStore(IMinioClient minio, IOptions<ImagesOptions> options, ILogger<ImageStore> logger)
{
    private readonly SemaphoreSlim _bucketCheck = new(1, 1);
    private volatile bool _bucketExists;

    private string Bucket => options.Value.Bucket;

    /// <summary>Keys start with the uploader, so one user's objects can be listed (and audited) by prefix.</summary>
    public static string ObjectKey(Guid uploaderId, Guid imageId) => $"users/{uploaderId}/{imageId}";

    public async Task PutAsync(string key, ArraySegment<byte> content, string contentType, CancellationToken cancellationToken)
    {
        await EnsureBucketAsync(cancellationToken);
        using var stream = new MemoryStream(content.Array!, content.Offset, content.Count, writable: false);
        await minio.PutObjectAsync(new PutObjectArgs().WithBucket(Bucket).WithObject(key)
            .WithStreamData(stream).WithObjectSize(content.Count).WithContentType(contentType), cancellationToken);
    }

    /// <summary>Hands the object's content to <paramref name="write"/>; false, without calling it, when the object is missing.</summary>
    public async Task<bool> TryReadAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        try
        {
            await minio.GetObjectAsync(new GetObjectArgs().WithBucket(Bucket).WithObject(key).WithCallbackStream(write), cancellationToken);
            return true;
        }
        catch (Exception e) when (e is ObjectNotFoundException or BucketNotFoundException)
        {
            return false;
        }
    }

    public Task RemoveAsync(string key, CancellationToken cancellationToken) =>
        minio.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(Bucket).WithObject(key), cancellationToken);

    private async Task EnsureBucketAsync(CancellationToken cancellationToken)
    {
        if (_bucketExists)
        {
            return;
        }
        await _bucketCheck.WaitAsync(cancellationToken);
        try
        {
            if (!_bucketExists && !await minio.BucketExistsAsync(new BucketExistsArgs().WithBucket(Bucket), cancellationToken))
            {
                try
                {
                    await minio.MakeBucketAsync(new MakeBucketArgs().WithBucket(Bucket), cancellationToken);
                    logger.LogInformation("Created the image bucket {Bucket}.", Bucket);
                }
                catch (MinioException)
                {
                    // Another replica may have created it at the same moment; anything else fails the upload.
                    if (!await minio.BucketExistsAsync(new BucketExistsArgs().WithBucket(Bucket), cancellationToken))
                    {
                        throw;
                    }
                }
            }
            _bucketExists = true;
        }
        finally
        {
            _bucketCheck.Release();
        }
    }
}
