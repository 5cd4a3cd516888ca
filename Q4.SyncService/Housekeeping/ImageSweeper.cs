using Microsoft.Extensions.Options;
using Minio;
using Minio.DataModel.Args;
using Minio.Exceptions;
using Npgsql;
using Q4.Data.Options;
using Q4.SyncService.Sync;

namespace Q4.SyncService.Housekeeping;

/// <summary>
/// Deletes uploads nobody attached to an auction within <c>Housekeeping:UnattachedImageLifetime</c>: rows and
/// objects. Every sync replica runs it, without the sync lock: rows are taken <c>FOR UPDATE SKIP LOCKED</c>, so two
/// sweepers never take the same image, and an auction being created with an image holds that row's key share lock,
/// so the sweeper skips it (or, having locked it first, makes the auction's insert fail, which the API answers with
/// 400). Each batch is one transaction: rows deleted, objects removed, commit. Should the commit fail after the
/// objects went, the rows stay and are swept again; an object already gone is no error.
/// </summary>
public sealed class ImageSweeper(
    NpgsqlDataSource database, IMinioClient minio, IOptions<ImagesOptions> images, IOptions<HousekeepingOptions> options,
    SyncMetrics metrics, ILogger<ImageSweeper> logger) : BackgroundService
{
    private static readonly TimeSpan FirstSweepAfter = TimeSpan.FromSeconds(5);

    private const string TakeBatch = """
        DELETE FROM images WHERE id IN (
            SELECT i.id FROM images i
            WHERE i.created_at < now() - $1
              AND NOT EXISTS (SELECT 1 FROM auction_images a WHERE a.image_id = i.id)
            ORDER BY i.created_at
            LIMIT $2
            FOR UPDATE SKIP LOCKED)
        RETURNING id, object_key
        """;

    private HousekeepingOptions Settings => options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = Settings.Interval < FirstSweepAfter ? Settings.Interval : FirstSweepAfter;
        while (true)
        {
            await Task.Delay(delay, stoppingToken);
            delay = Settings.Interval;
            try
            {
                var swept = await SweepAsync(stoppingToken);
                if (swept > 0)
                {
                    logger.LogInformation("Swept {Count} images left unattached for more than {Lifetime}.", swept, Settings.UnattachedImageLifetime);
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Housekeeping can wait for the next round; an exception escaping here would stop the whole service.
                logger.LogWarning(e, "Sweeping unattached images failed; trying again in {Interval}.", Settings.Interval);
            }
        }
    }

    /// <summary>Sweeps batch after batch until nothing is due; how many images went.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            var swept = await SweepBatchAsync(ct);
            total += swept;
            if (swept < Settings.BatchSize)
            {
                return total;
            }
        }
    }

    private async Task<int> SweepBatchAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var due = new List<(Guid Id, string ObjectKey)>();
        await using (var command = new NpgsqlCommand(TakeBatch, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = Settings.UnattachedImageLifetime });
            command.Parameters.Add(new NpgsqlParameter { Value = Settings.BatchSize });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                due.Add((reader.GetGuid(0), reader.GetString(1)));
            }
        }
        foreach (var image in due)
        {
            await RemoveObjectAsync(image.ObjectKey, ct);
        }
        await transaction.CommitAsync(ct);
        foreach (var image in due)
        {
            logger.LogDebug("Swept image {ImageId} ({ObjectKey}).", image.Id, image.ObjectKey);
        }
        metrics.ImagesSwept(due.Count);
        return due.Count;
    }

    private async Task RemoveObjectAsync(string key, CancellationToken ct)
    {
        try
        {
            // S3 answers a delete of a missing key with success; only a missing bucket is an error worth ignoring.
            await minio.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(images.Value.Bucket).WithObject(key), ct);
        }
        catch (BucketNotFoundException)
        {
        }
    }
}
