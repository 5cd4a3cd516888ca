using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using StackExchange.Redis;

namespace Q4.Frontend.SignIn;

/// <summary>
/// Keeps each signed-in session, its tokens included, in Redis, encrypted with the shared data-protection keys; the
/// browser's cookie carries only the session's key. Tokens never reach the browser, any replica can serve any
/// request, and every session expires on its own (sliding with use), so nothing piles up.
/// </summary>
internal sealed class RedisTicketStore(IConnectionMultiplexer redis, IDataProtectionProvider dataProtection, TimeProvider time)
    : ITicketStore
{
    private const string KeyPrefix = "q4:frontend:session:";

    private readonly IDataProtector _protector = dataProtection.CreateProtector("Q4.Frontend.SignIn.Session");

    public async Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        var key = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await RenewAsync(key, ticket);
        return key;
    }

    public Task RenewAsync(string key, AuthenticationTicket ticket) =>
        redis.GetDatabase().StringSetAsync(KeyPrefix + key, _protector.Protect(TicketSerializer.Default.Serialize(ticket)), LifetimeOf(ticket));

    public async Task<AuthenticationTicket?> RetrieveAsync(string key)
    {
        var value = (byte[]?)await redis.GetDatabase().StringGetAsync(KeyPrefix + key);
        if (value is null)
        {
            return null;
        }
        try
        {
            return TicketSerializer.Default.Deserialize(_protector.Unprotect(value));
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // Written under keys that are gone: the user signs in again.
            return null;
        }
    }

    public Task RemoveAsync(string key) => redis.GetDatabase().KeyDeleteAsync(KeyPrefix + key);

    /// <summary>Until the cookie itself expires; the cookie handler slides that forward as the user comes back.</summary>
    private TimeSpan LifetimeOf(AuthenticationTicket ticket) =>
        ticket.Properties.ExpiresUtc is { } expires && expires > time.GetUtcNow()
            ? expires - time.GetUtcNow()
            : TimeSpan.FromMinutes(1);
}
