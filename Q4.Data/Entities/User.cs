namespace Q4.Data.Entities;

/// <summary>Someone who signed in. Learned on first sight from a token: one row per (issuer, subject).</summary>
public sealed class User
{
    public Guid Id { get; set; }

    public required string Issuer { get; set; }

    public required string Subject { get; set; }

    public required string Name { get; set; }

    public string? Email { get; set; }

    public bool Blocked { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
