using System.ComponentModel;
using Q4.ApiService.Infrastructure;

namespace Q4.ApiService.Identity;

/// <summary>What Q4 knows of a user: the users row, as cached by <see cref="UserDirectory"/>.</summary>
[ImmutableObject(true)]
public sealed record UserRecord(Guid Id, string Name, string? Email, bool Blocked);

/// <summary>
/// The signed-in caller, bound as an endpoint parameter: the row learned from the token's issuer and subject
/// (created on first sight), plus the roles the token grants.
/// </summary>
public sealed record CurrentUser(Guid Id, string Name, string? Email, bool Blocked, IReadOnlyList<string> Roles)
{
    public bool IsAdmin => Roles.Contains("admin");

    public static async ValueTask<CurrentUser?> BindAsync(HttpContext context)
    {
        var directory = context.RequestServices.GetRequiredService<UserDirectory>();
        var user = await directory.ResolveAsync(context.User, context.RequestAborted);
        var roles = context.User.FindAll(IdentityExtensions.RoleClaim).Select(claim => claim.Value).ToList();
        return new CurrentUser(user.Id, user.Name, user.Email, user.Blocked, roles);
    }
}

public static class ActiveUserFilter
{
    /// <summary>
    /// Refuses a blocked user with 403 <c>user_blocked</c> before the endpoint runs. For endpoints that change
    /// something; a blocked user may still read, including <c>GET /me</c>, which says so.
    /// </summary>
    public static TBuilder RequireActiveUser<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.Refuses(StatusCodes.Status403Forbidden, "user_blocked").AddEndpointFilter(async (context, next) =>
        {
            var user = context.Arguments.OfType<CurrentUser>().SingleOrDefault()
                ?? throw new InvalidOperationException("RequireActiveUser needs a CurrentUser parameter on the endpoint.");
            return user.Blocked
                ? Infrastructure.Problems.Problem(StatusCodes.Status403Forbidden, "user_blocked",
                    "This account is blocked.", "An administrator blocked this account; it cannot bid, sell or change anything.")
                : await next(context);
        });
}
