using Npgsql;

namespace Q4.Tests.Hosting;

/// <summary>
/// The schema comes from Q4.MigrationService, a resource that runs once and ends; the services wait for its success.
/// </summary>
public sealed class MigrationServiceTests(GraphFixture graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_copies_started_together_migrate_a_fresh_database_once_and_both_succeed()
    {
        // A database of its own on the graph's PostgreSQL, empty, as the AppHost's database resource creates it.
        var shared = new NpgsqlConnectionStringBuilder(await graph.App.GetConnectionStringAsync("q4db", Cancellation));
        var name = $"q4_migrate_{Guid.NewGuid():n}"[..24];
        await using var admin = new NpgsqlConnection(shared.ConnectionString);
        await admin.OpenAsync(Cancellation);
        await Execute(admin, $"CREATE DATABASE {name}");
        try
        {
            var fresh = new NpgsqlConnectionStringBuilder(shared.ConnectionString) { Database = name, Pooling = false };
            var environment = new Dictionary<string, string> { ["ConnectionStrings__q4db"] = fresh.ConnectionString };
            await using var first = ServiceProcess.Launch(new Projects.Q4_MigrationService(), environment);
            await using var second = ServiceProcess.Launch(new Projects.Q4_MigrationService(), environment);
            var codes = await Task.WhenAll(
                first.WaitForExitAsync(TimeSpan.FromMinutes(2), Cancellation), second.WaitForExitAsync(TimeSpan.FromMinutes(2), Cancellation));
            Assert.True(codes is [0, 0], $"exit codes {codes[0]} and {codes[1]}:\n{first.Output}\n{second.Output}");

            // Every migration the graph's own database has, recorded once; one copy applied them, the other found none.
            var expected = await Scalar(admin, """SELECT count(*) FROM "__EFMigrationsHistory" """);
            Assert.True(expected > 0);
            await using var migrated = new NpgsqlConnection(fresh.ConnectionString);
            await migrated.OpenAsync(Cancellation);
            Assert.Equal(expected, await Scalar(migrated, """SELECT count(DISTINCT h) FROM "__EFMigrationsHistory" h"""));
            Assert.Equal(expected, await Scalar(migrated, """SELECT count(*) FROM "__EFMigrationsHistory" """));
            var outputs = new[] { first.Output, second.Output };
            Assert.Single(outputs, o => o.Contains($"{expected} migration(s) applied"));
            Assert.Single(outputs, o => o.Contains("0 migration(s) applied (none pending)"));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await Execute(admin, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        }
    }

    [Fact]
    public async Task A_migration_that_fails_stops_the_graph_with_its_error_and_the_services_waiting_for_it_never_start()
    {
        // The migration service alone is pointed at a "PostgreSQL" that takes the connection and never answers, so it
        // fails only after 40 s, when everything else the services wait for is long healthy.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Q4_AppHost>(
            [$"--AppHost:Environment:migrations:ConnectionStrings__q4db=Host=127.0.0.1;Port={port};Database=q4db;Username=postgres;Password=x;Timeout=40"],
            Cancellation);
        await using var app = await builder.BuildAsync(Cancellation);
        app.Launch();

        Assert.Equal(1, await app.WaitForExitAsync(TimeSpan.FromMinutes(3)));
        Assert.Contains("migrations exited with code 1", app.Output);
        Assert.Contains("MigrationWorker failed", app.Output);
        Assert.Contains("Q4 did not start", app.Output);
        // All the API waits for but the migrations was ready; still it never ran, nor did the sync service.
        foreach (var ready in (string[])["redis", "postgres", "storage", "identity"])
        {
            Assert.Contains($"{ready} is healthy", app.Output);
        }
        var logs = Path.Combine(app.StateDirectory, "logs");
        Assert.Contains("NpgsqlException", await File.ReadAllTextAsync(Path.Combine(logs, "migrations.log"), Cancellation));
        Assert.False(File.Exists(Path.Combine(logs, "apiservice-0.log")));
        Assert.False(File.Exists(Path.Combine(logs, "syncservice-0.log")));
        Assert.Empty(await Leftovers.AfterSettlingAsync(app, TimeSpan.FromSeconds(5)));
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Cancellation);
    }

    private static async Task<long> Scalar(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync(Cancellation))!;
    }
}
