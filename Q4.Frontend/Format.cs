using System.Globalization;
using Q4.Frontend.Api;

namespace Q4.Frontend;

/// <summary>How pages write prices, counts and states: one place, so every page says them alike.</summary>
public static class Format
{
    private static readonly CultureInfo Culture = CultureInfo.GetCultureInfo("en-US");

    /// <summary>
    /// A price as the API gives it, a count of euro cents, in euros: "€120" when it is whole euros, "€120.50" otherwise,
    /// en-US grouping. wwwroot/js/live.js writes prices the same way.
    /// </summary>
    public static string Price(long cents) =>
        "€" + (cents / 100m).ToString(cents % 100 == 0 ? "N0" : "N2", Culture);

    /// <summary>An amount in euros as a form field shows it ("120", "120.50", no grouping): what <see cref="Money"/> reads back.</summary>
    public static string Euros(long cents) =>
        (cents / 100m).ToString(cents % 100 == 0 ? "0" : "0.00", CultureInfo.InvariantCulture);

    public static string Bids(int count) => count == 1 ? "1 bid" : $"{count.ToString("N0", Culture)} bids";

    public static string Status(string status, DateTimeOffset startsAt, DateTimeOffset endsAt) => status switch
    {
        AuctionStatus.Live => $"Ends {Time(endsAt)}",
        AuctionStatus.Upcoming => $"Starts {Time(startsAt)}",
        _ => "Ended",
    };

    /// <summary>A UTC time, said in UTC: the server does not know the reader's zone (scripts show it locally).</summary>
    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("d MMM yyyy, HH:mm 'UTC'", Culture);

    /// <summary>A moment to the second (a bid's time), in UTC.</summary>
    public static string Clock(DateTimeOffset at) => at.UtcDateTime.ToString("HH:mm:ss 'UTC'", Culture);
}
