using System.Security.Claims;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;
using Q4.ApiService.Infrastructure;
using StackExchange.Redis;

namespace Q4.ApiService.Identity;

/// <summary>
/// Turns a token's (issuer, subject) into Q4's users row, creating it on first sight. Rows are cached in
/// process, so an authenticated request costs PostgreSQL nothing after the first; a change (block, rename)
/// is announced on a Redis channel and every replica drops its copy at once.
/// </summary>
/// <remarks>
/// Dropping the copy alone is not enough: a fill that read the row just before the change committed may store
/// its copy after the announcement removed the old one, and that stale copy would then be served for the whole
/// lifetime. So every cache key carries a version, and a change bumps it: a fill started before the bump stores
/// under the old key, which no request asks for any more. Versions are kept per stripe of keys, not per user, so
/// their memory is fixed; a bump makes the other users of its stripe be read again once, which costs little.
/// </remarks>
public sealed class UserDirectory(HybridCache cache, CacheMetrics metrics, NpgsqlDataSource database, IConnectionMultiplexer redis)
{
    public static readonly RedisChannel ChangesChannel = RedisChannel.Literal("q4:users:changed");

    private const int Stripes = 1024;

    private readonly long[] _versions = new long[Stripes];

    private static readonly HybridCacheEntryOptions EntryOptions = new()
    {
        // A backstop only: changes arrive through ChangesChannel within milliseconds.
        Expiration = TimeSpan.FromMinutes(5),
        LocalCacheExpiration = TimeSpan.FromMinutes(5),
    };

    public async ValueTask<UserRecord> ResolveAsync(ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        var issuer = principal.FindFirst(JwtRegisteredClaimNames.Iss)?.Value;
        var subject = principal.FindFirst(JwtRegisteredClaimNames.Sub)?.Value;
        if (string.IsNullOrEmpty(issuer) || string.IsNullOrEmpty(subject))
        {
            throw new InvalidOperationException("Only an authenticated caller with an issuer and a subject is a user.");
        }
        var seen = new SeenUser(issuer, subject, Users.DisplayName.FromToken(principal), principal.FindFirst("email")?.Value, database);
        var user = UserKey(issuer, subject);
        return await metrics.GetOrCreateAsync(cache, CacheMetrics.Users, VersionedKey(user, Volatile.Read(ref _versions[StripeOf(user)])), seen,
            static (seen, ct) => seen.UpsertAsync(ct), EntryOptions, cancellationToken);
    }

    /// <summary>
    /// Drops the cached row here and tells every other replica to do the same. Called after the change committed,
    /// so whatever is read from PostgreSQL after the announcement has it.
    /// </summary>
    public async Task AnnounceChangeAsync(string issuer, string subject)
    {
        var user = UserKey(issuer, subject);
        await ForgetAsync(user);
        await redis.GetSubscriber().PublishAsync(ChangesChannel, user);
    }

    /// <summary>
    /// Moves the user's stripe to a new version, so the next request reads the row again, and removes the copy at
    /// the old one at once (a fill still in flight may put it back; it then lies unused until it expires).
    /// </summary>
    internal ValueTask ForgetAsync(string user)
    {
        var newVersion = Interlocked.Increment(ref _versions[StripeOf(user)]);
        return cache.RemoveAsync(VersionedKey(user, newVersion - 1));
    }

    /// <summary>
    /// After a lost Redis connection announcements may have been missed: every stripe moves on, so every user is
    /// read again, and fills in flight across the reconnect are never served. Old copies expire by themselves.
    /// </summary>
    internal void ForgetAll()
    {
        for (var stripe = 0; stripe < Stripes; stripe++)
        {
            Interlocked.Increment(ref _versions[stripe]);
        }
    }

    /// <summary>
    /// Names a user in announcements and, with a version, in cache keys. Unambiguous for any issuer and subject (the
    /// issuer's length marks where it ends), and free of the control characters HybridCache refuses in keys: it would
    /// then skip the cache and every request would reach PostgreSQL.
    /// </summary>
    private static string UserKey(string issuer, string subject) => $"user:{issuer.Length}:{issuer}{subject}";

    private static string VersionedKey(string user, long version) => $"{version}:{user}";

    /// <summary>The stripe of a user: string hashes differ between processes, but versions never leave this one.</summary>
    private static int StripeOf(string user) => (int)((uint)user.GetHashCode() % Stripes);

    private sealed record SeenUser(string Issuer, string Subject, string Name, string? Email, NpgsqlDataSource Database)
    {
        /// <summary>
        /// One statement, race-free across replicas: insert, or keep the existing row (its name may have been
        /// changed by the user) and refresh the email the provider reports.
        /// </summary>
        public async ValueTask<UserRecord> UpsertAsync(CancellationToken cancellationToken)
        {
            await using var command = Database.CreateCommand("""
                INSERT INTO users (id, issuer, subject, name, email, blocked, created_at)
                VALUES ($1, $2, $3, $4, $5, false, now())
                ON CONFLICT (issuer, subject) DO UPDATE SET email = excluded.email
                RETURNING id, name, email, blocked
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = Guid.CreateVersion7() });
            command.Parameters.Add(new NpgsqlParameter { Value = Issuer });
            command.Parameters.Add(new NpgsqlParameter { Value = Subject });
            command.Parameters.Add(new NpgsqlParameter { Value = Name });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)Email ?? DBNull.Value });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return new UserRecord(reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetBoolean(3));
        }
    }
}
