using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.Hosting;

internal static class ConnectionStrings
{
    /// <summary>The connection string Aspire's convention gives a resource, or a clear error naming the setting.</summary>
    public static string Require(IConfiguration configuration, string name) =>
        configuration.GetConnectionString(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"ConnectionStrings:{name} is not set. Start Q4 with `dotnet run --project Q4.AppHost`, " +
                $"or set the environment variable ConnectionStrings__{name}.");
}
