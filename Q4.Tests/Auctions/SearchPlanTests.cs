using Npgsql;
using Q4.ApiService.Auctions;
using Q4.Tests.Hosting;
using Q4.Tests.Sync;

namespace Q4.Tests.Auctions;

/// <summary>
/// The plans PostgreSQL makes for the very statements the search endpoint sends: each order reads its own index,
/// and a page after a cursor starts inside that index instead of sorting or skipping rows.
/// </summary>
public sealed class SearchPlanTests(GraphFixture graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> Orders => new()
    {
        { "endsAt", "ix_auctions_ends_at_id" },
        { "-endsAt", "ix_auctions_ends_at_id" },
        { "price", "ix_auctions_current_price_id" },
        { "-price", "ix_auctions_current_price_id" },
        { "createdAt", "ix_auctions_created_at_id" },
        { "-createdAt", "ix_auctions_created_at_id" },
    };

    [Theory]
    [MemberData(nameof(Orders))]
    public async Task Each_order_reads_its_index_without_a_sort(string sort, string index)
    {
        // Descending orders read the same index from its end.
        var scan = sort.StartsWith('-') ? $"Index Scan Backward using {index}" : $"Index Scan using {index}";
        var plan = await ExplainAsync(Parse(sort, status: null, cursor: null));
        Assert.Contains(scan, plan);
        Assert.DoesNotContain("Sort", plan);

        // A later page starts inside the index at the cursor's row, rather than reading up to it.
        plan = await ExplainAsync(Parse(sort, status: null, Cursor(sort)));
        Assert.Contains(scan, plan);
        Assert.Contains("Index Cond: (ROW(", plan);
        Assert.DoesNotContain("Sort", plan);

        // A status narrows by time: the planner may walk the order's index or take the range of start or end times
        // from theirs and sort what is left, whichever its statistics say is cheaper. Either way, an index.
        foreach (var status in new[] { "live", "upcoming", "ended" })
        {
            plan = await ExplainAsync(Parse(sort, status, Cursor(sort)));
            Assert.Contains("Index Scan", plan);
            Assert.DoesNotContain("Seq Scan", plan);
        }
    }

    [Fact]
    public async Task Words_are_matched_through_an_index()
    {
        // By relevance, only the full-text index can find the rows; in another order the planner may instead
        // walk that order's index and test each row, which is also an index and no table scan.
        var plan = await ExplainAsync(Parse("relevance", null, cursor: null, text: "brass telescope -tripod"), bitmaps: true);
        Assert.Contains("Bitmap Index Scan on ix_auctions_search", plan);
        foreach (var sort in new[] { "endsAt", "-price", "createdAt" })
        {
            plan = await ExplainAsync(Parse(sort, "live", cursor: null, text: "brass telescope -tripod"), bitmaps: true);
            Assert.Contains("Index", plan);
            Assert.DoesNotContain("Seq Scan", plan);
        }
    }

    private static SearchCursor Cursor(string sort) => SearchOrder.All.Single(o => o.Name == sort).Key switch
    {
        SearchKey.Time => new SearchCursor(sort, Guid.CreateVersion7(), At: DateTimeOffset.UtcNow),
        SearchKey.Price => new SearchCursor(sort, Guid.CreateVersion7(), Price: 1_000),
        _ => new SearchCursor(sort, Guid.CreateVersion7(), Rank: 0.05f),
    };

    private static AuctionSearchQuery Parse(string sort, string? status, SearchCursor? cursor, string? text = null)
    {
        Assert.True(AuctionSearch.TryParse(new AuctionSearchRequest(text, status, null, null, sort, 20, null), out var query, out _));
        return query with { After = cursor };
    }

    /// <summary>
    /// The plan of the endpoint's own statement. Plans are costed for the data at hand, and on a test's small table
    /// reading it whole, or collecting a few rows by bitmap and sorting them, is honestly cheapest. Both are ruled out
    /// first, so the plan answers the question asked here: can an index produce each page in order, from its cursor?
    /// Full-text matching is the exception: a GIN index is only ever read by bitmap.
    /// </summary>
    private async Task<string> ExplainAsync(AuctionSearchQuery query, bool bitmaps = false)
    {
        await using var dataSource = NpgsqlDataSource.Create(graph.App.GetConnectionString("q4db"));
        await using var search = AuctionSearch.CreateCommand(dataSource, query, DateTimeOffset.UtcNow);
        await using var connection = await SyncStore.OpenAsync(graph.App);
        await using (var setting = new NpgsqlCommand($"SET enable_seqscan = off; SET enable_bitmapscan = {(bitmaps ? "on" : "off")}", connection))
        {
            await setting.ExecuteNonQueryAsync(Cancellation);
        }
        await using var explain = new NpgsqlCommand($"EXPLAIN {search.CommandText}", connection);
        foreach (NpgsqlParameter parameter in search.Parameters)
        {
            explain.Parameters.Add(parameter.Clone());
        }
        var lines = new List<string>();
        await using var reader = await explain.ExecuteReaderAsync(Cancellation);
        while (await reader.ReadAsync(Cancellation))
        {
            lines.Add(reader.GetString(0));
        }
        var plan = string.Join('\n', lines);
        TestContext.Current.TestOutputHelper?.WriteLine(plan);
        return plan;
    }
}
