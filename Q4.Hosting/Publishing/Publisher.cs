namespace Q4.Hosting.Publishing;

/// <summary>Runs the publisher <c>--publisher</c> names over the declared graph; nothing starts.</summary>
internal static class Publisher
{
    public static void Run(AppHostOptions options, IReadOnlyList<Resource> resources, ConsoleLog log)
    {
        var published = Describe(resources);
        var written = options.Publisher switch
        {
            "manifest" => ManifestPublisher.Write(published, options.OutputPath),
            "kubernetes" => Kubernetes.KubernetesPublisher.Write(published, options.OutputPath, options.ContainerRegistry),
            _ => throw new AppHostException($"There is no publisher '{options.Publisher}'. Publishers: manifest, kubernetes."),
        };
        log.Info($"Published the graph ({options.Publisher}) to {written}.");
    }

    /// <summary>Every resource's published form, parameters last (as Aspire lists them); a name used twice is an error.</summary>
    internal static IReadOnlyList<PublishedResource> Describe(IReadOnlyList<Resource> resources)
    {
        var published = resources.SelectMany(r => r.Publish()).OrderBy(r => r is PublishedParameter).ToList();
        if (published.GroupBy(r => r.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new AppHostException($"Two published resources are named '{twice.Key}'.");
        }
        return published;
    }
}
