using System.ComponentModel.DataAnnotations;

namespace Q4.ApiService.Infrastructure;

/// <summary>Section <c>Cache</c>: the replica's in-process cache of auctions, images, users and search pages.</summary>
public sealed class CacheOptions
{
    public const string Section = "Cache";

    /// <summary>
    /// Bytes the cached entries may take at most, each counted as its serialized value plus its key and
    /// <see cref="InProcessCache.EntryOverhead"/>. A full cache drops its least recently used entries to make room.
    /// </summary>
    [Range(typeof(long), "1048576", "1099511627776")]
    public long SizeLimit { get; set; } = 64 * 1024 * 1024;
}
