using Microsoft.Extensions.Options;
using Q4.Data;
using Q4.Data.Options;
using StackExchange.Redis;

namespace Q4.ApiService.Images;

/// <summary>
/// <c>Images:UploadsPerHour</c> per user across all API replicas (upload-limit.lua). A slot is reserved before the
/// body is read and given back when the upload fails, so only stored images use up the quota.
/// </summary>
public sealed class UploadLimit(IConnectionMultiplexer redis, IOptions<ImagesOptions> options)
{
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);
    private static readonly EmbeddedLuaScript Script = new(typeof(UploadLimit).Assembly, "Q4.ApiService.Images.upload-limit.lua");

    /// <summary>A reserved slot; <see cref="ReleaseAsync"/> hands it back.</summary>
    public sealed record Slot(Guid UserId, string Member);

    /// <summary>The reserved slot, or null and how long until one frees up.</summary>
    public async Task<(Slot? Slot, TimeSpan RetryAfter)> TryReserveAsync(Guid userId)
    {
        var member = Guid.NewGuid().ToString("n");
        var reply = (RedisResult[])(await Script.EvaluateAsync(redis.GetDatabase(), [RedisKeys.ImageUploads(userId)],
            [options.Value.UploadsPerHour, (long)Window.TotalMilliseconds, member]))!;
        return (long)reply[0] == 1
            ? (new Slot(userId, member), TimeSpan.Zero)
            : (null, TimeSpan.FromMilliseconds((long)reply[1]));
    }

    public Task ReleaseAsync(Slot slot) => redis.GetDatabase().SortedSetRemoveAsync(RedisKeys.ImageUploads(slot.UserId), slot.Member);
}
