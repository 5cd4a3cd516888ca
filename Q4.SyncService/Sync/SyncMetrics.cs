using System.Diagnostics.Metrics;

namespace Q4.SyncService.Sync;

/// <summary>The sync service's meter <c>Q4.Sync</c>: batch sizes, rows persisted, lag, stream lengths, lock changes, dead letters, swept images.</summary>
public sealed class SyncMetrics
{
    public const string MeterName = "Q4.Sync";

    private readonly Histogram<int> _batchSize;
    private readonly Counter<long> _rows;
    private readonly Counter<long> _deadLetters;
    private readonly Counter<long> _lockAcquired;
    private readonly Counter<long> _lockLost;
    private readonly Counter<long> _closed;
    private readonly Counter<long> _imagesSwept;
    private double _lagSeconds;
    private long _streamLength;
    private long _deadLetterLength;

    public SyncMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _batchSize = meter.CreateHistogram<int>("q4.sync.batch.size", "{entry}", "Stream entries per persisted batch");
        _rows = meter.CreateCounter<long>("q4.sync.rows", "{row}", "Bids written to PostgreSQL (rate: rows/s)");
        _deadLetters = meter.CreateCounter<long>("q4.sync.dead_letters", "{entry}", "Entries moved to the dead-letter stream");
        _lockAcquired = meter.CreateCounter<long>("q4.sync.lock.acquired", "{lock}", "Times this replica took the lock");
        _lockLost = meter.CreateCounter<long>("q4.sync.lock.lost", "{lock}", "Times this replica lost the lock while working");
        _closed = meter.CreateCounter<long>("q4.sync.auctions.closed", "{auction}", "Auctions settled");
        _imagesSwept = meter.CreateCounter<long>("q4.sync.images.swept", "{image}", "Unattached uploads deleted by housekeeping");
        meter.CreateObservableGauge("q4.sync.lag", () => Volatile.Read(ref _lagSeconds), "s",
            "Age of the oldest entry not yet persisted, as of the last read");
        meter.CreateObservableGauge("q4.sync.stream.length", () => new[]
        {
            new Measurement<long>(Volatile.Read(ref _streamLength), new KeyValuePair<string, object?>("stream", "q4:bids")),
            new Measurement<long>(Volatile.Read(ref _deadLetterLength), new KeyValuePair<string, object?>("stream", "q4:bids:dead")),
        }, "{entry}", "Entries kept in the bid stream and the dead letters, as of the holder's last trim");
    }

    public void Persisted(int batch, int rows)
    {
        _batchSize.Record(batch);
        _rows.Add(rows);
    }

    public void DeadLettered(int count) => _deadLetters.Add(count);

    public void LockAcquired() => _lockAcquired.Add(1);

    public void LockLost() => _lockLost.Add(1);

    public void Closed() => _closed.Add(1);

    public void ImagesSwept(int count) => _imagesSwept.Add(count);

    public void StreamLengths(long bids, long deadLetters)
    {
        Volatile.Write(ref _streamLength, bids);
        Volatile.Write(ref _deadLetterLength, deadLetters);
    }

    public void Lag(TimeSpan lag) => Volatile.Write(ref _lagSeconds, Math.Max(0, lag.TotalSeconds));
}
