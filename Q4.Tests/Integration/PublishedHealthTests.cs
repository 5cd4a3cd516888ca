using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Q4.Tests.Hosting;

namespace Q4.Tests.Integration;

/// <summary>
/// <c>/health</c> of API processes started beside the shared graph, each with a dependency the test controls: a Redis
/// of its own (to count the pings of the checks, or to take it away), or an S3 endpoint that refuses or never answers.
/// </summary>
public sealed class PublishedHealthTests(GraphFixture graph)
{
    /// <summary>The header that carries the key the AppHost gives its services (<c>Health:DetailsKey</c>).</summary>
    private const string KeyHeader = "Q4-Health-Key";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => graph.App;

    [Fact]
    public async Task Requests_share_one_run_of_the_checks_per_period_and_a_lost_dependency_shows_within_seconds()
    {
        var period = TimeSpan.FromSeconds(1);
        await using var redis = await PrivateRedis.StartAsync(Cancellation);
        await using var api = await ServiceProcess.StartAsync(new Projects.Q4_ApiService(), ApiEnvironment(new()
        {
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["Health__Period"] = period.ToString(),
        }), Cancellation);
        using var client = api.CreateHttpClient();

        // The Redis check pings; nothing else this process does sends PING.
        const int requests = 200;
        var pingsBefore = await redis.CallsOfAsync("ping");
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < requests; i++)
        {
            Assert.Equal("Healthy", (await GetHealthAsync(client)).Status);
        }
        var elapsed = Stopwatch.GetElapsedTime(started);
        var pings = await redis.CallsOfAsync("ping") - pingsBefore;
        // A run per period that started meanwhile, one that was under way, and one more for the timer's slack; a run
        // pings at most twice (database and server).
        var allowed = 2 * ((int)(elapsed / period) + 2);
        TestContext.Current.TestOutputHelper?.WriteLine($"{requests} requests in {elapsed.TotalSeconds:0.00} s cost {pings} pings");
        Assert.True(pings <= allowed,
            $"{requests} requests in {elapsed.TotalSeconds:0.00} s cost {pings} pings of Redis; one run of the checks per {period.TotalSeconds} s allows {allowed}");

        await redis.KillAsync();
        var lost = Stopwatch.GetTimestamp();
        HealthAnswer health;
        do
        {
            await Task.Delay(100, Cancellation);
            health = await GetHealthAsync(client, expected: null);
        }
        while (health.Status == "Healthy" && Stopwatch.GetElapsedTime(lost) < TimeSpan.FromSeconds(30));
        // A period to notice, and Redis's own five-second timeout on the ping (it waits for a reconnection).
        Assert.True(Stopwatch.GetElapsedTime(lost) < TimeSpan.FromSeconds(15),
            $"Redis was gone for {Stopwatch.GetElapsedTime(lost).TotalSeconds:0.0} s before /health said so");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.Code);
        Assert.Equal("Unhealthy", health.Checks["redis"].Status);
        // Development: the reason is shown to anyone.
        Assert.False(string.IsNullOrEmpty(health.Checks["redis"].Description), "no reason shown in Development");
    }

    [Fact]
    public async Task Health_says_starting_until_the_first_report_instead_of_waiting_for_the_checks()
    {
        // An S3 endpoint that accepts connections and never answers: the first run of the checks lasts the check timeout,
        // which is long enough that the process answers /alive well within it even on a loaded machine.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(100);
        await using var api = ServiceProcess.Launch(new Projects.Q4_ApiService(), ApiEnvironment(new()
        {
            ["ConnectionStrings__storage"] = $"Endpoint=http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port};AccessKey=q4;SecretKey=q4-secret",
            ["Health__CheckTimeout"] = "00:00:20",
        }));
        await api.WaitUntilAnswersAsync("/alive", TimeSpan.FromMinutes(1), Cancellation);
        using var client = api.CreateHttpClient();

        var first = await GetHealthAsync(client, expected: null).WaitAsync(TimeSpan.FromSeconds(3), Cancellation);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.Code);
        Assert.Equal("Starting", first.Status);
        Assert.Empty(first.Checks);

        var report = await EventuallyAsync(client, answer => answer.Status != "Starting", TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, report.Code);
        Assert.Equal("Unhealthy", report.Checks["storage"].Status);
        Assert.Equal("Healthy", report.Checks["q4db"].Status);
        Assert.False(string.IsNullOrEmpty(report.Checks["storage"].Description), "no reason shown in Development");
    }

    [Fact]
    public async Task Outside_development_the_reasons_are_shown_only_to_whoever_has_the_key()
    {
        var key = Guid.NewGuid().ToString("N");
        // Outside Development the API insists on an HTTPS identity provider; nothing here signs in, so none need answer.
        await using var api = ServiceProcess.Launch(new Projects.Q4_ApiService(), ApiEnvironment(new()
        {
            ["ConnectionStrings__storage"] = $"Endpoint=http://127.0.0.1:{ClosedPort()};AccessKey=q4;SecretKey=q4-secret",
            ["services__identity__http__0"] = "https://127.0.0.1:1",
            ["Health__DetailsKey"] = key,
        }), environmentName: "Production");
        await api.WaitUntilAnswersAsync("/alive", TimeSpan.FromMinutes(1), Cancellation);
        using var client = api.CreateHttpClient();

        var anonymous = await EventuallyAsync(client, answer => answer.Status != "Starting", TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, anonymous.Code);
        Assert.Equal("Unhealthy", anonymous.Checks["storage"].Status);
        Assert.True(anonymous.Checks.Values.All(check => check.Description is null),
            $"reasons shown without the key: {anonymous.Body}");

        var wrongKey = await GetHealthAsync(client, expected: null, key: Guid.NewGuid().ToString("N"));
        Assert.True(wrongKey.Checks.Values.All(check => check.Description is null), $"reasons shown with a wrong key: {wrongKey.Body}");

        var withKey = await GetHealthAsync(client, expected: null, key: key);
        Assert.Equal("Unhealthy", withKey.Checks["storage"].Status);
        Assert.False(string.IsNullOrEmpty(withKey.Checks["storage"].Description), $"no reason shown with the key: {withKey.Body}");
    }

    [Fact]
    public void The_apphost_gives_its_projects_a_key_for_the_details()
    {
        var keys = new[] { "apiservice", "syncservice", "identity", "frontend" }
            .SelectMany(App.GetPids).Select(HealthKeyOf).ToList();
        Assert.All(keys, key => Assert.True(key is { Length: >= 32 }, $"no health key, or a short one: '{key}'"));
        Assert.Single(keys.Distinct());
    }

    /// <summary>What every API process here needs: the graph's stores and identity provider; <paramref name="overrides"/> on top.</summary>
    private Dictionary<string, string> ApiEnvironment(Dictionary<string, string> overrides)
    {
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = App.GetConnectionString("redis"),
            ["ConnectionStrings__q4db"] = App.GetConnectionString("q4db"),
            ["ConnectionStrings__storage"] = App.GetConnectionString("storage"),
            ["services__identity__http__0"] = App.GetUrls("identity")[0],
        };
        foreach (var (name, value) in overrides)
        {
            environment[name] = value;
        }
        return environment;
    }

    private sealed record HealthCheckAnswer(string Status, string? Description);

    private sealed record HealthAnswer(HttpStatusCode Code, string Status, Dictionary<string, HealthCheckAnswer> Checks, string Body);

    /// <summary>GET /health (with the key header when given); fails unless it answers <paramref name="expected"/> (any code if null).</summary>
    private static async Task<HealthAnswer> GetHealthAsync(HttpClient client, HttpStatusCode? expected = HttpStatusCode.OK, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        if (key is not null)
        {
            request.Headers.Add(KeyHeader, key);
        }
        using var response = await client.SendAsync(request, Cancellation);
        var body = await response.Content.ReadAsStringAsync(Cancellation);
        Assert.True(expected is null || response.StatusCode == expected, $"/health: {(int)response.StatusCode} {body}");
        var report = JsonSerializer.Deserialize<HealthReportJson>(body, JsonSerializerOptions.Web)!;
        return new HealthAnswer(response.StatusCode, report.Status, report.Checks, body);
    }

    private sealed record HealthReportJson(string Status, Dictionary<string, HealthCheckAnswer> Checks);

    private static async Task<HealthAnswer> EventuallyAsync(HttpClient client, Func<HealthAnswer, bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var answer = await GetHealthAsync(client, expected: null);
            if (condition(answer) || Stopwatch.GetTimestamp() > deadline)
            {
                Assert.True(condition(answer), $"/health still answers {answer.Body} after {timeout.TotalSeconds} s");
                return answer;
            }
            await Task.Delay(200, Cancellation);
        }
    }

    /// <summary>A loopback port nothing listens on: connections to it are refused at once.</summary>
    private static int ClosedPort() => Q4.Hosting.Ports.Free();

    /// <summary><c>Health__DetailsKey</c> from the process's environment, as the AppHost started it.</summary>
    private static string? HealthKeyOf(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ").Split('\0')
            .FirstOrDefault(variable => variable.StartsWith("Health__DetailsKey=", StringComparison.Ordinal))?["Health__DetailsKey=".Length..];
}
