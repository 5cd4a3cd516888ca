using Microsoft.Extensions.DependencyInjection.Extensions;
using Q4.Data.Options;
using Q4.SyncService.Sync;

namespace Q4.SyncService.Housekeeping;

public static class HousekeepingExtensions
{
    /// <summary>The sweeper of unattached images; needs the S3 client (<c>AddMinioClient</c>) and PostgreSQL.</summary>
    public static IHostApplicationBuilder AddHousekeeping(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<ImagesOptions>(ImagesOptions.Section);
        builder.AddValidatedOptions<HousekeepingOptions>(HousekeepingOptions.Section);
        builder.Services.TryAddSingleton<SyncMetrics>();
        builder.Services.AddHostedService<ImageSweeper>();
        return builder;
    }
}
