using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace Q4.Hosting;

/// <summary>Collects the resource graph that <c>Program.cs</c> declares.</summary>
public sealed class DistributedApplicationBuilder
{
    private readonly List<Resource> _resources = [];

    internal DistributedApplicationBuilder(string[] args)
    {
        Host = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args });
        // The dashboard's scripts and styles, from where the build left them (the AppHost never runs published).
        Host.WebHost.UseStaticWebAssets();
        Host.Configuration.AddCommandLine(args, AppHostOptions.Switches);
        ExecutionContext = new DistributedApplicationExecutionContext(Host.Configuration[$"{AppHostOptions.Section}:{nameof(AppHostOptions.Publisher)}"]);
    }

    /// <summary>Whether this AppHost runs the graph or publishes it.</summary>
    public DistributedApplicationExecutionContext ExecutionContext { get; }

    internal WebApplicationBuilder Host { get; }

    public IConfiguration Configuration => Host.Configuration;

    /// <summary>The checkout this AppHost was built from; <c>.q4/</c> lives there.</summary>
    public static string RepositoryRoot =>
        typeof(DistributedApplicationBuilder).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "Q4.RepositoryRoot").Value!;

    public ResourceBuilder<RedisResource> AddRedis(string name) => Add(new RedisResource(name));

    public ResourceBuilder<PostgresServerResource> AddPostgres(string name) => Add(new PostgresServerResource(name));

    public ResourceBuilder<S3StorageResource> AddS3Storage(string name) => Add(new S3StorageResource(name));

    /// <summary>A value the deployment supplies (see <see cref="ParameterResource"/>); here from <c>Parameters:&lt;name&gt;</c>.</summary>
    public ResourceBuilder<ParameterResource> AddParameter(string name, bool secret = false) =>
        Add(new ParameterResource(name, secret, Configuration[$"Parameters:{name}"]));

    public ResourceBuilder<ProjectResource> AddProject<TProject>(string name) where TProject : IProjectMetadata, new() =>
        Add(new ProjectResource(name, new TProject()));

    internal ResourceBuilder<T> Add<T>(T resource) where T : Resource
    {
        if (_resources.Any(r => r.Name == resource.Name))
        {
            throw new ArgumentException($"A resource named '{resource.Name}' is declared twice.", nameof(resource));
        }
        _resources.Add(resource);
        return new ResourceBuilder<T>(resource, this);
    }

    public DistributedApplication Build() => new(Host, _resources);
}

public static class PostgresBuilderExtensions
{
    /// <summary>A database in the server; projects that reference it get its own connection string.</summary>
    public static ResourceBuilder<PostgresDatabaseResource> AddDatabase(this ResourceBuilder<PostgresServerResource> server, string name)
    {
        var database = server.ApplicationBuilder.Add(new PostgresDatabaseResource(name, server.Resource));
        database.Resource.WaitsFor.Add(server.Resource);
        return database;
    }
}
