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
    private AuctionEvent(Guid auctionId, StreamId id, string type, byte[] frame, int idLineLength, long? sequence = null)
    {
        Sequence = sequence;
        AuctionId = auctionId;
        Id = id;
        Type = type;
        Frame = frame;
        Body = Frame[idLineLength..];
    }

    /// <summary>
    /// Not an event: the subscription provably receives again, so the watcher reads its auction's stream after the
    /// last event it sent, then goes on with live events.
    /// </summary>
    public static AuctionEvent Resumed { get; } = new(Guid.Empty, default, "resumed", [], 0);

    public Guid AuctionId { get; }

    /// <summary>
    /// The event's number among its auction's events (1, 2, 3, ...): one that is not the last one sent plus one means
    /// events were lost on the way. Null for a <c>reload</c>, and for events written before numbering began.
    /// </summary>
    public long? Sequence { get; }

    public StreamId Id { get; }

    public string Type { get; }

    /// <summary><c>id:</c>, <c>event:</c> and <c>data:</c> lines and the blank line that ends the event.</summary>
    public ReadOnlyMemory<byte> Frame { get; }

    /// <summary>
    /// The frame without its <c>id:</c> line, for a stream of several auctions, whose ids say where the client stands
    /// in each of them (see <see cref="EventPositions"/>).
    /// </summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>
    /// <c>reload</c>: the events after the client's last one are no longer kept (or the stream was lost), so it cannot
    /// catch up event by event and must read the auction afresh. Its id is where live events go on from, which is
    /// where the client's next reconnection starts.
    /// </summary>
    public static AuctionEvent Reload(Guid auctionId, StreamId resumeFrom, StreamId lastSeen) =>
        Framed(auctionId, resumeFrom.ToString(), "reload", new
        {
            AuctionId = auctionId,
            LastEventId = lastSeen.ToString(),
            Reason = "The events since the last one received are no longer kept; read the auction again.",
        });

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
                // Absent from events written before it was added.
                MinimumBid = fields.TryGetValue("minimumBid", out var minimum) ? long.Parse(minimum) : (long?)null,
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
        var sequence = fields.TryGetValue("seq", out var seq) && long.TryParse(seq, out var number) ? number : (long?)null;
        return Framed(auctionId, id, type, data, sequence);
    }

    private static AuctionEvent Framed(Guid auctionId, string id, string type, object data, long? sequence = null)
    {
        var idLine = $"id: {id}\n";
        var frame = new StringBuilder(idLine)
            .Append("event: ").Append(type).Append('\n')
            .Append("data: ").Append(JsonSerializer.Serialize(data, JsonSerializerOptions.Web)).Append("\n\n")
            .ToString();
        return new AuctionEvent(auctionId, StreamId.Parse(id), type, Encoding.UTF8.GetBytes(frame), Encoding.UTF8.GetByteCount(idLine), sequence);
    }
}
