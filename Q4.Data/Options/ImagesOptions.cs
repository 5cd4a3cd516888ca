using System.ComponentModel.DataAnnotations;

namespace Q4.Data.Options;

/// <summary>Section <c>Images</c>. The API stores uploads; the sync service sweeps the bucket too, so both read it.</summary>
public sealed class ImagesOptions
{
    public const string Section = "Images";

    /// <summary>The S3 bucket that holds every image; the API creates it when it is missing.</summary>
    [Required, RegularExpression("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", ErrorMessage = "Images:Bucket must be a valid S3 bucket name.")]
    public string Bucket { get; set; } = "images";

    /// <summary>Largest accepted file, in bytes.</summary>
    [Range(1024, 100 * 1024 * 1024)]
    public int MaxBytes { get; set; } = 5 * 1024 * 1024;

    /// <summary>Uploads one user may make in any sliding hour, counted across all API replicas.</summary>
    [Range(1, 100_000)]
    public int UploadsPerHour { get; set; } = 10;
}
