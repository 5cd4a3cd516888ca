using System.ComponentModel;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Hybrid;
using Q4.Data;

namespace Q4.ApiService.Images;

/// <summary>What serving an image needs from its row.</summary>
[ImmutableObject(true)]
public sealed record StoredImage(Guid Id, string ObjectKey, string ContentType, long Size);

/// <summary>
/// Image rows by id, cached in process: an image never changes, so serving it reads PostgreSQL once per id and
/// cache lifetime, not once per request. A row swept meanwhile is noticed when its object is missing.
/// </summary>
public sealed class ImageCatalog(HybridCache cache, IServiceScopeFactory scopes)
{
    private static readonly HybridCacheEntryOptions EntryOptions = new()
    {
        Expiration = TimeSpan.FromHours(1),
        LocalCacheExpiration = TimeSpan.FromHours(1),
    };

    /// <summary>The image, or null when there is no such row (remembered too: ids are never reused).</summary>
    public ValueTask<StoredImage?> FindAsync(Guid imageId, CancellationToken cancellationToken) =>
        cache.GetOrCreateAsync($"image:{imageId}", (imageId, scopes),
            static (state, ct) => LoadAsync(state.imageId, state.scopes, ct), EntryOptions, cancellationToken: cancellationToken);

    private static async ValueTask<StoredImage?> LoadAsync(Guid imageId, IServiceScopeFactory scopes, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Q4DbContext>();
        return await db.Images.AsNoTracking().Where(i => i.Id == imageId)
            .Select(i => new StoredImage(i.Id, i.ObjectKey, i.ContentType, i.Size))
            .SingleOrDefaultAsync(ct);
    }
}
