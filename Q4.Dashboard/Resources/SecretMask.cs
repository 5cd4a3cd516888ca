using System.Text.RegularExpressions;

namespace Q4.Dashboard.Resources;

/// <summary>
/// Hides secrets in a process's environment until someone asks to see them: a variable whose name says it holds one
/// (PASSWORD, SECRET, KEY, TOKEN) is hidden whole; in any other value, the part of a connection string or header list
/// (<c>name=value</c> pairs split by <c>;</c> or <c>,</c>) whose name says so, such as a connection string's password.
/// </summary>
public static partial class SecretMask
{
    public const string Hidden = "••••••";

    private static readonly string[] SecretWords = ["PASSWORD", "SECRET", "KEY", "TOKEN", "PWD"];

    public static bool IsSecretName(string name) =>
        SecretWords.Any(word => name.Contains(word, StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether <see cref="Mask"/> hides anything of the value (so the page offers to show it).</summary>
    public static bool HasSecret(string name, string value) => Mask(name, value) != value;

    public static string Mask(string name, string value)
    {
        if (value.Length == 0)
        {
            return value;
        }
        if (IsSecretName(name))
        {
            return Hidden;
        }
        return Pair().Replace(value, match => IsSecretName(match.Groups["name"].Value)
            ? match.Groups["name"].Value + "=" + Hidden
            : match.Value);
    }

    /// <summary>One <c>name=value</c> pair of a list separated by <c>;</c> or <c>,</c>.</summary>
    [GeneratedRegex(@"(?<=^|[;,])\s*(?<name>[^=;,]+)=(?<value>[^;,]*)")]
    private static partial Regex Pair();
}
