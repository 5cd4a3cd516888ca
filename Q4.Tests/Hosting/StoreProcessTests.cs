using Npgsql;
using Q4.Hosting;
using Q4.Tests.Sync;

namespace Q4.Tests.Hosting;

/// <summary>The test helper that crashes or stops a store of a graph and starts it again, on a graph of its own.</summary>
public sealed class StoreProcessTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Postgresql_crashed_then_stopped_comes_back_each_time_as_it_was_with_its_data()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Q4_AppHost>(Cancellation);
        await using var app = await builder.BuildAsync(Cancellation);
        await app.StartAsync(Cancellation);
        var original = app.GetPids("postgres").Single();
        var commandLine = ProcFs.CommandLine(original);
        var owner = OwnerOf(original);
        await ExecuteAsync(app, "CREATE TABLE store_check (value text); INSERT INTO store_check VALUES ('kept')");

        await using var postgres = await app.StopStoreAsync("postgres", Signals.SIGKILL);

        Assert.False(Signals.IsAlive(original));
        Assert.False(postgres.IsRunning);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ExecuteAsync(app, "SELECT 1"));

        await postgres.StartAsync();
        await AssertRunsAsItDidAsync();
        // Stopped again the way the AppHost stops it (fast shutdown), with a connection open.
        await using (var open = await OpenAsync(app))
        {
            await postgres.StopAsync(Signals.SIGINT);
        }
        await postgres.StartAsync();
        await AssertRunsAsItDidAsync();

        async Task AssertRunsAsItDidAsync()
        {
            Assert.NotEqual(original, postgres.Pid);
            Assert.Equal(Environment.ProcessId, ProcFs.ParentOf(postgres.Pid));
            Assert.Equal(commandLine, ProcFs.CommandLine(postgres.Pid));
            Assert.Equal(owner, OwnerOf(postgres.Pid));
            await using var connection = await OpenAsync(app);
            await using var command = new NpgsqlCommand("SELECT value FROM store_check", connection);
            Assert.Equal("kept", await command.ExecuteScalarAsync(Cancellation));
        }
    }

    private static async Task<NpgsqlConnection> OpenAsync(AppHostProcess app)
    {
        var connection = new NpgsqlConnection(app.GetConnectionString("postgres") + ";Pooling=false;Timeout=2");
        await connection.OpenAsync(Cancellation);
        return connection;
    }

    private static async Task ExecuteAsync(AppHostProcess app, string sql)
    {
        await using var connection = await OpenAsync(app);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Cancellation);
    }

    private static string OwnerOf(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Single(line => line.StartsWith("Uid:", StringComparison.Ordinal));
}
