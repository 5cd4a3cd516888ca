using System.Globalization;
using Q4.Frontend.Api;

namespace Q4.Frontend;

/// <summary>How pages write prices, counts and states: one place, so every page says them alike.</summary>
public static class Format
{
    private static readonly CultureInfo Culture = CultureInfo.GetCultureInfo("en-US");

    /// <summary>Prices are whole units of the auction's currency.</summary>
    public static string Price(long amount) => "€" + amount.ToString("N0", Culture);

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
