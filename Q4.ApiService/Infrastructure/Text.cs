using System.Globalization;

namespace Q4.ApiService.Infrastructure;

public static class Text
{
    /// <summary>
    /// Characters a one-line text shown to other people must not hold: control characters, and the invisible
    /// formatting ones (such as right-to-left overrides) that make a name or title look like another.
    /// </summary>
    public static bool IsControl(char c) =>
        char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
