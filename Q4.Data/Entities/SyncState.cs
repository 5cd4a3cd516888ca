namespace Q4.Data.Entities;

/// <summary>
/// One row. The sync service writes a batch only if its fencing token is at least the one recorded here,
/// in the same transaction, so a lock holder that lost the lock while paused cannot write.
/// </summary>
public sealed class SyncState
{
    public const int SingletonId = 1;

    public int Id { get; set; }

    public long FencingToken { get; set; }

    public string? LastStreamId { get; set; }
}
