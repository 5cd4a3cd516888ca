using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Q4.Tests.Images;

/// <summary>Tiny but complete images of each accepted format, built here so every byte is accounted for.</summary>
public static class ImageFiles
{
    /// <summary>A 1×1 grey PNG: signature, IHDR, IDAT (zlib), IEND, each chunk with its real CRC.</summary>
    public static byte[] Png()
    {
        var output = new MemoryStream();
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        // width 1, height 1, bit depth 8, greyscale, deflate, adaptive filtering, no interlace
        WriteChunk(output, "IHDR", [0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
        var pixels = new MemoryStream();
        using (var zlib = new ZLibStream(pixels, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write([0x00, 0x80]); // filter "none", one grey pixel
        }
        WriteChunk(output, "IDAT", pixels.ToArray());
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    /// <summary>A 1×1 GIF89a: screen descriptor with a two-colour table, one image, LZW data, trailer.</summary>
    public static byte[] Gif() =>
    [
        .. "GIF89a"u8, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00,
        0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00,
        0x2C, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
        0x02, 0x02, 0x44, 0x01, 0x00,
        0x3B,
    ];

    /// <summary>
    /// A 1×1 greyscale baseline JPEG: quantisation table, frame, one-code Huffman tables for DC and AC, a scan
    /// whose two bits say "DC difference 0, end of block", and the end marker.
    /// </summary>
    public static byte[] Jpeg()
    {
        byte[] quantisation = [0xFF, 0xDB, 0x00, 0x43, 0x00, .. Enumerable.Repeat((byte)1, 64)];
        byte[] frame = [0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x01, 0x00, 0x01, 0x01, 0x01, 0x11, 0x00];
        byte[] dcTable = [0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01, .. new byte[15], 0x00];
        byte[] acTable = [0xFF, 0xC4, 0x00, 0x14, 0x10, 0x01, .. new byte[15], 0x00];
        byte[] scan = [0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0b0011_1111];
        byte[] jfif = [0xFF, 0xE0, 0x00, 0x10, .. "JFIF\0"u8, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00];
        return [0xFF, 0xD8, .. jfif, .. quantisation, .. frame, .. dcTable, .. acTable, .. scan, 0xFF, 0xD9];
    }

    /// <summary>A 1×1 lossless WebP (RIFF, WEBP, one VP8L chunk); the RIFF size counts everything after itself.</summary>
    public static byte[] WebP() => Convert.FromBase64String("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==");

    public static byte[] Of(string contentType) => contentType switch
    {
        "image/png" => Png(),
        "image/gif" => Gif(),
        "image/jpeg" => Jpeg(),
        "image/webp" => WebP(),
        _ => throw new ArgumentOutOfRangeException(nameof(contentType), contentType, null),
    };

    private static void WriteChunk(Stream output, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(number, (uint)data.Length);
        output.Write(number);
        byte[] typeAndData = [.. Encoding.ASCII.GetBytes(type), .. data];
        output.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32(typeAndData));
        output.Write(number);
    }

    /// <summary>PNG's CRC-32 (ISO 3309, reflected, polynomial 0xEDB88320).</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }
        return ~crc;
    }
}
