using System.Globalization;

namespace Q4.Data;

/// <summary>
/// A Redis stream entry id, <c>milliseconds-sequence</c>, ordered as Redis orders them. The milliseconds are Redis's
/// clock when the entry was added, so an id also says when a bid was accepted or an event happened.
/// </summary>
public readonly record struct StreamId(ulong Milliseconds, ulong Sequence) : IComparable<StreamId>
{
    public static StreamId Parse(string id) =>
        TryParse(id, out var parsed) ? parsed : throw new FormatException($"'{id}' is not a stream entry id.");

    public static bool TryParse(string? id, out StreamId parsed)
    {
        parsed = default;
        var dash = id?.IndexOf('-') ?? -1;
        if (id is null || dash <= 0
            || !ulong.TryParse(id.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            || !ulong.TryParse(id.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            return false;
        }
        parsed = new StreamId(ms, seq);
        return true;
    }

    /// <summary>Redis's time (unix ms) when the entry with this id was added.</summary>
    public long UnixMilliseconds => (long)Milliseconds;

    public int CompareTo(StreamId other) =>
        Milliseconds != other.Milliseconds ? Milliseconds.CompareTo(other.Milliseconds) : Sequence.CompareTo(other.Sequence);

    public static bool operator >(StreamId a, StreamId b) => a.CompareTo(b) > 0;

    public static bool operator <(StreamId a, StreamId b) => a.CompareTo(b) < 0;

    public static bool operator >=(StreamId a, StreamId b) => a.CompareTo(b) >= 0;

    public static bool operator <=(StreamId a, StreamId b) => a.CompareTo(b) <= 0;

    public override string ToString() => $"{Milliseconds}-{Sequence}";
}
