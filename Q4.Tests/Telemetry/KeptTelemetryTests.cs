using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Q4.Dashboard.Telemetry;
using Q4.Tests.Sync;
using Q4.Tests.Users;

namespace Q4.Tests.Telemetry;

/// <summary>With <c>AppHost:KeepTelemetry</c>, what the dashboard received outlives the AppHost (a graph of its own).</summary>
public sealed class KeptTelemetryTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_keep_telemetry_a_trace_and_its_logs_survive_an_apphost_restart()
    {
        var state = DistributedApplicationTestingBuilder.NewStateDirectory();
        var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

        var first = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Q4_AppHost>(["--AppHost:KeepTelemetry", "true"], Cancellation);
        first.StateDirectory = state;
        first.DeleteStateDirectory = false;
        await using (var app = await first.BuildAsync(Cancellation))
        {
            await app.StartAsync(Cancellation);
            // A refused bid: the API's server span and its log line, both of the test's trace.
            using var bidder = TestUser.Fresh(app);
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/auctions/{Guid.NewGuid()}/bids") { Content = JsonContent.Create(new { amount = 100 }) };
            request.Headers.Add("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-01");
            using var response = await bidder.Api(0).SendAsync(request, Cancellation);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);

            using var dashboard = app.CreateHttpClient("apphost");
            Assert.True(await SyncStore.EventuallyAsync(async () =>
                (await SpanCountAsync(dashboard, traceId)) > 0 && (await LogCountAsync(dashboard, traceId)) > 0, TimeSpan.FromSeconds(30)),
                "the bid's span and log did not reach the dashboard");
            Assert.Equal(0, await app.StopAsync());
        }
        Assert.True(File.Exists(Path.Combine(state, "telemetry", TelemetryArchive.FileName)));

        var second = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Q4_AppHost>(["--AppHost:KeepTelemetry", "true"], Cancellation);
        second.StateDirectory = state;
        await using (var app = await second.BuildAsync(Cancellation))
        {
            await app.StartAsync(Cancellation);
            using var dashboard = app.CreateHttpClient("apphost");
            // Read back before anything new could arrive under that trace id: the test made it up.
            Assert.True(await SpanCountAsync(dashboard, traceId) > 0, "the trace did not survive the restart");
            Assert.True(await LogCountAsync(dashboard, traceId) > 0, "the trace's log did not survive the restart");
        }
    }

    [Fact]
    public async Task A_kept_run_count_out_of_range_stops_the_apphost_with_a_message_naming_the_setting()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Q4_AppHost>(
            ["--AppHost:KeepTelemetry", "true", "--AppHost:KeptTelemetryRuns", "0"], Cancellation);
        await using var app = await builder.BuildAsync(Cancellation);
        app.Launch();
        Assert.Equal(1, await app.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("AppHost:KeptTelemetryRuns is from 1 to 100 (it is 0)", app.Output);
    }

    private static async Task<int> SpanCountAsync(HttpClient dashboard, string traceId)
    {
        using var response = await dashboard.GetAsync($"/api/telemetry/traces/{traceId}", Cancellation);
        return response.StatusCode == HttpStatusCode.NotFound
            ? 0
            : (await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("totalCount").GetInt32();
    }

    private static async Task<int> LogCountAsync(HttpClient dashboard, string traceId) =>
        (await dashboard.GetFromJsonAsync<JsonElement>($"/api/telemetry/logs?traceId={traceId}", Cancellation)).GetProperty("totalCount").GetInt32();
}
