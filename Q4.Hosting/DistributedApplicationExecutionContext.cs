namespace Q4.Hosting;

/// <summary>
/// Whether the AppHost runs the graph here or publishes a description of it for a deployment tool
/// (<c>--publisher manifest|kubernetes</c>), as Aspire's execution context says; Program.cs may declare differently.
/// </summary>
public sealed class DistributedApplicationExecutionContext(string? publisher)
{
    /// <summary>The publisher asked for, or null when the graph runs.</summary>
    public string? PublisherName { get; } = publisher;

    public bool IsPublishMode => PublisherName is not null;

    public bool IsRunMode => !IsPublishMode;
}
