using System.Security.Claims;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;
using StackExchange.Redis;

namespace Q4.ApiService.Identity;

/// <summary>
/// Turns a token's (issuer, subject) into Q4's users row, creating it on first sight. Rows are cached in
/// process, so an authenticated request costs PostgreSQL nothing after the first; a change (block, rename)
/// is announced on a Redis channel and every replica drops its copy at once.
/// </summary>
public sealed class UserDirectory(HybridCache cache, NpgsqlDataSource database, IConnectionMultiplexer redis)
{
    public static readonly RedisChannel ChangesChannel = RedisChannel.Literal("q4:users:changed");

    private const string AllUsersTag = "users";

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
        return await cache.GetOrCreateAsync(KeyOf(issuer, subject), seen,
            static (seen, ct) => seen.UpsertAsync(ct), EntryOptions, [AllUsersTag], cancellationToken);
    }

    /// <summary>Drops the cached row here and tells every other replica to do the same.</summary>
    public async Task AnnounceChangeAsync(string issuer, string subject)
    {
        await ForgetAsync(issuer, subject);
        await redis.GetSubscriber().PublishAsync(ChangesChannel, KeyOf(issuer, subject));
    }

    internal ValueTask ForgetAsync(string key) => cache.RemoveAsync(key);

    /// <summary>After a lost Redis connection announcements may have been missed: forget everything.</summary>
    internal ValueTask ForgetAllAsync() => cache.RemoveByTagAsync(AllUsersTag);

    private ValueTask ForgetAsync(string issuer, string subject) => cache.RemoveAsync(KeyOf(issuer, subject));

    /// <summary>
    /// Unambiguous for any issuer and subject (the issuer's length marks where it ends), and free of the control
    /// characters HybridCache refuses in keys: it would then skip the cache and every request would reach PostgreSQL.
    /// </summary>
    private static string KeyOf(string issuer, string subject) => $"user:{issuer.Length}:{issuer}{subject}";

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
