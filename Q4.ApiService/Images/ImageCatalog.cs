using System.ComponentModel;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Hybrid;
using Q4.ApiService.Infrastructure;

namespace Q4.ApiService.Images;

/// <summary>What serving an image needs from its row.</summary>
[ImmutableObject(true)]
public sealed record StoredImage(Guid Id, string ObjectKey, string ContentType, long Size);

/// <summary>
/// Image rows by id, cached in process: an image never changes, so serving it reads PostgreSQL once per id and
/// cache lifetime, not once per request. A row swept meanwhile is noticed when its object is missing.
/// </summary>
public sealed class ImageCatalog(HybridCache cache, CacheMetrics metrics, IServiceScopeFactory scopes)
{
    private static readonly HybridCacheEntryOptions EntryOptions = new()
    {
        Expiration = TimeSpan.FromHours(1),
        LocalCacheExpiration = TimeSpan.FromHours(1),
    };

    /// <summary>The image, or null when there is no such row.</summary>
    public ValueTask<StoredImage?> FindAsync(Guid imageId, CancellationToken cancellationToken) =>
        cache.GetOrLoadAsync(metrics, CacheMetrics.Images, $"image:{imageId}", scopes, imageId,
            static (db, id, ct) => db.Images.AsNoTracking().Where(i => i.Id == id)
                .Select(i => new StoredImage(i.Id, i.ObjectKey, i.ContentType, i.Size))
                .SingleOrDefaultAsync(ct),
            EntryOptions, cancellationToken);
}
