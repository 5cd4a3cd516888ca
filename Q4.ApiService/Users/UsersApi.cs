using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Q4.ApiService.Auctions;
using Q4.ApiService.Identity;
using Q4.ApiService.Infrastructure;
using Q4.Data;
using Q4.Data.Entities;
using StackExchange.Redis;

namespace Q4.ApiService.Users;

public sealed record Me(Guid Id, string Name, string? Email, bool Blocked, IReadOnlyList<string> Roles, DateTimeOffset CreatedAt);

[OpenApiContract.RequiredProperties("name")]
public sealed record UpdateMe(string? Name);

public sealed record MyBid(string Id, Guid AuctionId, string AuctionTitle, long Amount, DateTimeOffset PlacedAt);

/// <summary>An auction the user bid on: as lists show it, with the user's highest bid and where that leaves them.</summary>
public sealed record MyBidAuction(AuctionSummary Auction, long MyHighestBid, string Standing);

/// <summary>Where a bidder stands in an auction they bid on.</summary>
public static class Standings
{
    /// <summary>Still open, and the user's bid is the highest.</summary>
    public const string Winning = "winning";

    /// <summary>Still open, and someone else bid more.</summary>
    public const string Outbid = "outbid";

    /// <summary>Ended with the user's bid the highest.</summary>
    public const string Won = "won";

    /// <summary>Ended with someone else's bid the highest.</summary>
    public const string Lost = "lost";

    /// <summary>
    /// Read off the same live state and status the auction itself reports: whoever is its highest bidder when it
    /// ends is its winner (no bid is accepted after the end).
    /// </summary>
    public static string Of(string status, bool highest) => status == AuctionStatusNames.Ended
        ? highest ? Won : Lost
        : highest ? Winning : Outbid;
}

public sealed record AdminUser(Guid Id, string Name, string? Email, string Issuer, string Subject, bool Blocked, DateTimeOffset CreatedAt);

/// <summary>The signed-in user's own account, bids and auctions; and the administrators' view of all users.</summary>
public static class UsersApi
{
    private sealed record IdKey(long Id);

    private sealed record CreatedKey(DateTimeOffset CreatedAt, Guid Id);

    /// <summary>An auction in the user's bid list is placed by their latest bid on it (bid ids grow with time).</summary>
    private sealed record LatestBidKey(long LatestBidId);

    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/me").WithTags("Me").RequireAuthorization();
        me.MapGet("/", GetMe)
            .Describe("getMe", "The signed-in user's account.");
        me.MapPatch("/", UpdateMe).RequireActiveUser()
            .Describe("updateMe", "Change the signed-in user's display name.")
            .Refuses(StatusCodes.Status400BadRequest, "validation", "invalid_request")
            .Refuses(StatusCodes.Status415UnsupportedMediaType, "unsupported_type");
        me.MapGet("/bids", GetMyBids)
            .Describe("listMyBids", "The signed-in user's bids, newest first, a page at a time.")
            .Paged()
            .Refuses(StatusCodes.Status400BadRequest, "invalid_query", "invalid_cursor", "invalid_request");
        me.MapGet("/bids/auctions", GetMyBidAuctions)
            .Describe("listMyBidAuctions", "Each auction the signed-in user bid on, with their highest bid and standing, latest first, a page at a time.")
            .Refuses(StatusCodes.Status400BadRequest, "invalid_query", "invalid_cursor", "invalid_request");
        me.MapGet("/auctions", GetMyAuctions)
            .Describe("listMyAuctions", "The signed-in user's auctions, newest first, a page at a time.")
            .Paged()
            .Refuses(StatusCodes.Status400BadRequest, "invalid_query", "invalid_cursor", "invalid_request");

        var admin = app.MapGroup("/admin/users").WithTags("Admin").RequireAuthorization(IdentityExtensions.AdminPolicy);
        admin.MapGet("/", ListUsers)
            .Describe("listUsers", "Every user, oldest first, a page at a time.")
            .Paged()
            .Refuses(StatusCodes.Status400BadRequest, "invalid_query", "invalid_cursor", "invalid_request");
        admin.MapPost("/{id:guid}/block", (Guid id, CurrentUser caller, Q4DbContext db, UserDirectory directory) =>
            SetBlocked(id, true, caller, db, directory))
            .Describe("blockUser", "Block a user: from their next request on, they cannot bid, sell or change anything.")
            .Refuses(StatusCodes.Status400BadRequest, "cannot_block_self")
            .Refuses(StatusCodes.Status404NotFound, "not_found");
        admin.MapPost("/{id:guid}/unblock", (Guid id, CurrentUser caller, Q4DbContext db, UserDirectory directory) =>
            SetBlocked(id, false, caller, db, directory))
            .Describe("unblockUser", "Unblock a user.")
            .Refuses(StatusCodes.Status400BadRequest, "cannot_block_self")
            .Refuses(StatusCodes.Status404NotFound, "not_found");
        return app;
    }

    private static async Task<Ok<Me>> GetMe(CurrentUser user, Q4DbContext db, CancellationToken ct)
    {
        var createdAt = await db.Users.Where(u => u.Id == user.Id).Select(u => u.CreatedAt).SingleAsync(ct);
        return TypedResults.Ok(new Me(user.Id, user.Name, user.Email, user.Blocked, user.Roles, createdAt));
    }

    private static async Task<Results<Ok<Me>, ValidationProblem>> UpdateMe(
        UpdateMe body, CurrentUser user, Q4DbContext db, UserDirectory directory, CancellationToken ct)
    {
        if (!DisplayName.TryNormalize(body.Name, out var name, out var error))
        {
            return Problems.Validation("name", error!);
        }
        var row = await db.Users.SingleAsync(u => u.Id == user.Id, ct);
        row.Name = name;
        await db.SaveChangesAsync(ct);
        await directory.AnnounceChangeAsync(row.Issuer, row.Subject);
        return TypedResults.Ok(new Me(user.Id, name, user.Email, user.Blocked, user.Roles, row.CreatedAt));
    }

    private static async Task<Results<Ok<Page<MyBid>>, ProblemHttpResult>> GetMyBids(
        CurrentUser user, Q4DbContext db, int? limit, string? cursor, CancellationToken ct)
    {
        if (!Pagination.TryRead<IdKey>(limit, cursor, out var take, out var after, out var problem))
        {
            return problem;
        }
        var query = db.Bids.Where(b => b.BidderId == user.Id);
        if (after is not null)
        {
            query = query.Where(b => b.Id < after.Id);
        }
        var rows = await query.OrderByDescending(b => b.Id).Take(take + 1)
            .Select(b => new { b.Id, Bid = new MyBid(b.StreamId, b.AuctionId, b.Auction.Title, b.Amount, b.PlacedAt) })
            .ToListAsync(ct);
        return TypedResults.Ok(Pagination.ToPage(rows, take, row => new IdKey(row.Id), row => row.Bid));
    }

    /// <summary>
    /// The auctions the user bid on, the one bid on last first. Which auctions, and the user's highest bid, come from
    /// the persisted bids; price, end, highest bidder and so the standing come from the live state in Redis, as
    /// <c>GET /auctions/{id}</c> reports them (a bid not yet persisted still counts when it is the highest).
    /// </summary>
    private static async Task<Results<Ok<Page<MyBidAuction>>, ProblemHttpResult>> GetMyBidAuctions(
        CurrentUser user, Q4DbContext db, IConnectionMultiplexer redis, TimeProvider clock, int? limit, string? cursor,
        CancellationToken ct)
    {
        if (!Pagination.TryRead<LatestBidKey>(limit, cursor, out var take, out var after, out var problem))
        {
            return problem;
        }
        var mine = db.Bids.Where(b => b.BidderId == user.Id).GroupBy(b => b.AuctionId)
            .Select(g => new { AuctionId = g.Key, LatestBidId = g.Max(b => b.Id), Highest = g.Max(b => b.Amount) });
        if (after is not null)
        {
            mine = mine.Where(m => m.LatestBidId < after.LatestBidId);
        }
        var bids = await mine.OrderByDescending(m => m.LatestBidId).Take(take + 1).ToListAsync(ct);
        var (shown, nextCursor) = Pagination.Split(bids, take, m => new LatestBidKey(m.LatestBidId));
        var ids = shown.Select(m => m.AuctionId).ToList();
        var auctions = await db.Auctions.AsNoTracking().Where(a => ids.Contains(a.Id))
            .Select(a => new
            {
                a.Id, a.Title, a.CurrentPrice, a.BidCount, a.StartsAt, a.EndsAt, a.HighestBidderId,
                Closed = a.Status == AuctionStatus.Closed,
                Thumbnail = a.Images.OrderBy(i => i.Position).Select(i => (Guid?)i.ImageId).FirstOrDefault(),
            })
            .ToDictionaryAsync(a => a.Id, ct);
        var rows = shown.Select(m => (Bids: m, Auction: auctions[m.AuctionId])).ToList();
        var live = await LiveState.ReadAsync(redis.GetDatabase(), rows, row => row.Auction.Id,
            row => new LiveState(row.Auction.CurrentPrice, row.Auction.BidCount, row.Auction.HighestBidderId, null,
                row.Auction.EndsAt, row.Auction.Closed),
            withBidder: true);
        var now = clock.GetUtcNow();
        return TypedResults.Ok(new Page<MyBidAuction>([.. rows.Select((row, i) =>
        {
            var (a, state) = (row.Auction, live[i]);
            var status = AuctionStatusNames.Of(state.Closed, a.StartsAt, state.EndsAt, now);
            var highest = state.HighestBidderId == user.Id;
            var summary = new AuctionSummary(a.Id, a.Title, state.Price, state.BidCount, a.StartsAt, state.EndsAt, status,
                a.Thumbnail is { } image ? ImageUrls.For(image) : null, state.EventId);
            return new MyBidAuction(summary, highest ? Math.Max(row.Bids.Highest, state.Price) : row.Bids.Highest,
                Standings.Of(status, highest));
        })], nextCursor));
    }

    private static async Task<Results<Ok<Page<AuctionSummary>>, ProblemHttpResult>> GetMyAuctions(
        CurrentUser user, Q4DbContext db, TimeProvider clock, int? limit, string? cursor, CancellationToken ct)
    {
        if (!Pagination.TryRead<CreatedKey>(limit, cursor, out var take, out var after, out var problem))
        {
            return problem;
        }
        var query = db.Auctions.Where(a => a.SellerId == user.Id);
        if (after is not null)
        {
            query = query.Where(a => a.CreatedAt < after.CreatedAt || (a.CreatedAt == after.CreatedAt && a.Id < after.Id));
        }
        var rows = await query.OrderByDescending(a => a.CreatedAt).ThenByDescending(a => a.Id).Take(take + 1)
            .Select(a => new
            {
                a.Id, a.Title, a.CurrentPrice, a.BidCount, a.StartsAt, a.EndsAt, a.Status, a.CreatedAt,
                Thumbnail = a.Images.OrderBy(i => i.Position).Select(i => (Guid?)i.ImageId).FirstOrDefault(),
            })
            .ToListAsync(ct);
        var now = clock.GetUtcNow();
        return TypedResults.Ok(Pagination.ToPage(rows, take, row => new CreatedKey(row.CreatedAt, row.Id), a => new AuctionSummary(
            a.Id, a.Title, a.CurrentPrice, a.BidCount, a.StartsAt, a.EndsAt,
            AuctionStatusNames.Of(a.Status == AuctionStatus.Closed, a.StartsAt, a.EndsAt, now),
            a.Thumbnail is { } image ? ImageUrls.For(image) : null, LastEventId: null)));
    }

    private static async Task<Results<Ok<Page<AdminUser>>, ProblemHttpResult>> ListUsers(
        Q4DbContext db, int? limit, string? cursor, CancellationToken ct)
    {
        if (!Pagination.TryRead<CreatedKey>(limit, cursor, out var take, out var after, out var problem))
        {
            return problem;
        }
        var query = db.Users.AsQueryable();
        if (after is not null)
        {
            query = query.Where(u => u.CreatedAt > after.CreatedAt || (u.CreatedAt == after.CreatedAt && u.Id > after.Id));
        }
        var rows = await query.OrderBy(u => u.CreatedAt).ThenBy(u => u.Id).Take(take + 1)
            .Select(u => new AdminUser(u.Id, u.Name, u.Email, u.Issuer, u.Subject, u.Blocked, u.CreatedAt))
            .ToListAsync(ct);
        return TypedResults.Ok(Pagination.ToPage(rows, take, u => new CreatedKey(u.CreatedAt, u.Id)));
    }

    /// <summary>
    /// PostgreSQL holds the truth; the announcement makes every replica drop its cached copy, so the user's
    /// next request anywhere sees the change.
    /// </summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> SetBlocked(
        Guid id, bool blocked, CurrentUser caller, Q4DbContext db, UserDirectory directory)
    {
        if (id == caller.Id)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "cannot_block_self", "Administrators cannot block or unblock themselves.");
        }
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == id);
        if (user is null)
        {
            return Problems.NotFound("The user");
        }
        user.Blocked = blocked;
        await db.SaveChangesAsync();
        await directory.AnnounceChangeAsync(user.Issuer, user.Subject);
        return TypedResults.NoContent();
    }
}
