using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Q4.Frontend;

/// <summary>
/// Amounts people type: in euros, as digits with an optional point and at most two decimals ("120", "120.5", "120.50").
/// The API counts money in cents, so what is read here is sent in cents; <see cref="Format.Price"/> says it back in euros.
/// </summary>
public static class Money
{
    /// <summary>What to type, said whenever an amount could not be read.</summary>
    public const string Expected = "Enter the amount in euros, such as 120 or 120.50.";

    /// <summary>The cents in an amount typed in euros; false (and <paramref name="error"/>) for anything else.</summary>
    public static bool TryParseEuros(string? text, out long cents, [NotNullWhen(false)] out string? error)
    {
        cents = 0;
        var trimmed = text?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            error = "Enter an amount.";
            return false;
        }
        var point = trimmed.IndexOf('.');
        var whole = point < 0 ? trimmed : trimmed[..point];
        var fraction = point < 0 ? "" : trimmed[(point + 1)..];
        if (whole.Length == 0 || fraction.Length > 2 || (point >= 0 && fraction.Length == 0)
            || !whole.All(char.IsAsciiDigit) || !fraction.All(char.IsAsciiDigit)
            || !long.TryParse(whole, NumberStyles.None, CultureInfo.InvariantCulture, out var euros)
            || euros > (long.MaxValue - 99) / 100)
        {
            error = Expected;
            return false;
        }
        cents = euros * 100 + (fraction.Length == 0 ? 0 : int.Parse(fraction.PadRight(2, '0'), CultureInfo.InvariantCulture));
        error = null;
        return true;
    }
}
