namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Section <c>Prometheus</c>: whether the service also serves its metrics as Prometheus text at
/// <see cref="Extensions.MetricsPath"/>, for a scraper beside or instead of the OTLP export.
/// </summary>
public sealed class PrometheusOptions
{
    public const string Section = "Prometheus";

    /// <summary>Off by default: <c>/metrics</c> then answers 404. It needs no credentials, so expose it only where scrapers live.</summary>
    public bool Enabled { get; set; }
}
