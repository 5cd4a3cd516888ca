using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Q4.ApiService.Infrastructure;

/// <summary>
/// The replica's one in-process cache: HybridCache over a <see cref="MemoryCache"/> with a size limit
/// (<see cref="CacheOptions.SizeLimit"/>), so no flood of distinct ids, users or searches can grow it without end.
/// </summary>
public static class InProcessCache
{
    /// <summary>
    /// What an entry holds beyond its value and key: the cache's entry, HybridCache's wrapper around the value and a
    /// slot in the cache's dictionary. Measured as the growth per remembered unknown id (about 0.9 KB, key included).
    /// </summary>
    public const long EntryOverhead = 1024;

    public static IHostApplicationBuilder AddInProcessCache(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<CacheOptions>(CacheOptions.Section);
        // Registered first: AddHybridCache only adds its own unbounded memory cache when there is none.
        builder.Services.AddSingleton<IMemoryCache, SizedMemoryCache>();
        builder.Services.AddHybridCache();
        builder.Services.AddSingleton<CacheMetrics>();
        return builder;
    }

    /// <summary>
    /// HybridCache gives each entry of its local cache the size of the entry's serialized value only: a remembered
    /// miss (<c>null</c>, four bytes) or an empty page of search results would count as almost nothing while the
    /// entry really takes a kilobyte or more. Here every entry also counts its key and <see cref="EntryOverhead"/>,
    /// so the limit holds for small entries as well as large ones.
    /// </summary>
    private sealed class SizedMemoryCache(IOptions<CacheOptions> options) : IMemoryCache
    {
        private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = options.Value.SizeLimit });

        public ICacheEntry CreateEntry(object key) =>
            new SizedEntry(_cache.CreateEntry(key), EntryOverhead + (key is string text ? text.Length * sizeof(char) : 0));

        public bool TryGetValue(object key, out object? value) => _cache.TryGetValue(key, out value);

        public void Remove(object key) => _cache.Remove(key);

        public MemoryCacheStatistics? GetCurrentStatistics() => _cache.GetCurrentStatistics();

        public void Dispose() => _cache.Dispose();
    }

    /// <summary>An entry whose size is what its owner sets plus a fixed amount; without one set, just that amount.</summary>
    private sealed class SizedEntry : ICacheEntry
    {
        private readonly ICacheEntry _entry;
        private readonly long _extra;

        public SizedEntry(ICacheEntry entry, long extra)
        {
            _entry = entry;
            _extra = extra;
            entry.Size = extra;
        }

        public long? Size
        {
            get => _entry.Size - _extra;
            set => _entry.Size = (value ?? 0) + _extra;
        }

        public object Key => _entry.Key;

        public object? Value { get => _entry.Value; set => _entry.Value = value; }

        public DateTimeOffset? AbsoluteExpiration { get => _entry.AbsoluteExpiration; set => _entry.AbsoluteExpiration = value; }

        public TimeSpan? AbsoluteExpirationRelativeToNow
        {
            get => _entry.AbsoluteExpirationRelativeToNow;
            set => _entry.AbsoluteExpirationRelativeToNow = value;
        }

        public TimeSpan? SlidingExpiration { get => _entry.SlidingExpiration; set => _entry.SlidingExpiration = value; }

        public IList<IChangeToken> ExpirationTokens => _entry.ExpirationTokens;

        public IList<PostEvictionCallbackRegistration> PostEvictionCallbacks => _entry.PostEvictionCallbacks;

        public CacheItemPriority Priority { get => _entry.Priority; set => _entry.Priority = value; }

        /// <summary>Adds the entry to the cache, as disposing a <see cref="MemoryCache"/> entry does.</summary>
        public void Dispose() => _entry.Dispose();
    }
}
