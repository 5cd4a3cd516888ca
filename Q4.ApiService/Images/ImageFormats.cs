using System.Buffers.Binary;

namespace Q4.ApiService.Images;

/// <summary>
/// The image types Q4 accepts, recognised by their bytes alone: a file's name and declared type are whatever the
/// client says, so a renamed HTML page stays an HTML page. Beyond the signature each format gets a cheap structural
/// check that catches a file cut short (an interrupted upload), without decoding any pixels.
/// </summary>
public static class ImageFormats
{
    public const string Png = "image/png";
    public const string Jpeg = "image/jpeg";
    public const string Gif = "image/gif";
    public const string WebP = "image/webp";

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The content type the bytes start like, or null for anything else.</summary>
    public static string? Detect(ReadOnlySpan<byte> data) =>
        data.StartsWith(PngSignature) ? Png
        : data is [0xFF, 0xD8, 0xFF, ..] ? Jpeg
        : data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8) ? Gif
        : data.Length >= 12 && data.StartsWith("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8) ? WebP
        : null;

    /// <summary>Whether the whole file is there: the structure <paramref name="contentType"/> requires ends where the data ends.</summary>
    public static bool IsComplete(string contentType, ReadOnlySpan<byte> data) => contentType switch
    {
        Png => IsCompletePng(data),
        // Markers inside the entropy-coded data are escaped, so the end-of-image marker is the last thing there is.
        Jpeg => data.Length >= 4 && data[^2] == 0xFF && data[^1] == 0xD9,
        // Header (6), logical screen descriptor (7), the trailer byte.
        Gif => data.Length >= 14 && data[^1] == 0x3B,
        // The RIFF size counts everything after itself.
        WebP => data.Length >= 12 && BinaryPrimitives.ReadUInt32LittleEndian(data[4..8]) == (uint)(data.Length - 8),
        _ => false,
    };

    /// <summary>Signature, IHDR first, then chunk by chunk (length, type, data, CRC) until a whole IEND.</summary>
    private static bool IsCompletePng(ReadOnlySpan<byte> data)
    {
        var position = PngSignature.Length;
        var first = true;
        while (position + 12 <= data.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(position, 4));
            var type = data.Slice(position + 4, 4);
            if (first && (!type.SequenceEqual("IHDR"u8) || length != 13))
            {
                return false;
            }
            first = false;
            var next = position + 12L + length;
            if (next > data.Length)
            {
                return false;
            }
            if (type.SequenceEqual("IEND"u8))
            {
                return true;
            }
            position = (int)next;
        }
        return false;
    }
}
