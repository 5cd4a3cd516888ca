using System.Text;
using Q4.Data;

namespace Q4.ApiService.Events;

/// <summary>
/// The SSE id of an event stream: where the client stands in the stream of each auction it watches, in the order it
/// named them, separated by dots (<c>1733215200123-0.0-0.1733215200456-3</c>; <c>0-0</c> for an auction that had no
/// event yet). For one auction that is just the id of its last event. Sent back as <c>Last-Event-ID</c>, it lets the
/// stream replay what each auction had since, so a reconnection sees every event once.
/// </summary>
public static class EventPositions
{
    public const char Separator = '.';

    public static string Format(IReadOnlyList<StreamId> positions)
    {
        var id = new StringBuilder(positions.Count * 16);
        for (var i = 0; i < positions.Count; i++)
        {
            if (i > 0)
            {
                id.Append(Separator);
            }
            id.Append(positions[i].ToString());
        }
        return id.ToString();
    }

    /// <summary>False unless <paramref name="id"/> holds exactly <paramref name="count"/> stream ids.</summary>
    public static bool TryParse(string id, int count, out StreamId[] positions)
    {
        var parts = id.Split(Separator);
        positions = new StreamId[parts.Length];
        if (parts.Length != count)
        {
            return false;
        }
        for (var i = 0; i < parts.Length; i++)
        {
            if (!StreamId.TryParse(parts[i], out positions[i]))
            {
                return false;
            }
        }
        return true;
    }
}
