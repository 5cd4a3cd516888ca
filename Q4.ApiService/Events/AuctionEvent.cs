using System.Globalization;
using System.Text;
using System.Text.Json;
using Q4.ApiService.Auctions;
using Q4.Data;

namespace Q4.ApiService.Events;

/// <summary>
/// One event of an auction's stream, ready to send: its SSE frame is built once per replica and written
/// unchanged to every client watching the auction.
/// </summary>
public sealed class AuctionEvent
{
    private AuctionEvent(Guid auctionId, StreamPosition id, string type, byte[] frame)
    {
        AuctionId = auctionId;
        Id = id;
        Type = type;
        Frame = frame;
    }

    public Guid AuctionId { get; }

    public StreamPosition Id { get; }

    public string Type { get; }

    /// <summary><c>id:</c>, <c>event:</c> and <c>data:</c> lines and the blank line that ends the event.</summary>
    public ReadOnlyMemory<byte> Frame { get; }

    /// <summary>
    /// From the fields bid.lua (or the sync service, for <c>closed</c>) wrote, whether they arrive live through
    /// pub/sub or are read back from the auction's stream: both carry the same fields.
    /// </summary>
    public static AuctionEvent From(Guid auctionId, string id, IReadOnlyDictionary<string, string> fields)
    {
        var type = fields["type"];
        object data = type switch
        {
            "bid" => new
            {
                Id = fields["bidId"],
                AuctionId = auctionId,
                Amount = long.Parse(fields["amount"]),
                Bidder = new UserRef(Guid.Parse(fields["bidderId"]), fields["bidderName"]),
                PlacedAt = LuaScripts.ParseTime(fields["placedAt"]),
                EndsAt = LuaScripts.ParseTime(fields["endsAt"]),
            },
            "extended" => new
            {
                AuctionId = auctionId,
                BidId = fields["bidId"],
                EndsAt = LuaScripts.ParseTime(fields["endsAt"]),
                PreviousEndsAt = LuaScripts.ParseTime(fields["previousEndsAt"]),
            },
            "closed" => new
            {
                AuctionId = auctionId,
                FinalPrice = fields.TryGetValue("finalPrice", out var price) && price.Length > 0 ? long.Parse(price) : (long?)null,
                Winner = fields.TryGetValue("winnerId", out var winner) && winner.Length > 0
                    ? new UserRef(Guid.Parse(winner), fields.GetValueOrDefault("winnerName", ""))
                    : null,
                ClosedAt = fields.TryGetValue("closedAt", out var closedAt) ? LuaScripts.ParseTime(closedAt) : (DateTimeOffset?)null,
            },
            _ => new { AuctionId = auctionId },
        };
        var frame = new StringBuilder()
            .Append("id: ").Append(id).Append('\n')
            .Append("event: ").Append(type).Append('\n')
            .Append("data: ").Append(JsonSerializer.Serialize(data, JsonSerializerOptions.Web)).Append("\n\n")
            .ToString();
        return new AuctionEvent(auctionId, StreamPosition.Parse(id), type, Encoding.UTF8.GetBytes(frame));
    }
}

/// <summary>A Redis stream entry id (<c>milliseconds-sequence</c>), ordered as Redis orders them.</summary>
public readonly record struct StreamPosition(ulong Milliseconds, ulong Sequence) : IComparable<StreamPosition>
{
    public static StreamPosition Parse(string id) =>
        TryParse(id, out var position) ? position : throw new FormatException($"'{id}' is not a stream entry id.");

    public static bool TryParse(string? id, out StreamPosition position)
    {
        position = default;
        var dash = id?.IndexOf('-') ?? -1;
        if (id is null || dash <= 0
            || !ulong.TryParse(id.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            || !ulong.TryParse(id.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            return false;
        }
        position = new StreamPosition(ms, seq);
        return true;
    }

    public int CompareTo(StreamPosition other) =>
        Milliseconds != other.Milliseconds ? Milliseconds.CompareTo(other.Milliseconds) : Sequence.CompareTo(other.Sequence);

    public static bool operator >(StreamPosition a, StreamPosition b) => a.CompareTo(b) > 0;

    public static bool operator <(StreamPosition a, StreamPosition b) => a.CompareTo(b) < 0;

    public override string ToString() => $"{Milliseconds}-{Sequence}";
}
