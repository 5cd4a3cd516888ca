using System.Security.Claims;
using Q4.ApiService.Infrastructure;

namespace Q4.ApiService.Users;

/// <summary>The name other bidders see: trimmed, 1–64 characters, no control characters.</summary>
public static class DisplayName
{
    public const int MaxLength = 64;

    /// <summary>Validates a name a user chose; <paramref name="error"/> says what is wrong.</summary>
    public static bool TryNormalize(string? input, out string name, out string? error)
    {
        name = (input ?? "").Trim();
        error = name switch
        {
            "" => "The name must not be empty.",
            { Length: > MaxLength } => $"The name must be at most {MaxLength} characters long.",
            _ when name.Any(Text.IsControl) => "The name must not contain control characters.",
            _ => null,
        };
        return error is null;
    }

    /// <summary>A first name from the identity provider's claims, made valid rather than refused.</summary>
    public static string FromToken(ClaimsPrincipal principal)
    {
        var claimed = principal.FindFirst("name")?.Value ?? principal.FindFirst("preferred_username")?.Value ?? "";
        var cleaned = new string(claimed.Where(c => !Text.IsControl(c)).ToArray()).Trim();
        return cleaned.Length == 0 ? "Bidder" : cleaned[..Math.Min(cleaned.Length, MaxLength)].TrimEnd();
    }
}
