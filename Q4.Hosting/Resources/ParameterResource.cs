using Q4.Hosting.Publishing;

namespace Q4.Hosting;

/// <summary>
/// A value the graph is given rather than makes, as Aspire's parameters are. Published, the deployment supplies it
/// (a secret nobody chose is generated). Run here, it comes from the AppHost's <c>Parameters:&lt;name&gt;</c> setting
/// or, for a secret, is generated once and kept in <c>.q4/secrets</c>.
/// </summary>
public sealed class ParameterResource(string name, bool secret, string? configured) : Resource(name)
{
    public bool Secret { get; } = secret;

    /// <summary>The value in this run; known once <see cref="Allocate"/> ran.</summary>
    internal string Value { get; private set; } = "";

    internal override int StopOrder => StopOrders.Store;

    internal override IReadOnlyList<string> Urls => [];

    internal override void Allocate(RunContext context) =>
        Value = configured
            ?? (Secret ? context.State.Secret(Name) : throw new AppHostException($"The parameter {Name} has no value: set Parameters:{Name}."));

    internal override Task StartAsync(RunContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    internal override IEnumerable<PublishedResource> Publish() => [new PublishedParameter(Name, Secret)];
}
