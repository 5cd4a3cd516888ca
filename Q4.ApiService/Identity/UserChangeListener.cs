using StackExchange.Redis;

namespace Q4.ApiService.Identity;

/// <summary>This replica's one subscription to user changes announced by any replica.</summary>
internal sealed class UserChangeListener(IConnectionMultiplexer redis, UserDirectory directory, ILogger<UserChangeListener> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var queue = await redis.GetSubscriber().SubscribeAsync(UserDirectory.ChangesChannel);
        queue.OnMessage(message => directory.ForgetAsync(message.Message.ToString()).AsTask());
        redis.ConnectionRestored += OnConnectionRestored;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionRestored -= OnConnectionRestored;
        await redis.GetSubscriber().UnsubscribeAsync(UserDirectory.ChangesChannel);
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        logger.LogWarning("Redis connection restored; user changes may have been missed, so every user is read again from PostgreSQL.");
        directory.ForgetAll();
    }
}
