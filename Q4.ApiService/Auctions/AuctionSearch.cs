using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using NpgsqlTypes;
using Q4.ApiService.Infrastructure;

namespace Q4.ApiService.Auctions;

/// <summary>The query string of <c>GET /auctions</c>, as sent; <see cref="AuctionSearch.TryParse"/> checks it.</summary>
public sealed record AuctionSearchRequest(
    [FromQuery(Name = "q")] string? Text,
    [FromQuery(Name = "status")] string? Status,
    [FromQuery(Name = "minPrice")] string? MinPrice,
    [FromQuery(Name = "maxPrice")] string? MaxPrice,
    [FromQuery(Name = "sort")] string? Sort,
    [FromQuery(Name = "limit")] int? Limit,
    [FromQuery(Name = "cursor")] string? Cursor);

/// <summary>A search that passed every check: what to match, in which order, how many, and after which row.</summary>
public sealed record AuctionSearchQuery(
    string? Text, string? Status, long? MinPrice, long? MaxPrice, SearchOrder Order, int Take, SearchCursor? After);

/// <summary>
/// A sort order of the search: the column it walks, which way, and its name in <c>sort=</c>. Each column has a
/// B-tree index ending in the id, read forwards or backwards, so a page costs the same wherever it starts.
/// Relevance has no index of its own: it ranks the rows the full-text (GIN) index matched.
/// </summary>
public sealed record SearchOrder(string Name, string Column, SearchKey Key, bool Descending)
{
    public static readonly SearchOrder EndsAt = new("endsAt", "a.ends_at", SearchKey.Time, false);
    public static readonly SearchOrder EndsAtDescending = new("-endsAt", "a.ends_at", SearchKey.Time, true);
    public static readonly SearchOrder Price = new("price", "a.current_price", SearchKey.Price, false);
    public static readonly SearchOrder PriceDescending = new("-price", "a.current_price", SearchKey.Price, true);
    public static readonly SearchOrder CreatedAt = new("createdAt", "a.created_at", SearchKey.Time, false);
    public static readonly SearchOrder CreatedAtDescending = new("-createdAt", "a.created_at", SearchKey.Time, true);
    public static readonly SearchOrder Relevance = new("relevance", "ts_rank(a.search, q)", SearchKey.Rank, true);

    public static readonly IReadOnlyList<SearchOrder> All =
        [EndsAt, EndsAtDescending, Price, PriceDescending, CreatedAt, CreatedAtDescending, Relevance];
}

public enum SearchKey
{
    Time,
    Price,
    Rank,
}

/// <summary>
/// Where a page ended: the order it was sorted by, the last row's sort key and its id. Exactly the field of the
/// order's key is set; a cursor for another order, or with another field, was not made by this endpoint.
/// </summary>
public sealed record SearchCursor(string Sort, Guid Id, DateTimeOffset? At = null, long? Price = null, float? Rank = null)
{
    public bool Fits(SearchOrder order) => Sort == order.Name && order.Key switch
    {
        SearchKey.Time => At is not null && Price is null && Rank is null,
        SearchKey.Price => Price is not null && At is null && Rank is null,
        _ => Rank is not null && At is null && Price is null,
    };
}

/// <summary>One auction the search found, as PostgreSQL has it, and the cursor that would continue after it.</summary>
[ImmutableObject(true)]
public sealed record SearchRow(
    Guid Id, string Title, long CurrentPrice, int BidCount, DateTimeOffset StartsAt, DateTimeOffset EndsAt, bool Closed,
    Guid? Thumbnail, SearchCursor Key);

/// <summary>
/// <c>GET /auctions</c>: full-text search, status and price filters, and keyset pagination in seven orders, as one
/// hand-written SQL statement. Prices and statuses are filtered and sorted on what PostgreSQL holds, which trails
/// the live state in Redis by the sync service's lag (under a second).
/// </summary>
public static class AuctionSearch
{
    public const int MaxTextLength = 200;

    private const string TextSearchConfiguration = "english";

    /// <summary>Checks every parameter; false with the 400 answer (<c>invalid_query</c> or <c>invalid_cursor</c>).</summary>
    public static bool TryParse(AuctionSearchRequest request, [NotNullWhen(true)] out AuctionSearchQuery? query,
        [NotNullWhen(false)] out ProblemHttpResult? problem)
    {
        query = null;
        var text = string.IsNullOrWhiteSpace(request.Text) ? null : request.Text.Trim();
        if (text is not null && (text.Length > MaxTextLength || text.Any(Text.IsControl)))
        {
            problem = Problems.InvalidQuery($"q must be at most {MaxTextLength} characters, without control characters.");
            return false;
        }
        if (request.Status is not (null or AuctionStatusNames.Upcoming or AuctionStatusNames.Live or AuctionStatusNames.Ended))
        {
            problem = Problems.InvalidQuery("status must be upcoming, live or ended.");
            return false;
        }
        if (!TryParsePrice(request.MinPrice, "minPrice", out var minPrice, out problem)
            || !TryParsePrice(request.MaxPrice, "maxPrice", out var maxPrice, out problem))
        {
            return false;
        }
        if (minPrice > maxPrice)
        {
            problem = Problems.InvalidQuery("minPrice must not be greater than maxPrice.");
            return false;
        }
        // With words to match, the best matches come first unless asked otherwise; without, the newest listings.
        var order = request.Sort is null
            ? text is null ? SearchOrder.CreatedAtDescending : SearchOrder.Relevance
            : SearchOrder.All.FirstOrDefault(o => o.Name == request.Sort);
        if (order is null || (order == SearchOrder.Relevance && text is null))
        {
            problem = Problems.InvalidQuery(
                $"sort must be one of {string.Join(", ", SearchOrder.All.Select(o => o.Name))}; relevance needs q.");
            return false;
        }
        if (!Pagination.TryRead<SearchCursor>(request.Limit, request.Cursor, out var take, out var after, out problem))
        {
            return false;
        }
        if (after is not null && !after.Fits(order))
        {
            problem = Pagination.InvalidCursor();
            return false;
        }
        query = new AuctionSearchQuery(text, request.Status, minPrice, maxPrice, order, take, after);
        return true;
    }

    /// <summary>
    /// The statement for one page (one row more than the page, to tell whether another follows). Every value is a
    /// parameter; only the fixed fragments of <see cref="SearchOrder"/> are spliced in.
    /// </summary>
    public static NpgsqlCommand CreateCommand(NpgsqlDataSource database, AuctionSearchQuery query, DateTimeOffset now)
    {
        var order = query.Order;
        var command = database.CreateCommand();
        var sql = new StringBuilder($"""
            SELECT a.id, a.title, a.current_price, a.bid_count, a.starts_at, a.ends_at, a.status = 'closed',
                   (SELECT i.image_id FROM auction_images i WHERE i.auction_id = a.id ORDER BY i.position LIMIT 1),
                   {order.Column}
            FROM auctions a
            """);
        var conditions = new List<string>();
        if (query.Text is not null)
        {
            sql.Append($" CROSS JOIN websearch_to_tsquery('{TextSearchConfiguration}', @text) AS q");
            conditions.Add("a.search @@ q");
            command.Parameters.Add(new NpgsqlParameter<string>("text", query.Text));
        }
        conditions.AddRange(query.Status switch
        {
            AuctionStatusNames.Upcoming => ["a.status = 'open'", "a.starts_at > @now"],
            AuctionStatusNames.Live => ["a.status = 'open'", "a.starts_at <= @now", "a.ends_at > @now"],
            AuctionStatusNames.Ended => ["(a.status = 'closed' OR a.ends_at <= @now)"],
            _ => [],
        });
        if (query.Status is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
        }
        if (query.MinPrice is { } min)
        {
            conditions.Add("a.current_price >= @min_price");
            command.Parameters.Add(new NpgsqlParameter<long>("min_price", min));
        }
        if (query.MaxPrice is { } max)
        {
            conditions.Add("a.current_price <= @max_price");
            command.Parameters.Add(new NpgsqlParameter<long>("max_price", max));
        }
        if (query.After is { } after)
        {
            // A row comparison, which PostgreSQL turns into one index range: strictly past the last row shown.
            conditions.Add($"({order.Column}, a.id) {(order.Descending ? "<" : ">")} (@after_key, @after_id)");
            command.Parameters.Add(order.Key switch
            {
                SearchKey.Time => new NpgsqlParameter<DateTimeOffset>("after_key", after.At!.Value.ToUniversalTime()),
                SearchKey.Price => new NpgsqlParameter<long>("after_key", after.Price!.Value),
                _ => new NpgsqlParameter<float>("after_key", after.Rank!.Value),
            });
            command.Parameters.Add(new NpgsqlParameter<Guid>("after_id", after.Id));
        }
        if (conditions.Count > 0)
        {
            sql.Append("\nWHERE ").AppendJoin("\n  AND ", conditions);
        }
        var direction = order.Descending ? "DESC" : "ASC";
        sql.Append(CultureInfo.InvariantCulture, $"\nORDER BY {order.Column} {direction}, a.id {direction}\nLIMIT {query.Take + 1}");
        command.CommandText = sql.ToString();
        return command;
    }

    /// <summary>Runs the search; up to <c>Take</c> + 1 rows, for <see cref="Pagination.ToPage{TRow,T,TKey}"/>.</summary>
    public static async Task<List<SearchRow>> RunAsync(NpgsqlDataSource database, AuctionSearchQuery query,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = CreateCommand(database, query, now);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<SearchRow>(query.Take + 1);
        var order = query.Order;
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetGuid(0);
            var key = order.Key switch
            {
                SearchKey.Time => new SearchCursor(order.Name, id, At: reader.GetFieldValue<DateTimeOffset>(8)),
                SearchKey.Price => new SearchCursor(order.Name, id, Price: reader.GetInt64(8)),
                _ => new SearchCursor(order.Name, id, Rank: reader.GetFloat(8)),
            };
            rows.Add(new SearchRow(
                id, reader.GetString(1), reader.GetInt64(2), reader.GetInt32(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetBoolean(6),
                reader.IsDBNull(7) ? null : reader.GetGuid(7), key));
        }
        return rows;
    }

    private static bool TryParsePrice(string? value, string name, out long? price,
        [NotNullWhen(false)] out ProblemHttpResult? problem)
    {
        price = null;
        problem = null;
        if (value is null)
        {
            return true;
        }
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed <= AuctionRules.MaxAmount)
        {
            price = parsed;
            return true;
        }
        problem = Problems.InvalidQuery($"{name} must be a whole number of the smallest currency unit, from 0 to {AuctionRules.MaxAmount}.");
        return false;
    }
}
