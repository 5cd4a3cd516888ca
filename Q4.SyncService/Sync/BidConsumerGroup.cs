using Microsoft.Extensions.Options;
using Q4.Data;
using StackExchange.Redis;

namespace Q4.SyncService.Sync;

/// <summary>
/// The sync service's consumer group on the bid stream. Only the lock holder reads, but a holder that died, or woke
/// after its lease ran out, may have left entries pending under its own name; they stay pending until somebody claims
/// them. So the holder claims whatever any other consumer left, keeps the stream's trimming clear of every pending
/// entry, and tells the closer how far the stream is really persisted.
/// </summary>
public sealed class BidConsumerGroup(IConnectionMultiplexer redis, IOptions<SyncOptions> options)
{
    // Removes the consumers other than the caller that own nothing; checked and done in one step, so an entry
    // delivered to one of them meanwhile cannot vanish with it.
    private const string ForgetIdleConsumersScript = """
        local removed = 0
        for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
          local info = {}
          for i = 1, #consumer, 2 do info[consumer[i]] = consumer[i + 1] end
          if info['name'] ~= ARGV[2] and info['pending'] == 0 then
            redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
            removed = removed + 1
          end
        end
        return removed
        """;

    // Trims below the retention cutoff, but never past the oldest entry pending anywhere in the group nor past the
    // last one the group delivered: what is not yet persisted stays.
    private const string TrimScript = """
        local function before(a, b)
          local am, as = string.match(a, '^(%d+)-(%d+)$')
          local bm, bs = string.match(b, '^(%d+)-(%d+)$')
          if tonumber(am) ~= tonumber(bm) then return tonumber(am) < tonumber(bm) end
          return tonumber(as) < tonumber(bs)
        end
        local floor = ARGV[2]
        local pending = redis.call('XPENDING', KEYS[1], ARGV[1])
        if pending[2] and before(pending[2], floor) then floor = pending[2] end
        for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
          local info = {}
          for i = 1, #group, 2 do info[group[i]] = group[i + 1] end
          if info['name'] == ARGV[1] and before(info['last-delivered-id'], floor) then floor = info['last-delivered-id'] end
        end
        return redis.call('XTRIM', KEYS[1], 'MINID', '~', floor)
        """;

    private IDatabase Db => redis.GetDatabase();

    private int BatchSize => options.Value.BatchSize;

    /// <summary>Creates the group reading from the very first entry, so bids accepted before any sync ran count too.</summary>
    public async Task EnsureCreatedAsync()
    {
        try
        {
            await Db.StreamCreateConsumerGroupAsync(RedisKeys.BidStream, RedisKeys.SyncGroup, "0", createStream: true);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
        }
    }

    /// <summary>Makes every entry pending in the group pending under <paramref name="consumer"/>.</summary>
    public async Task ClaimAllAsync(string consumer)
    {
        var cursor = "0-0";
        do
        {
            var claimed = await Db.StreamAutoClaimIdsOnlyAsync(RedisKeys.BidStream, RedisKeys.SyncGroup, consumer, 0, cursor, BatchSize);
            cursor = claimed.NextStartId!;
        } while (cursor != "0-0");
    }

    /// <summary>Entries delivered to <paramref name="consumer"/> and not yet acknowledged, oldest first.</summary>
    public Task<StreamEntry[]> ReadPendingAsync(string consumer) =>
        Db.StreamReadGroupAsync(RedisKeys.BidStream, RedisKeys.SyncGroup, consumer, "0", BatchSize);

    /// <summary>Entries nobody in the group has been given yet, oldest first.</summary>
    public Task<StreamEntry[]> ReadNewAsync(string consumer) =>
        Db.StreamReadGroupAsync(RedisKeys.BidStream, RedisKeys.SyncGroup, consumer, StreamPosition.NewMessages, BatchSize);

    public Task AcknowledgeAsync(IEnumerable<StreamEntry> entries) =>
        Db.StreamAcknowledgeAsync(RedisKeys.BidStream, RedisKeys.SyncGroup, [.. entries.Select(e => e.Id)]);

    /// <summary>Removes the consumers that own nothing (dead holders, holders that came back too late); how many.</summary>
    public async Task<long> ForgetIdleConsumersAsync(string self) =>
        (long)await Db.ScriptEvaluateAsync(ForgetIdleConsumersScript, [RedisKeys.BidStream], [RedisKeys.SyncGroup, self]);

    /// <summary>
    /// Everything up to this Redis time (unix ms) is persisted: <paramref name="readAt"/>, when a read made then found the
    /// stream drained, unless some consumer still has an older entry pending.
    /// </summary>
    public async Task<long> PersistedUpToAsync(long readAt)
    {
        var pending = await Db.StreamPendingAsync(RedisKeys.BidStream, RedisKeys.SyncGroup);
        return pending.PendingMessageCount > 0 ? Math.Min(readAt, StreamId.Parse(pending.LowestPendingMessageId!).UnixMilliseconds - 1) : readAt;
    }

    /// <summary>
    /// Drops entries older than <paramref name="cutoff"/> (unix ms) that the group has delivered and acknowledged;
    /// the lengths of the stream and of the dead letters after it.
    /// </summary>
    public async Task<(long Bids, long DeadLetters)> TrimAsync(long cutoff)
    {
        await Db.ScriptEvaluateAsync(TrimScript, [RedisKeys.BidStream], [RedisKeys.SyncGroup, $"{cutoff}-0"]);
        return (await Db.StreamLengthAsync(RedisKeys.BidStream), await Db.StreamLengthAsync(RedisKeys.DeadBids));
    }
}
