namespace Q4.SyncService.Sync;

public static class SyncExtensions
{
    public static IHostApplicationBuilder AddBidStreamSync(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<SyncOptions>(SyncOptions.Section);
        builder.Services.AddSingleton<SyncMetrics>();
        builder.Services.AddSingleton<FencedLock>();
        builder.Services.AddSingleton<BidConsumerGroup>();
        builder.Services.AddSingleton<BidBatchWriter>();
        builder.Services.AddSingleton<AuctionCloser>();
        builder.Services.AddHostedService<BidStreamSync>();
        return builder;
    }
}
