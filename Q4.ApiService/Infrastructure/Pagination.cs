using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Q4.ApiService.Infrastructure;

/// <summary>One page of a keyset walk; <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>
/// Keyset pagination, never OFFSET: a cursor is the sort key (and id) of the last row a page showed, as
/// base64url JSON, opaque to clients. The next page starts strictly after it, so rows that arrive meanwhile
/// cannot make a walk repeat or skip rows it has not reached yet.
/// </summary>
public static class Pagination
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    /// <summary>A cursor must carry exactly its key's fields: anything else was not made by us.</summary>
    private static readonly JsonSerializerOptions CursorJson = new(JsonSerializerDefaults.Web)
    {
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>Checks <c>limit</c> and decodes <c>cursor</c>; false with the 400 answer to give when either is bad.</summary>
    public static bool TryRead<TKey>(int? limit, string? cursor, out int take, out TKey? after,
        [NotNullWhen(false)] out ProblemHttpResult? problem) where TKey : class
    {
        take = limit ?? DefaultLimit;
        after = null;
        problem = null;
        if (take is < 1 or > MaxLimit)
        {
            problem = Problems.InvalidQuery($"limit must be between 1 and {MaxLimit}.");
            return false;
        }
        if (string.IsNullOrEmpty(cursor))
        {
            return true;
        }
        try
        {
            after = JsonSerializer.Deserialize<TKey>(Base64Url.DecodeFromChars(cursor), CursorJson);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
        }
        if (after is null)
        {
            problem = InvalidCursor();
            return false;
        }
        return true;
    }

    /// <summary>400 <c>invalid_cursor</c>: the cursor was not one this endpoint gave out.</summary>
    public static ProblemHttpResult InvalidCursor() =>
        Problems.Problem(StatusCodes.Status400BadRequest, "invalid_cursor", "The cursor is not valid.",
            "Pass back the nextCursor of the previous page unchanged, with the same sort.");

    /// <summary>
    /// Builds the page from up to <paramref name="take"/> + 1 rows (the extra one only tells whether more follow).
    /// </summary>
    public static Page<T> ToPage<T, TKey>(IReadOnlyList<T> rows, int take, Func<T, TKey> keyOf) =>
        ToPage(rows, take, keyOf, row => row);

    /// <summary>As above, for rows that carry their sort key beside the item shown.</summary>
    public static Page<T> ToPage<TRow, T, TKey>(IReadOnlyList<TRow> rows, int take, Func<TRow, TKey> keyOf, Func<TRow, T> itemOf)
    {
        var (shown, cursor) = Split(rows, take, keyOf);
        return new Page<T>([.. shown.Select(itemOf)], cursor);
    }

    /// <summary>The rows a page shows, and the cursor to the next page (null if none): for pages that do more with their rows.</summary>
    public static (IReadOnlyList<TRow> Shown, string? NextCursor) Split<TRow, TKey>(IReadOnlyList<TRow> rows, int take, Func<TRow, TKey> keyOf)
    {
        var shown = rows.Count > take ? rows.Take(take).ToList() : rows;
        var cursor = rows.Count > take
            ? Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(keyOf(shown[^1]), CursorJson))
            : null;
        return (shown, cursor);
    }
}
