using System.Globalization;

namespace Q4.Frontend.Sell;

/// <summary>
/// Times as the sell form takes them: a <c>datetime-local</c> value (a wall-clock time without zone) in the
/// browser's time zone, which the page's script reports. Without script no zone is known and UTC is assumed.
/// </summary>
public static class LocalTime
{
    private static readonly string[] Formats = ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFF"];

    /// <summary>The browser's zone by its IANA name, or null when none or an unknown one was sent.</summary>
    public static TimeZoneInfo? Zone(string? name) =>
        !string.IsNullOrWhiteSpace(name) && TimeZoneInfo.TryFindSystemTimeZoneById(name.Trim(), out var zone) ? zone : null;

    /// <summary>
    /// The UTC instant of a wall-clock time in <paramref name="zone"/>; false when the text is no such time or the
    /// time does not exist there (skipped by a daylight-saving change).
    /// </summary>
    public static bool TryToUtc(string text, TimeZoneInfo zone, out DateTimeOffset utc)
    {
        utc = default;
        if (!DateTime.TryParseExact(text.Trim(), Formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return false;
        }
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
        {
            return false;
        }
        utc = new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(local, zone), TimeSpan.Zero);
        return true;
    }

    /// <summary>Hours and minutes of a UTC instant in <paramref name="zone"/>, as the form's messages say them.</summary>
    public static string Clock(DateTimeOffset utc, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(utc, zone).ToString("HH:mm", CultureInfo.InvariantCulture) + (zone == TimeZoneInfo.Utc ? " UTC" : "");
}
