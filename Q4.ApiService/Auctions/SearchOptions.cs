using System.ComponentModel.DataAnnotations;

namespace Q4.ApiService.Auctions;

/// <summary>Section <c>Search</c>.</summary>
public sealed class SearchOptions
{
    public const string Section = "Search";

    /// <summary>
    /// How long a replica reuses the rows PostgreSQL found for one exact query (same words, filters, order, limit
    /// and cursor) before asking again; zero asks every time. The live values shown with them are read fresh from
    /// Redis on every request either way. A second is about what PostgreSQL trails the bid stream by anyway.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan PageCacheLifetime { get; set; } = TimeSpan.FromSeconds(1);
}
