namespace Q4.Data.Entities;

/// <summary>A photo in object storage; attachable to auctions by its uploader only.</summary>
public sealed class Image
{
    public Guid Id { get; set; }

    public Guid UploaderId { get; set; }

    public required string ObjectKey { get; set; }

    public required string ContentType { get; set; }

    public long Size { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class AuctionImage
{
    public Guid AuctionId { get; set; }

    public Guid ImageId { get; set; }

    public int Position { get; set; }

    public Image Image { get; set; } = null!;
}
