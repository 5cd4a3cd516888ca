using System.Net;
using System.Net.Http.Json;
using Npgsql;
using Q4.Tests.Hosting;
using StackExchange.Redis;

namespace Q4.Tests.Integration;

public sealed class GraphHealthTests(GraphFixture graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => graph.App;

    public static TheoryData<string> Projects => ["identity", "apiservice", "syncservice", "frontend"];

    [Theory]
    [MemberData(nameof(Projects))]
    public async Task Every_replica_of_every_project_is_healthy_and_alive(string project)
    {
        Assert.NotEmpty(App.GetUrls(project));
        for (var replica = 0; replica < App.GetUrls(project).Count; replica++)
        {
            using var client = App.CreateHttpClient(project, replica);
            var health = await client.GetFromJsonAsync<HealthReport>("/health", Cancellation);
            Assert.Equal("Healthy", health!.Status);
            using var alive = await client.GetAsync("/alive", Cancellation);
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        }
    }

    [Fact]
    public async Task Api_and_sync_service_run_two_replicas_by_default()
    {
        Assert.Equal(2, App.GetUrls("apiservice").Count);
        Assert.Equal(2, App.GetUrls("syncservice").Count);
        Assert.Equal(2, App.GetPids("apiservice").Distinct().Count());
        Assert.Equal(2, App.GetPids("syncservice").Distinct().Count());
    }

    [Fact]
    public async Task Each_api_replica_reaches_redis_postgres_and_storage()
    {
        for (var replica = 0; replica < 2; replica++)
        {
            using var client = App.CreateHttpClient("apiservice", replica);
            var health = await client.GetFromJsonAsync<HealthReport>("/health", Cancellation);
            foreach (var store in new[] { "redis", "q4db", "storage" })
            {
                Assert.True(health!.Checks.TryGetValue(store, out var check), $"no health check for {store}");
                Assert.Equal("Healthy", check.Status);
            }
        }
    }

    [Fact]
    public async Task The_redis_connection_string_reaches_the_real_server()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await App.GetConnectionStringAsync("redis", Cancellation) + ",allowAdmin=true");
        var key = $"test:{Guid.NewGuid()}";
        var db = redis.GetDatabase();
        await db.StringSetAsync(key, "bid", TimeSpan.FromMinutes(1));
        Assert.Equal("bid", await db.StringGetAsync(key));
        // Append-only persistence is what makes an accepted bid survive a Redis restart.
        var config = await redis.GetServers()[0].ConfigGetAsync("appendonly");
        Assert.Equal("yes", config.Single().Value);
    }

    [Fact]
    public async Task The_database_connection_string_opens_the_q4db_database()
    {
        await using var connection = new NpgsqlConnection(App.GetConnectionString("q4db"));
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand("SELECT current_database(), current_setting('server_version_num')::int", connection);
        await using var reader = await command.ExecuteReaderAsync(Cancellation);
        Assert.True(await reader.ReadAsync(Cancellation));
        Assert.Equal("q4db", reader.GetString(0));
        Assert.True(reader.GetInt32(1) >= 150000, "PostgreSQL 15 or newer");
    }

    [Fact]
    public async Task The_api_serves_its_openapi_document()
    {
        using var client = App.CreateHttpClient("apiservice");
        using var response = await client.GetAsync("/openapi/v1.json", Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"openapi\"", await response.Content.ReadAsStringAsync(Cancellation));
    }

    [Fact]
    public async Task The_frontend_serves_its_home_page()
    {
        using var client = App.CreateHttpClient("frontend");
        var html = await client.GetStringAsync("/", Cancellation);
        Assert.Contains("Live auctions", html);
    }

    [Fact]
    public async Task The_dashboard_lists_every_resource_as_healthy_and_the_migrations_as_finished()
    {
        using var client = App.CreateHttpClient("apphost");
        var resources = await client.GetFromJsonAsync<List<DashboardResource>>("/api/resources", Cancellation);
        Assert.Equal(
            ["apiservice", "frontend", "identity", "migrations", "postgres", "q4db", "redis", "storage", "syncservice"],
            resources!.Select(r => r.Name).Order());
        Assert.All(resources!, r => Assert.Equal(r.Name == "migrations" ? "Finished" : "Healthy", r.State));
    }

    [Fact]
    public void The_api_and_the_sync_service_started_only_after_the_migrations_had_finished()
    {
        // Each log starts with a line stamped when its process started; the migrations' log was last written when it
        // exited (its "exited with code 0" line).
        var logs = Path.Combine(App.StateDirectory, "logs");
        var migrated = File.GetLastWriteTimeUtc(Path.Combine(logs, "migrations.log"));
        Assert.EndsWith("==== exited with code 0", File.ReadAllText(Path.Combine(logs, "migrations.log")).TrimEnd());
        foreach (var replica in (string[])["apiservice-0", "apiservice-1", "syncservice-0", "syncservice-1"])
        {
            var first = File.ReadLines(Path.Combine(logs, $"{replica}.log")).First();
            var started = DateTimeOffset.Parse(first.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture).UtcDateTime;
            Assert.True(started >= migrated, $"{replica} started at {started:O}, before the migrations finished at {migrated:O}");
        }
    }

    private sealed record HealthReport(string Status, Dictionary<string, HealthCheck> Checks);

    private sealed record HealthCheck(string Status, string? Description);

    private sealed record DashboardResource(string Name, string State);
}
