using System.Diagnostics.Metrics;

namespace Q4.ApiService.Images;

/// <summary>The uploads' meter <c>Q4.Images</c>: images stored, and uploads refused by the per-user limit.</summary>
public sealed class ImagesMetrics
{
    public const string MeterName = "Q4.Images";

    private readonly Counter<long> _uploads;
    private readonly Counter<long> _rateLimited;

    public ImagesMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _uploads = meter.CreateCounter<long>("q4.images.uploads", "{image}", "Uploads stored (row and object written)");
        _rateLimited = meter.CreateCounter<long>("q4.images.rate_limited", "{request}",
            "Uploads refused with 429 because the user reached Images:UploadsPerHour");
    }

    public void Uploaded() => _uploads.Add(1);

    public void RateLimited() => _rateLimited.Add(1);
}
