using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Minio;

namespace Microsoft.Extensions.Hosting;

public static class MinioClientExtensions
{
    /// <summary>
    /// An <see cref="IMinioClient"/> for <c>ConnectionStrings:&lt;name&gt;</c> in the format of Aspire's MinIO integration
    /// (<c>Endpoint=http://host:port;AccessKey=...;SecretKey=...</c>), and a health check.
    /// </summary>
    public static IHostApplicationBuilder AddMinioClient(this IHostApplicationBuilder builder, string connectionName)
    {
        var settings = new DbConnectionStringBuilder { ConnectionString = ConnectionStrings.Require(builder.Configuration, connectionName) };
        if (!settings.TryGetValue("Endpoint", out var endpointValue) || !Uri.TryCreate($"{endpointValue}", UriKind.Absolute, out var endpoint))
        {
            throw new InvalidOperationException($"ConnectionStrings:{connectionName} needs Endpoint=http(s)://host:port.");
        }
        settings.TryGetValue("AccessKey", out var accessKey);
        settings.TryGetValue("SecretKey", out var secretKey);

        builder.Services.AddSingleton(_ => new MinioClient()
            .WithEndpoint(endpoint.Authority)
            .WithSSL(endpoint.Scheme == Uri.UriSchemeHttps)
            .WithCredentials($"{accessKey}", $"{secretKey}")
            .Build());
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            connectionName, sp => new MinioHealthCheck(sp.GetRequiredService<IMinioClient>()), null, null));
        return builder;
    }

    private sealed class MinioHealthCheck(IMinioClient client) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken)
        {
            try
            {
                await client.ListBucketsAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, exception: e);
            }
        }
    }
}
